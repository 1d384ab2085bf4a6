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


# --- the fast reader of simple front matter agrees with PyYAML --------------------------

import pytest  # noqa: E402
import yaml  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conftest import CORPORA  # noqa: E402

_CHARS = list("abcXYZ  é’—中0123456789:#-'\"\\,[]{}&*!|>%@`?./+=_") + [
    "\u00a0", "\t", "\u2028", "\x85", "\ufeff", "\x00"] + list("abcdefghijklmnopqrstu     " * 2)
_KEYS = ["title", "date", "topics", "a-b", "_x", "x_1", "summary"] * 6 + [
    "yes", "On", "null", "NO", "1a", "<<", "two words", "TRUE"]
_WORDS = ["Hello", "2024-03-05", "2024-03-05 10:00:00+02:00", "true", "~", "null", "3",
          "0x1F", "1_000", ".5", ".nan", "-", "---", "...", "=", "a: b", "a #b", "a#b",
          "http://x.org/a?b=1#c", "it's", "O'Brien: \"no\"", "x:", "[a, b]", "{a: 1}"]
_scalar = st.one_of(st.sampled_from(_WORDS),
                    st.lists(st.sampled_from(_CHARS), max_size=12).map("".join))
_value = st.one_of(
    _scalar.map(lambda v: " " + v),
    _scalar.map(lambda v: " '" + v + "'"),
    _scalar.map(lambda v: ' "' + v + '"'),
    st.just(""), st.just(" "),
    st.tuples(st.sampled_from(["", "  ", "    ", "\t"]),
              st.lists(st.one_of(_scalar, _scalar.map(lambda v: f"'{v}'")), max_size=3)
              ).map(lambda t: "".join(f"\n{t[0]}- {item}" for item in t[1])),
)
_entry = st.tuples(st.sampled_from(_KEYS), _value).map(lambda kv: f"{kv[0]}:{kv[1]}")
_line = st.one_of(
    *[_entry] * 8,
    st.sampled_from(["", "# a comment", "  indented: x", "  - stray", "---", "...",
                     "%YAML 1.1", "key : spaced", "k: |", "k: >", "k: &a x", "k: *a",
                     "  continued plain", "k:  # comment", "k: [a, b]", "k: {a: 1}"]),
)


def _yaml_or_error(text: str):
    try:
        return yaml.load(text, Loader=frontmatter._Loader)
    except yaml.YAMLError:
        return "YAML error"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=6).map("\n".join),
       st.sampled_from(["", "\n", " \n"]))
@example("title: a #b", "\n")
@example("title: a: b", "\n")
@example("title: x:", "")
@example("title: 'x' y", "")
@example("topics:\n  - a\n - b", "")
def test_the_fast_reader_reads_what_pyyaml_reads_or_leaves_it_to_pyyaml(lines, end):
    text = lines + end
    fast = frontmatter._simple_mapping(text)
    if fast is not None:
        expected = _yaml_or_error(text)
        assert (expected if expected is not None else {}) == fast, text


def test_the_importers_front_matter_takes_the_fast_way():
    """Every page the importer writes, and a curator's usual edits, are read without
    PyYAML; what they give is what PyYAML gives."""
    meta = {"id": "urn:uuid:b75d3b16-fbe0-5664-a5d9-20384576f17c",
            "title": "Aid agencies in Kyiv: a report (2743) — #1 'best'",
            "date": "2019-01-25 10:00:00+02:00", "dateline": "KYIV", "agency": "Reuters",
            "source": "Reuters", "source_url": "https://www.reuters.com/2019/01/25/a?b=1#c",
            "topics": ["diplomacy", "politics"], "summary": "Yes: it's \"quoted\", #2.",
            "seed": "002743.txt", "seed_hash": "cfac7d741bce21f5", "slug": "on",
            "subtitle": "null", "updated": "2019-01-26"}
    text = frontmatter.dump(meta, "Body.")
    yaml_text = frontmatter.split(text)[0]
    assert frontmatter._simple_mapping(yaml_text) == meta == yaml.load(
        yaml_text, Loader=frontmatter._Loader)
    edited = yaml_text + "draft: false\n"
    assert frontmatter._simple_mapping(edited) is None           # a boolean: PyYAML's
    assert frontmatter.parse(f"---\n{edited}---\nBody", "x.md")[0].meta["draft"] is False


@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora under {CORPORA}")
def test_the_fast_reader_agrees_with_pyyaml_on_real_front_matter():
    compared = 0
    for path in sorted(CORPORA.glob("frontmatter-*/**/*.md")):
        yaml_text = frontmatter.split(path.read_text(encoding="utf-8", errors="replace"))[0]
        if yaml_text is None:
            continue
        fast = frontmatter._simple_mapping(yaml_text)
        if fast is not None:
            expected = _yaml_or_error(yaml_text)
            assert (expected if expected is not None else {}) == fast, path
            compared += 1
    assert compared > 100
