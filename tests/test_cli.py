"""The command line: entry points, exit codes, and refusing to do damage."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, Site


@pytest.mark.parametrize("command", [
    [sys.executable, str(REPO / "build.py")],
    [sys.executable, "-m", "sitegen"],
    [shutil.which("sitegen") or "sitegen"],
])
def test_every_entry_point_builds(site: Site, command: list[str]):
    site.page("a.md", title="Entry point")
    result = subprocess.run([*command, "build", "-q"], cwd=site.root, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (site.public / "2024/03/05/entry-point/index.html").is_file()


def test_build_is_the_default_command(site: Site):
    site.page("a.md", title="Default")
    result = site.run()
    assert result.code == 0 and (site.public / "index.html").is_file()


def test_bad_config_builds_and_imports_nothing(site: Site):
    site.write("site.yaml", "titel: Typo\nbase_url: 12\nfeeds:\n  limt: 3\n")
    site.write("seeds/a.txt", "# *A story*\n---\nText.\n---\n<https://example.org/a>\n")
    result = site.run("build")
    assert result.code == 2
    assert "titel" in result.err and "did you mean 'title'" in result.err
    assert "limt" in result.err and "base_url" in result.err
    assert not (site.root / "content").exists() and not site.public.exists()


def test_not_yaml_config(site: Site):
    site.write("site.yaml", "title: [unclosed\n")
    result = site.run("build")
    assert result.code == 2 and "site.yaml" in result.err


@pytest.mark.parametrize("output", [".", "..", "~", "/", "content", "precious"])
def test_unsafe_output_folders_are_refused_before_anything_is_touched(site: Site, output: str):
    site.page("a.md", title="A")
    (site.root / "precious").mkdir()
    (site.root / "precious" / "thesis.txt").write_text("years of work")
    site.write("seeds/new.txt", "# *New*\n---\nText.\n---\n<https://example.org/new>\n")
    target = str(Path(output).expanduser()) if output.startswith("~") else output
    if not output.startswith(("/", "~")):
        target = str(site.root / output)
    result = site.run("build", "--output", target)
    assert result.code == 2, result.err
    assert "refusing" in result.err
    assert (site.root / "precious" / "thesis.txt").read_text() == "years of work"
    assert [p.name for p in (site.root / "content").rglob("*.md")] == ["a.md"]   # nothing imported


def test_a_template_error_keeps_the_previous_site(site: Site):
    site.page("a.md", title="A")
    assert site.run("build").code == 0
    before = site.files()
    site.write("templates/article.html", "{% extends 'base.html' %}{% block content %}"
                                         "{{ article.title | nosuchfilter }}{% endblock %}")
    result = site.run("build")
    assert result.code == 1
    assert "templates/article.html" in result.err and "previous site" in result.err
    assert site.files() == before
    leftovers = [p.name for p in site.root.iterdir() if p.name.startswith(".public.sitegen-")]
    assert set(leftovers) <= {".public.sitegen-spare"}   # the spare is staging, and stays


def test_strict_turns_warnings_into_failure(site: Site):
    site.page("a.md", title="A")            # no id: a warning
    assert site.run("build").code == 0
    assert site.run("build", "--strict").code == 1


def test_timings_name_each_stage_of_the_build(site: Site):
    site.page("a.md", title="A", id="urn:a")
    full = site.run("build", "--timings")
    assert full.code == 0
    rows = re.findall(r"^  ([a-z ]+?)\s+\|\s+(\d+\.\d{3})$", full.out, re.M)
    assert [stage for stage, _ in rows] == ["check inputs", "read and import", "index",
                                            "convert bodies", "job families",
                                            "render and publish"]
    total = float(re.search(r"in (\d+) ms", full.out).group(1)) / 1000
    assert sum(float(s) for _, s in rows) <= total + 0.002
    again = site.run("build", "--timings")         # nothing changed: stops after the check
    assert re.findall(r"^  ([a-z ]+?)\s+\|\s+\d+\.\d{3}$", again.out, re.M) == ["check inputs"]
    assert "Stage" not in site.run("build").out
