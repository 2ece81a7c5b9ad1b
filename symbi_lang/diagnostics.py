"""The one `Diagnostic` type shared by the CLI, the LSP, JSON and SARIF output."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from symbi_lang.span import Span


class Severity(StrEnum):
    """How bad a diagnostic is; the value is the wire spelling."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the text in `span` with `new_text` (an insertion when the span is empty)."""

    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """A machine-applicable suggestion: a title and the edits that carry it out."""

    title: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True, slots=True)
class Related:
    """Another location that explains a diagnostic (e.g. where a duplicate was first defined)."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in a source file. Checks return these; they never raise."""

    code: str
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.path, self.span.start.offset, self.severity.rank, self.code)


@dataclass(frozen=True, slots=True)
class Code:
    """A registered diagnostic code: `SYMnnn`, a short slug, default severity and message template."""

    code: str
    slug: str
    severity: Severity
    template: str
    description: str = field(default="", compare=False)

    def at(
        self,
        span: Span,
        *,
        help: str | None = None,
        severity: Severity | None = None,
        related: Iterable[Related] = (),
        fixes: Iterable[Fix] = (),
        **params: object,
    ) -> Diagnostic:
        """Build a diagnostic of this code at `span`, filling the message template with `params`."""
        return Diagnostic(
            code=self.code,
            severity=severity or self.severity,
            message=self.template.format(**params),
            span=span,
            help=help,
            related=tuple(related),
            fixes=tuple(fixes),
        )


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in reading order: file, then position, then severity."""
    return sorted(diagnostics, key=Diagnostic.sort_key)


def count(diagnostics: Iterable[Diagnostic]) -> tuple[int, int]:
    """(errors, warnings) in `diagnostics`."""
    errors = warnings = 0
    for d in diagnostics:
        if d.severity is Severity.ERROR:
            errors += 1
        elif d.severity is Severity.WARNING:
            warnings += 1
    return errors, warnings
