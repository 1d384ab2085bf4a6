"""Diagnostics: problems found in the input, collected rather than raised one by one.

Every stage returns or appends :class:`Diagnostic` objects to a :class:`Report`;
the command line prints them once each and turns them into an exit status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem with the input: where it is, what it is and what to do about it."""

    file: str = ""
    line: int | None = None
    column: int | None = None
    level: Level = "error"
    message: str = ""
    hint: str = ""

    def format(self) -> str:
        """``file:line:col: level: message (hint)``, the shape compilers and editors understand."""
        where = self.file or "<site>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.level}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConfigError(Exception):
    """Raised when ``site.yaml`` cannot be used; carries every problem found at once."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


@dataclass
class Report:
    """An ordered, de-duplicated collection of diagnostics for one run."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        if diagnostic not in self.items:
            self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]


def error(file: str, message: str, *, line: int | None = None, column: int | None = None,
          hint: str = "") -> Diagnostic:
    """Shorthand for an error diagnostic."""
    return Diagnostic(file, line, column, "error", message, hint)


def warning(file: str, message: str, *, line: int | None = None, column: int | None = None,
            hint: str = "") -> Diagnostic:
    """Shorthand for a warning diagnostic."""
    return Diagnostic(file, line, column, "warning", message, hint)
