"""The layering of architecture.md: a module imports only from layers below it."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sitegen"
# architecture.md's layers; where two modules of one layer depend on each other, the one
# depended on sits half a layer lower, so that the rule stays strict and acyclic
LAYERS = {
    "errors": 0, "model": 0.5, "urls": 0.5,
    "config": 1, "dates": 1, "text": 1, "digests": 1, "fsutil": 1, "parallel": 1,
    "snapshot": 1, "listings": 1.5,   # listings: fsutil's rule of settled times
    "frontmatter": 2, "markup": 2, "seeds": 2,
    "importer": 3, "reader": 3, "topics": 2.5, "lock": 3,
    "indexes": 4, "pagination": 4,
    "routes": 5, "feeds": 4.5, "fingerprint": 5,
    "theme": 6, "writer": 6, "cache": 6, "search": 6, "templatedeps": 6,
    "render": 6.5, "contentstate": 6.6, "quick": 6.75, "build": 7,   # render: the incremental render stage build runs
    "watcher": 7.5, "server": 8,
    "cli": 9, "__main__": 9.5,   # __main__ only calls cli.main()
}
PURE = {"model", "urls", "seeds", "indexes", "routes", "fingerprint", "pagination", "feeds"}


def imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(LAYERS)


@pytest.mark.parametrize("module", sorted(LAYERS))
def test_imports_only_from_lower_layers(module):
    for name in imports(module) & set(LAYERS):
        assert LAYERS[name] < LAYERS[module] or (name == module), \
            f"sitegen.{module} (layer {LAYERS[module]}) imports sitegen.{name} (layer {LAYERS[name]})"


@pytest.mark.parametrize("module", sorted(PURE))
def test_pure_layers_know_nothing_of_jinja_watchdog_or_livereload(module):
    assert not {"jinja2", "watchdog", "livereload"} & {i.split(".")[0] for i in imports(module)}


def test_only_server_and_cli_know_watchdog_and_livereload():
    for module in set(LAYERS) - {"watcher", "server", "cli"}:
        used = {i.split(".")[0] for i in imports(module)}
        assert not {"watchdog", "livereload", "tornado"} & used, module
