"""Front matter: positions in the file for errors, dates kept as written, stable dumps."""

from sitegen import frontmatter


def test_parses_meta_and_body():
    page, problems = frontmatter.parse("---\ntitle: A\ndate: 2023-11-01\n---\n\nBody\n", "x.md")
    assert problems == []
    assert page.meta == {"title": "A", "date": "2023-11-01"}   # dates stay text
    assert page.body.strip() == "Body"
    assert page.body_line == 5


def test_blank_lines_before_the_fence_are_allowed():
    page, problems = frontmatter.parse("\n\n---\ntitle: A\n---\nB", "x.md")
    assert problems == [] and page.meta["title"] == "A"


def test_yaml_error_line_is_counted_in_the_file():
    text = "\n---\ntitle: A\ndate: 2023-11-01\nsummary: a: b: c\n---\nbody\n"
    page, [problem] = frontmatter.parse(text, "content/x.md")
    assert page is None
    assert problem.file == "content/x.md" and problem.level == "error"
    assert problem.line == 5            # the summary line, counted from the top of the file
    assert problem.column is not None
    assert "YAML" in problem.message and problem.hint


def test_missing_front_matter_and_non_mapping():
    assert frontmatter.parse("just text", "x.md")[0] is None
    page, [problem] = frontmatter.parse("---\n- a\n- b\n---\n", "x.md")
    assert page is None and "mapping" in problem.message


def test_dump_round_trips_and_keeps_order():
    meta = {"title": "Título: con dos puntos", "date": "2023-11-01", "topics": ["a", "b"],
            "flag": "yes", "number": "12"}
    text = frontmatter.dump(meta, "Body text")
    assert text.index("title") < text.index("date") < text.index("topics")
    assert "Título" in text            # Unicode kept, not escaped
    page, _ = frontmatter.parse(text, "x.md")
    assert page.meta == meta and page.body.strip() == "Body text"
