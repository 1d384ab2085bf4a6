"""Typed site configuration read from ``site.yaml``.

Every key has a default, so a missing ``site.yaml`` is a valid (default) site. The file is
validated against one schema table (:data:`_SCHEMA`): unknown keys, wrong types and bad
values are all collected, with the line of the key, and raised together as one
:class:`~sitegen.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import urls
from .errors import ConfigError, Diagnostic, error
from .model import Topic

CONFIG_NAME = "site.yaml"
CANONICAL_MODES = ("source", "self")
_DIRS = {  # SiteConfig field -> default folder inside the site root
    "output_dir": "public",
    "content_dir": "content",
    "seeds_dir": "seeds",
    "themes_dir": "themes",
    "templates_dir": "templates",
    "static_dir": "static",
    "cache_dir": ".sitegen-cache",
}


@dataclass(frozen=True)
class FeedsConfig:
    limit: int = 50               # newest items per feed
    full_content: bool = False    # whole article instead of its summary


@dataclass(frozen=True)
class ImportConfig:
    assume_year: int | None = None          # year for seed dates that name none
    max_seed_bytes: int = 10 * 1024 * 1024  # larger seeds are skipped with a warning
    max_topics: int = 3                     # topics given to an imported page at most
    summary_chars: int = 280


@dataclass(frozen=True)
class SiteConfig:
    """The whole site configuration. Folders are absolute; ``base_url`` ends with ``/``."""

    root: Path
    title: str = "News"
    base_url: str = "http://localhost:8000/"
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    theme: str = "default"
    output_dir: Path = None  # type: ignore[assignment]  # None -> root/"public", etc.
    content_dir: Path = None  # type: ignore[assignment]
    seeds_dir: Path = None  # type: ignore[assignment]
    themes_dir: Path = None  # type: ignore[assignment]
    templates_dir: Path = None  # type: ignore[assignment]
    static_dir: Path = None  # type: ignore[assignment]
    cache_dir: Path = None  # type: ignore[assignment]
    per_page: int = 20
    canonical: str = "source"
    date_format: str = "%B %-d, %Y"
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    search: bool = True           # build a Pagefind search index and show the search box
    import_: ImportConfig = field(default_factory=ImportConfig)
    topics: tuple[Topic, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    drafts: bool = False
    config_file: Path | None = None  # the site.yaml read; None when running on defaults

    def __post_init__(self) -> None:
        root = Path(os.path.abspath(self.root))
        object.__setattr__(self, "root", root)
        for name, default in _DIRS.items():
            object.__setattr__(self, name, _resolve(root, getattr(self, name) or default))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def default_config(root: Path) -> SiteConfig:
    """A configuration with every default, for the site in ``root``."""
    return SiteConfig(root=Path(root))


def load_config(path: Path | None, *, root: Path | None = None, output: str | None = None,
                base_url: str | None = None, drafts: bool = False) -> SiteConfig:
    """Read and validate ``site.yaml``, then apply the command-line overrides.

    ``path`` None means ``root/site.yaml`` if it exists, else all defaults (``root`` defaults
    to the current folder, or to the folder of an explicit ``path``). A relative ``output``
    is taken relative to the site root. Raises :class:`ConfigError` listing every problem.
    """
    root = Path(os.path.abspath(root if root is not None else (Path(path).parent if path else ".")))
    if path is None:
        path = root / CONFIG_NAME
        if not path.exists():
            path = None
    values: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    name = ""
    if path is not None:
        path = Path(path)
        name = _display_name(path, root)
        text = _read_text(path, name, problems)
        if text is not None:
            values = _Reader(name, problems).document(text)
    topics = _topics(values.pop("topics", []), name, problems)
    values.update(_overrides(output, base_url, problems))
    if problems:
        raise ConfigError(problems)
    return _build(root, values, topics, drafts=drafts,
                  config_file=Path(os.path.abspath(path)) if path else None)


# --- value checks: take a value of the right type, return it normalised or raise _Invalid ---

class _Invalid(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def _non_empty(value: str) -> str:
    if not value.strip():
        raise _Invalid("must not be empty")
    return value.strip()


def _positive(value: int) -> int:
    if value <= 0:
        raise _Invalid(f"must be a positive whole number, not {value}")
    return value


def _not_negative(value: int) -> int:
    if value < 0:
        raise _Invalid(f"must be zero or more, not {value}")
    return value


def _year(value: int) -> int:
    if not 1 <= value <= 9999:
        raise _Invalid(f"must be a year such as 2023, not {value}")
    return value


def _base_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _Invalid(f"must be an absolute http(s) URL, not {value!r}",
                       "for example 'https://example.org/' or 'https://example.org/news/'")
    if parts.query or parts.fragment:
        raise _Invalid(f"must not carry a query or fragment: {value!r}")
    return value if value.endswith("/") else value + "/"


def _timezone(value: str) -> str:
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        near = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        raise _Invalid(f"is not a known time zone: {value!r}",
                       f"did you mean {near[0]!r}?" if near else "use an IANA name such as 'Europe/Paris'")
    return value


def _language(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", value.strip()):
        raise _Invalid(f"must be a language tag such as 'en' or 'pt-BR', not {value!r}")
    return value.strip()


def _folder_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        raise _Invalid(f"must be a plain folder name inside themes/, not {value!r}")
    return value


def _canonical(value: str) -> str:
    if value not in CANONICAL_MODES:
        raise _Invalid(f"must be one of {', '.join(CANONICAL_MODES)}, not {value!r}")
    return value


def _date_format(value: str) -> str:
    try:
        datetime(2000, 1, 2).strftime(value)
    except ValueError as exc:
        raise _Invalid(f"is not a valid date format: {exc}", "see strftime codes such as %Y, %B, %d")
    return value


def _slug(value: str) -> str:
    if not urls.is_safe_slug(value):
        raise _Invalid(f"is not a safe slug: {value!r}",
                       "use lower-case letters, digits and '-', e.g. 'middle-east'")
    return value


def _keywords(value: list) -> tuple[str, ...]:
    bad = [k for k in value if not isinstance(k, str) or not k.strip()]
    if bad:
        raise _Invalid(f"must be a list of words or phrases; {bad[0]!r} is not one",
                       "quote keywords that YAML reads otherwise, e.g. 'yes' or '2024'")
    return tuple(" ".join(k.split()) for k in value)


# --- the schema: YAML key -> expected type and check; a nested dict is a nested mapping ---

@dataclass(frozen=True)
class _Key:
    type: type
    check: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class _ListOf:
    item: Mapping[str, Any]     # schema of each item (a mapping)
    required: tuple[str, ...] = ()


_TOPIC = {
    "name": _Key(str, _non_empty),
    "slug": _Key(str, _slug),
    "description": _Key(str),
    "keywords": _Key(list, _keywords),
}

_SCHEMA: dict[str, Any] = {
    "title": _Key(str, _non_empty),
    "base_url": _Key(str, _base_url),
    "description": _Key(str),
    "language": _Key(str, _language),
    "timezone": _Key(str, _timezone),
    "author": _Key(str),
    "theme": _Key(str, _folder_name),
    **{name: _Key(str, _non_empty) for name in _DIRS},
    "pagination": {"per_page": _Key(int, _positive)},
    "canonical": _Key(str, _canonical),
    "date_format": _Key(str, _date_format),
    "feeds": {"limit": _Key(int, _positive), "full_content": _Key(bool)},
    "search": _Key(bool),
    "import": {
        "assume_year": _Key(int, _year),
        "max_seed_bytes": _Key(int, _positive),
        "max_topics": _Key(int, _not_negative),
        "summary_chars": _Key(int, _positive),
    },
    "topics": _ListOf(_TOPIC, required=("name",)),
    "params": _Key(dict),
}

_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false",
               list: "a list", dict: "a mapping"}
_TYPE_HINTS = {str: "put the value in quotes", int: "write a number without quotes",
               bool: "write true or false without quotes"}


def _leaf_paths(schema: Mapping[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, spec in schema.items():
        paths.append(prefix + key)
        if isinstance(spec, dict):
            paths += _leaf_paths(spec, f"{prefix}{key}.")
    return paths


_ALL_PATHS = _leaf_paths(_SCHEMA)


class _Reader:
    """Walks the composed YAML node tree against the schema, collecting problems."""

    def __init__(self, file: str, problems: list[Diagnostic]):
        self.file, self.problems = file, problems
        self.constructor = SafeConstructor()

    def document(self, text: str) -> dict[str, Any]:
        try:
            node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            self._yaml_error(exc)
            return {}
        if node is None or (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
            return {}
        if not isinstance(node, MappingNode):
            self._error(node, "site.yaml must be a mapping of keys to values",
                        "write one 'key: value' per line, e.g. 'title: My News'")
            return {}
        return self.mapping(node, _SCHEMA, "")

    def mapping(self, node: MappingNode, schema: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        own = sum(1 for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge")
        try:
            self.constructor.flatten_mapping(node)  # '<<' merge keys: merged pairs come first
        except yaml.YAMLError as exc:
            self._yaml_error(exc)
            return {}
        merged = len(node.value) - own
        values: dict[str, Any] = {}
        seen: dict[str, int] = {}  # own keys -> line
        for index, (key_node, value_node) in enumerate(node.value):
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            path = prefix + key
            if key not in schema:
                self._error(key_node, f"unknown key {path!r}", self._suggest(key, schema, prefix))
            elif key in seen:
                self._error(key_node, f"duplicate key {path!r}", f"first given on line {seen[key]}")
            else:
                if index >= merged:
                    seen[key] = key_node.start_mark.line + 1
                value = self.value(value_node, schema[key], path)
                if value is not None:
                    values[key] = value
        return values

    def value(self, node: Node, spec: Any, path: str) -> Any:
        if isinstance(spec, dict):
            if self._is_null(node):
                return None
            if not isinstance(node, MappingNode):
                return self._error(node, f"{path!r} must be a mapping of {', '.join(spec)}")
            return self.mapping(node, spec, path + ".")
        if isinstance(spec, _ListOf):
            return self.items(node, spec, path)
        return self.leaf(node, spec, path)

    def items(self, node: Node, spec: _ListOf, path: str) -> list[tuple[dict[str, Any], int]] | None:
        if self._is_null(node):
            return None
        if not isinstance(node, SequenceNode):
            return self._error(node, f"{path!r} must be a list", "start each entry with '- '")
        items = []
        for index, item in enumerate(node.value):
            where = f"{path}[{index}]"
            if not isinstance(item, MappingNode):
                self._error(item, f"{where} must be a mapping with keys {', '.join(spec.item)}")
                continue
            values = self.mapping(item, spec.item, where + ".")
            missing = [key for key in spec.required if key not in values
                       and not any(k.value == key for k, _ in item.value if isinstance(k, ScalarNode))]
            for key in missing:
                self._error(item, f"{where} has no {key!r}")
            items.append((values, item.start_mark.line + 1))
        return items

    def leaf(self, node: Node, spec: _Key, path: str) -> Any:
        try:
            value = self.constructor.construct_document(node)
        except yaml.YAMLError as exc:
            return self._yaml_error(exc)
        if value is None:
            return None  # an empty value keeps the default
        if type(value) is not spec.type:  # exact: a bool is not a whole number
            quoting = isinstance(node, ScalarNode) and (spec.type is str or isinstance(value, str))
            hint = _TYPE_HINTS.get(spec.type, "") if quoting else ""
            return self._error(node, f"{path!r} must be {_TYPE_NAMES[spec.type]}, "
                               f"not {_describe(value)}", hint)
        if spec.check is None:
            return value
        try:
            return spec.check(value)
        except _Invalid as exc:
            return self._error(node, f"{path!r} {exc.message}", exc.hint)

    def _suggest(self, key: str, schema: Mapping[str, Any], prefix: str) -> str:
        near = difflib.get_close_matches(key.lower(), list(schema), n=1, cutoff=0.6)
        if near:
            return f"did you mean {prefix + near[0]!r}?"
        elsewhere = [p for p in _ALL_PATHS if p.rsplit(".", 1)[-1] == key]
        if elsewhere and not prefix.startswith("topics["):
            return f"did you mean {elsewhere[0]!r}?"
        return "valid keys here: " + ", ".join(schema)

    @staticmethod
    def _is_null(node: Node) -> bool:
        return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"

    def _error(self, node: Node, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(error(self.file, message, line=mark.line + 1,
                                   column=mark.column + 1, hint=hint))
        return None

    def _yaml_error(self, exc: yaml.YAMLError) -> None:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = " ".join(str(part) for part in (getattr(exc, "context", None),
                                                  getattr(exc, "problem", None)) if part)
        self.problems.append(error(
            self.file, f"not valid YAML: {message or exc}",
            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None,
            hint="check the indentation and quote values that contain ': ' or start with '*', '&', '!'"))
        return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (list, dict)):
        return _TYPE_NAMES[type(value)]
    return f"{value!r} ({type(value).__name__})"


def _read_text(path: Path, name: str, problems: list[Diagnostic]) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        problems.append(error(name, "config file not found", hint="check the --config path"))
    except IsADirectoryError:
        problems.append(error(name, "config path is a folder, not a file"))
    except UnicodeDecodeError as exc:
        problems.append(error(name, f"not UTF-8 text (byte {exc.start})", hint="save it as UTF-8"))
    except OSError as exc:
        problems.append(error(name, f"cannot read config file: {exc.strerror or exc}"))
    return None


def _overrides(output: str | None, base_url: str | None, problems: list[Diagnostic]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option, key, value, check in (("--output", "output_dir", output, _non_empty),
                                      ("--base-url", "base_url", base_url, _base_url)):
        if value is None:
            continue
        try:
            values[key] = check(value)
        except _Invalid as exc:
            problems.append(error("", f"{option} {exc.message}", hint=exc.hint))
    return values


def _build(root: Path, values: dict[str, Any], topics: tuple[Topic, ...], *, drafts: bool,
           config_file: Path | None) -> SiteConfig:
    """Turn validated values into a :class:`SiteConfig`."""
    feeds = FeedsConfig(**values.pop("feeds", {}))
    import_ = ImportConfig(**values.pop("import", {}))
    per_page = values.pop("pagination", {}).get("per_page", 20)
    return SiteConfig(root=root, feeds=feeds, import_=import_, per_page=per_page, topics=topics,
                      drafts=drafts, config_file=config_file, **values)


def _topics(items: list[tuple[dict[str, Any], int]], file: str,
            problems: list[Diagnostic]) -> tuple[Topic, ...]:
    """Topics from their validated entries: default slugs, no duplicate slugs."""
    topics: list[Topic] = []
    first_line: dict[str, int] = {}
    for values, line in items:
        if "name" not in values:
            continue  # already reported
        slug = values.get("slug") or urls.slugify(values["name"])
        if not urls.is_safe_slug(slug):
            problems.append(error(file, f"topic {values['name']!r} has no usable slug", line=line,
                                  hint="add 'slug:' with lower-case letters, digits and '-'"))
        elif slug in first_line:
            problems.append(error(file, f"duplicate topic slug {slug!r}", line=line,
                                  hint=f"first used on line {first_line[slug]}; give one a different 'slug:'"))
        else:
            first_line[slug] = line
            topics.append(Topic(slug=slug, name=values["name"],
                                description=values.get("description", ""),
                                keywords=values.get("keywords", ())))
    return tuple(topics)


def _resolve(root: Path, folder: str | Path) -> Path:
    return Path(os.path.normpath(root / Path(folder).expanduser()))


def _display_name(path: Path, root: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return str(path)
