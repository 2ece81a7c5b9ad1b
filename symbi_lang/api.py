"""The public stages of symbi_lang, one entry each: parse → check → lower, plus file loading.

Everything here returns diagnostics instead of raising for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from symbi_lang import codes
from symbi_lang.ast import Module
from symbi_lang.checks import CheckContext, run_checks
from symbi_lang.diagnostics import Diagnostic, sort_diagnostics
from symbi_lang.parser import ParseResult, parse
from symbi_lang.span import Position, Span

if TYPE_CHECKING:  # the IR (and json) only when something is lowered: `symbi check` never is
    from symbi_lang.ir import JobSet

__all__ = [
    "Analysis",
    "CheckContext",
    "Source",
    "analyze",
    "analyze_paths",
    "check",
    "collect_sources",
    "lower",
    "parse",
]


@dataclass(frozen=True, slots=True)
class Source:
    """A file's text and the name diagnostics should show for it."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class Analysis:
    """Parsed modules and every diagnostic (syntax, semantic, I/O), sorted."""

    modules: tuple[Module, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    @property
    def error_count(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def jobset(self) -> JobSet:
        """Lower the modules to the Job IR (meaningful when `ok`)."""
        return lower(self.modules)


def check(modules: Sequence[Module], ctx: CheckContext | None = None) -> list[Diagnostic]:
    """Run every semantic check over `modules` (cross-file checks see all of them)."""
    return run_checks(modules, ctx or CheckContext())


def lower(modules: Sequence[Module]) -> JobSet:
    """Lower checked modules to the Job IR."""
    from symbi_lang.lower import lower_modules

    return lower_modules(modules)


def analyze(sources: Iterable[Source], ctx: CheckContext | None = None) -> Analysis:
    """Parse and check sources together; the result always has a module per source."""
    results: list[ParseResult] = [parse(s.text, path=s.path) for s in sources]
    diagnostics: list[Diagnostic] = [d for r in results for d in r.diagnostics]
    modules = tuple(r.module for r in results)
    diagnostics.extend(check(modules, ctx))
    return Analysis(modules, tuple(sort_diagnostics(diagnostics)))


def collect_sources(paths: Sequence[str | Path]) -> tuple[list[Source], list[Diagnostic]]:
    """Read files and directories (recursively, `*.symbi`); unreadable paths become diagnostics."""
    sources: list[Source] = []
    problems: list[Diagnostic] = []
    seen: set[Path] = set()  # a file reached twice (a directory and a glob) is read once

    def first_time(q: Path) -> bool:
        key = q.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for raw in paths:
        p = Path(raw)
        shown = str(raw)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.symbi") if q.is_file())
            if not found:
                problems.append(codes.NO_FILES.at(_file_span(shown), path=shown))
            for q in found:
                if first_time(q):
                    _read(q, str(q), sources, problems)
        elif p.exists():
            if first_time(p):
                _read(p, shown, sources, problems)
        else:
            problems.append(codes.FILE_NOT_FOUND.at(_file_span(shown), path=shown))
    return sources, problems


def analyze_paths(paths: Sequence[str | Path], ctx: CheckContext | None = None) -> Analysis:
    """`collect_sources` then `analyze`, with I/O problems included in the diagnostics."""
    sources, problems = collect_sources(paths)
    analysis = analyze(sources, ctx)
    return Analysis(analysis.modules, tuple(sort_diagnostics([*problems, *analysis.diagnostics])))


def _read(path: Path, shown: str, sources: list[Source], problems: list[Diagnostic]) -> None:
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.append(codes.FILE_UNREADABLE.at(_file_span(shown), path=shown, reason=e.strerror or str(e)))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(codes.NOT_UTF8.at(_file_span(shown), path=shown))
        return
    if text.startswith("\ufeff"):
        text = text[1:]
    sources.append(Source(shown, text))


def _file_span(path: str) -> Span:
    start = Position(1, 1, 0)
    return Span(path, start, start)
