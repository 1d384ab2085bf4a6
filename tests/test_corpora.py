"""Robustness over every file of ../shared/corpora: real scraped articles as seeds and real
front-matter collections as content pages, each corpus built once through the real CLI.

No traceback, exit 0 or 1, every problem names its file, and every input file either
becomes an article or is named in a diagnostic.
"""

from __future__ import annotations

import collections
import re
import shutil

import pytest

from conftest import CORPORA, Site

pytestmark = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora under {CORPORA}")

SEED_CORPORA = ["raw-articles-aeb", "raw-articles-newspaper", "raw-articles-readability"]
PAGE_CORPORA = {"frontmatter-whitehouse": "posts", "frontmatter-digitalgov": "content"}
_DIAGNOSTIC = re.compile(r"^(?P<file>\S[^:]*?)(?::\d+)?(?::\d+)?: (?P<level>error|warning): (?P<message>.*)$")


_KIND = re.compile(r"[0-9][0-9,]*|'[^']*'|\S+\.md\b")


class Outcome:
    def __init__(self, name: str, site: Site, inputs: list[str], code: int, out: str, err: str):
        self.name, self.site, self.inputs, self.code, self.out, self.err = name, site, inputs, code, out, err
        self.diagnostics = [m.groupdict() for line in err.splitlines() if (m := _DIAGNOSTIC.match(line))]
        self.articles = len(list(site.public.glob("[0-9]*/[0-9]*/[0-9]*/*/index.html"))) \
            if site.public.is_dir() else 0

    def counts(self) -> dict:
        kinds = collections.Counter(d["level"] + ": " + _KIND.sub("…", d["message"])[:70]
                                    for d in self.diagnostics)
        return {"files": len(self.inputs), "articles": self.articles,
                "warnings": sum(d["level"] == "warning" for d in self.diagnostics),
                "errors": sum(d["level"] == "error" for d in self.diagnostics), "kinds": kinds}


def _build(tmp_path_factory, name: str) -> Outcome:
    site = Site(tmp_path_factory.mktemp(name) / "site")
    site.write("site.yaml", "title: Corpus\nbase_url: https://example.org/\nimport:\n  assume_year: 2019\n")
    source = CORPORA / name
    if name in PAGE_CORPORA:
        shutil.copytree(source / PAGE_CORPORA[name], site.root / "content")
        inputs = sorted(p.relative_to(site.root).as_posix() for p in (site.root / "content").rglob("*.md"))
    else:
        (site.root / "seeds").mkdir()
        for path in sorted((source / "articles").iterdir()):
            shutil.copy(path, site.root / "seeds" / path.name)
        inputs = sorted(f"seeds/{p.name}" for p in (site.root / "seeds").iterdir())
    result = site.run("build", "--drafts")
    return Outcome(name, site, inputs, result.code, result.out, result.err)


@pytest.fixture(scope="module", params=SEED_CORPORA + list(PAGE_CORPORA))
def corpus(request, tmp_path_factory) -> Outcome:
    outcome = _build(tmp_path_factory, request.param)
    print(f"\n{outcome.name}: {outcome.counts()}")   # the numbers in the closing note (pytest -s)
    return outcome


def test_builds_without_a_traceback(corpus: Outcome):
    assert "Traceback" not in corpus.err and "internal error" not in corpus.err, corpus.err[-2000:]
    assert corpus.code in (0, 1), corpus.err[-2000:]
    assert (corpus.site.public / "index.html").is_file() and (corpus.site.public / "feed.xml").is_file()


def test_every_problem_names_its_file(corpus: Outcome):
    printed = [line for line in corpus.err.splitlines() if line and not line.startswith("    hint:")]
    assert len(printed) == len(corpus.diagnostics), [l for l in printed if not _DIAGNOSTIC.match(l)][:5]
    for d in corpus.diagnostics:
        assert d["file"] in corpus.inputs or (corpus.site.root / d["file"]).exists(), d


def test_every_input_becomes_an_article_or_is_reported(corpus: Outcome):
    named = {d["file"] for d in corpus.diagnostics}
    if corpus.name in PAGE_CORPORA:
        errors = {d["file"] for d in corpus.diagnostics if d["level"] == "error"}
        assert corpus.articles + len(errors) >= len(corpus.inputs) - 1   # _index.md of Hugo
        assert corpus.articles >= 0.85 * len(corpus.inputs)   # digitalgov: 68 dates such as "2015-06-29 1:00:19 -0400" are rejected
    else:
        pages = list((corpus.site.root / "content").rglob("*.md"))
        seeds_used = {f"seeds/{line.split(':', 1)[1].strip()}" for p in pages
                      for line in p.read_text(encoding="utf-8").splitlines() if line.startswith("seed:")}
        missing = [s for s in corpus.inputs if s not in seeds_used and s not in named]
        assert missing == []
        assert corpus.articles == len(pages) >= 0.9 * len(corpus.inputs)


def test_the_screened_converter_gives_plain_python_markdowns_html_for_every_body(corpus: Outcome):
    """sitegen.markup skips the rules, block processors and preprocessors a text cannot
    trigger: on the real bodies (a third of them hold HTML, a quarter an ampersand) the
    HTML is exactly what Python-Markdown itself gives with the same extensions."""
    import markdown

    from sitegen.markup import EXTENSIONS, Markup

    screened, plain = Markup(), markdown.Markdown(extensions=list(EXTENSIONS), output_format="html")
    bodies = [p.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
              for p in sorted((corpus.site.root / "content").rglob("*.md"))]
    assert bodies
    for body in bodies:
        assert screened._md.reset().convert(body) == plain.reset().convert(body)
