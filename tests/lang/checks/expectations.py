"""Inline expectations in `.symbi` case files, read by a small runner (mypy's `# E:` idea).

Forms, each a comment line:
  `# ^^^^ SYM201 hour must be 0-23`   a diagnostic under the nearest line above that is not itself an
                                      expectation: it starts at the first caret's column, ends after the
                                      last caret; the text after the code must occur in the message
  `# expect: SYM701 @ 4:10`           a diagnostic starting at line 4, column 10 (any end)
  `# expect: SYM701 @ 4:10-4:14 text` with its end position too
  `# ctx: strict now=2026-06-01T00:00:00Z env=A,B custom=pager slack_default herd=3`
                                      the CheckContext for the file (or for a case directory's run)
A case is a file, or a directory whose files are checked together in one run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from symbi_lang.checks import CheckContext
from symbi_lang.diagnostics import Diagnostic

DEFAULT_NOW = datetime(2026, 6, 1, tzinfo=UTC)

_CARET = re.compile(r"^(?P<lead>\s*#\s*)(?P<carets>\^+)\s+(?P<code>SYM\d{3})\b\s*(?P<text>.*)$")
_EXPECT = re.compile(
    r"^\s*#\s*expect:\s*(?P<code>SYM\d{3})\s*@\s*(?P<line>\d+):(?P<col>\d+)"
    r"(?:-(?P<eline>\d+):(?P<ecol>\d+))?\s*(?P<text>.*)$"
)
_CTX = re.compile(r"^\s*#\s*ctx:\s*(?P<body>.*)$")


@dataclass(frozen=True)
class Expected:
    """One expected diagnostic: where it starts (and maybe ends), its code, part of its message."""

    file: str
    code: str
    line: int
    column: int
    end: tuple[int, int] | None
    text: str
    written_at: int

    def matches(self, d: Diagnostic) -> bool:
        s = d.span
        if (s.path, d.code, s.start.line, s.start.column) != (self.file, self.code, self.line, self.column):
            return False
        if self.end is not None and (s.end.line, s.end.column) != self.end:
            return False
        return self.text in d.message


def read_expectations(path: str, text: str) -> list[Expected]:
    """Every expectation written in `text` (a case file called `path`)."""
    out: list[Expected] = []
    target = 0  # the last line that is not an expectation
    for number, line in enumerate(text.splitlines(), start=1):
        m = _CARET.match(line)
        if m is not None:
            col = len(m.group("lead")) + 1
            end = (target, col + len(m.group("carets")))
            out.append(Expected(path, m.group("code"), target, col, end, m.group("text").strip(), number))
            continue
        m = _EXPECT.match(line)
        if m is not None:
            end2 = (int(m.group("eline")), int(m.group("ecol"))) if m.group("eline") else None
            out.append(
                Expected(
                    path,
                    m.group("code"),
                    int(m.group("line")),
                    int(m.group("col")),
                    end2,
                    m.group("text").strip(),
                    number,
                )
            )
            continue
        target = number
    return out


def read_context(texts: list[str]) -> CheckContext:
    """The `# ctx:` settings of a case (defaults: fixed now, empty environment)."""
    now = DEFAULT_NOW
    strict = slack = False
    herd = CheckContext().herd_threshold
    env: dict[str, str] = {}
    custom: set[str] = set()
    for text in texts:
        for line in text.splitlines():
            m = _CTX.match(line)
            if m is None:
                continue
            for word in m.group("body").split():
                key, _, value = word.partition("=")
                if key == "strict":
                    strict = True
                elif key == "slack_default":
                    slack = True
                elif key == "now":
                    now = datetime.fromisoformat(value.replace("Z", "+00:00"))
                elif key == "env":
                    env.update({name: "set" for name in value.split(",") if name})
                elif key == "custom":
                    custom.update(value.split(","))
                elif key == "herd":
                    herd = int(value)
                else:
                    raise ValueError(f"unknown ctx setting {word!r}")
    return CheckContext(
        env=env,
        strict=strict,
        now=now,
        custom_channels=frozenset(custom),
        slack_default_channel=slack,
        herd_threshold=herd,
    )


def case_files(case: Path) -> list[Path]:
    """The files of a case: the file itself, or a directory's `*.symbi` files in name order."""
    return sorted(case.glob("*.symbi")) if case.is_dir() else [case]


def source_name(case: Path, file: Path) -> str:
    """The path diagnostics show: `fields.symbi`, or `cross/a.symbi` inside a case directory."""
    return f"{case.name}/{file.name}" if case.is_dir() else file.name


def render_line(d: Diagnostic) -> str:
    """`file:line:col: severity[CODE]: message` — the snapshot's one-line form."""
    s = d.span.start
    return f"{d.span.path}:{s.line}:{s.column}: {d.severity.value}[{d.code}]: {d.message}"


def compare(expected: list[Expected], actual: list[Diagnostic]) -> tuple[list[Expected], list[Diagnostic]]:
    """(expected but missing, reported but unexpected), pairing each expectation with one diagnostic."""
    remaining = list(actual)
    missing: list[Expected] = []
    for e in expected:
        for i, d in enumerate(remaining):
            if e.matches(d):
                del remaining[i]
                break
        else:
            missing.append(e)
    return missing, remaining


def _show(path: Path) -> None:  # pragma: no cover - an authoring aid: `python expectations.py CASE`
    from symbi_lang.api import Source, analyze

    files = case_files(path)
    texts = [p.read_text() for p in files]
    sources = [Source(source_name(path, p), t) for p, t in zip(files, texts, strict=True)]
    analysis = analyze(sources, read_context(texts))
    for d in analysis.diagnostics:
        print(render_line(d), f"(to {d.span.end.line}:{d.span.end.column})", "|", d.help)


if __name__ == "__main__":  # pragma: no cover
    import sys

    for arg in sys.argv[1:]:
        _show(Path(arg))
