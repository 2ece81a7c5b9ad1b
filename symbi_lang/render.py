"""Rendering diagnostics: rustc-like text, the JSON contract, GitHub workflow annotations, SARIF 2.1.0.

One entry: `render(diagnostics, fmt, sources=..., color=...)`. Lines and columns are 1-based with an
exclusive end, counted in Unicode code points (SARIF says so with `columnKind`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from symbi_lang.diagnostics import Diagnostic, Severity, count
from symbi_lang.span import Span

FORMAT_VERSION = "1"
TOOL_URI = "https://github.com/symbi-dev/symbi"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


def render(
    diagnostics: Sequence[Diagnostic],
    fmt: Format | str,
    *,
    sources: Mapping[str, str] | None = None,
    color: bool = False,
    files_checked: int | None = None,
    tool_version: str = "0",
) -> str:
    """Render `diagnostics` in `fmt`. `sources` maps a path to its text (for source lines in text)."""
    fmt = Format(fmt)
    if fmt in (Format.JSON, Format.SARIF):
        import json  # only for these formats: the text report is the usual one
    if fmt is Format.JSON:
        return json.dumps(to_json(diagnostics), indent=2, ensure_ascii=False) + "\n"
    if fmt is Format.GITHUB:
        return "".join(github_line(d) + "\n" for d in diagnostics)
    if fmt is Format.SARIF:
        sarif = to_sarif(diagnostics, tool_version=tool_version)
        return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
    return render_text(diagnostics, sources or {}, color=color, files_checked=files_checked)


# --- JSON ------------------------------------------------------------------------------------------


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": d.span.path,
        "range": {
            "start": {"line": d.span.start.line, "column": d.span.start.column},
            "end": {"line": d.span.end.line, "column": d.span.end.column},
        },
        "help": d.help,
    }


def to_json(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    """The `symbi check --format json` document (DESIGN.md §5)."""
    errors, warnings = count(diagnostics)
    return {
        "format_version": FORMAT_VERSION,
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": warnings,
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }


# --- GitHub workflow commands ----------------------------------------------------------------------

_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """One `::error file=…,line=…::message` workflow command."""
    s, e = d.span.start, d.span.end
    props = [f"file={_gh_property(d.span.path)}", f"line={s.line}", f"col={s.column}"]
    if e.line >= s.line:
        props.append(f"endLine={e.line}")
        if e.line == s.line:
            props.append(f"endColumn={max(e.column, s.column)}")
    props.append(f"title={_gh_property(d.code)}")
    message = d.message if d.help is None else f"{d.message}\nhelp: {d.help}"
    return f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_gh_data(message)}"


# --- SARIF 2.1.0 -----------------------------------------------------------------------------------

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _sarif_region(span: Span) -> dict[str, int]:
    s, e = span.start, span.end
    if (e.line, e.column) < (s.line, s.column):
        e = s
    return {"startLine": s.line, "startColumn": s.column, "endLine": e.line, "endColumn": e.column}


def _sarif_location(span: Span, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(span.path)},
            "region": _sarif_region(span),
        }
    }
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:")


def to_sarif(diagnostics: Sequence[Diagnostic], *, tool_version: str = "0") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; rules are the codes that occur, with their registry metadata."""
    from symbi_lang.codes import REGISTRY

    rule_ids = sorted({d.code for d in diagnostics})
    rules = []
    for rid in rule_ids:
        code = REGISTRY.get(rid)
        rule: dict[str, Any] = {"id": rid}
        if code is not None:
            rule["name"] = code.slug
            rule["shortDescription"] = {"text": code.description or code.slug.replace("-", " ")}
            rule["defaultConfiguration"] = {"level": _SARIF_LEVEL[code.severity]}
        rules.append(rule)
    index = {rid: i for i, rid in enumerate(rule_ids)}
    results = []
    for d in diagnostics:
        text = d.message if d.help is None else f"{d.message}\nhelp: {d.help}"
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": text},
            "locations": [_sarif_location(d.span)],
        }
        if d.related:
            result["relatedLocations"] = [
                {"id": i, **_sarif_location(r.span, r.message)} for i, r in enumerate(d.related)
            ]
        if d.fixes:
            result["fixes"] = [
                {
                    "description": {"text": f.title},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(d.span.path)},
                            "replacements": [
                                {
                                    "deletedRegion": _sarif_region(edit.span),
                                    "insertedContent": {"text": edit.new_text},
                                }
                                for edit in f.edits
                            ],
                        }
                    ],
                }
                for f in d.fixes
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "symbi",
                        "version": tool_version,
                        "informationUri": TOOL_URI,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


# --- text (rustc-like) -----------------------------------------------------------------------------

_ANSI = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "info": "\x1b[1;36m",
    "bold": "\x1b[1m",
    "gutter": "\x1b[1;34m",
    "reset": "\x1b[0m",
}


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, style: str, text: str) -> str:
        if not self.color or not text:
            return text
        return f"{_ANSI[style]}{text}{_ANSI['reset']}"


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class SourceLines:
    """The lines of each source, split once per file however many diagnostics point into it
    (splitting per diagnostic made the text report quadratic in the number of diagnostics)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._lines: dict[str, list[str]] = {}

    def raw(self, path: str) -> list[str] | None:
        """Every line of `path` as written, or None when its text is not known."""
        lines = self._lines.get(path)
        if lines is None:
            text = self._sources.get(path)
            if text is None:
                return None
            lines = self._lines[path] = text.splitlines()
        return lines

    def shown(self, path: str, line: int) -> str | None:
        """Line `line` (1-based) as displayed (tabs expanded); "" just past the end; None if unknown."""
        lines = self.raw(path)
        if lines is None:
            return None
        if 1 <= line <= len(lines):
            return lines[line - 1].expandtabs(4)
        if line == len(lines) + 1:
            return ""
        return None


def render_one(d: Diagnostic, sources: Mapping[str, str] | SourceLines, paint: _Paint) -> str:
    sev = d.severity.value
    out = [paint(sev, f"{sev}[{d.code}]") + paint("bold", f": {d.message}")]
    s, e = d.span.start, d.span.end
    gutter_width = len(str(s.line))
    pad = " " * gutter_width
    out.append(f"{pad}{paint('gutter', '-->')} {d.span.path}:{s.line}:{s.column}")
    index = sources if isinstance(sources, SourceLines) else SourceLines(sources)
    raw = index.raw(d.span.path)
    line_text = index.shown(d.span.path, s.line)
    if line_text is not None and raw is not None:
        original = raw[s.line - 1] if s.line <= len(raw) else ""
        prefix = original[: s.column - 1].expandtabs(4)
        start_col = _display_width(prefix)
        if e.line == s.line and e.column > s.column:
            marked = original[s.column - 1 : e.column - 1].expandtabs(4)
            width = max(1, _display_width(marked))
        elif e.line > s.line:
            width = max(1, _display_width(line_text) - start_col)
        else:
            width = 1
        bar = paint("gutter", "|")
        out.append(f"{pad} {bar}")
        out.append(f"{paint('gutter', str(s.line).rjust(gutter_width))} {bar} {line_text}")
        carets = " " * start_col + "^" * width
        out.append(f"{pad} {bar} {paint(sev, carets)}")
        if d.help or d.related:
            out.append(f"{pad} {bar}")
    if d.help:
        help_lines = d.help.splitlines() or [""]
        out.append(f"{pad} {paint('gutter', '=')} {paint('bold', 'help')}: {help_lines[0]}")
        out.extend(f"{pad}         {h}" for h in help_lines[1:])
    for r in d.related:
        where = f"{r.span.path}:{r.span.start.line}:{r.span.start.column}"
        out.append(f"{pad} {paint('gutter', '=')} {paint('bold', 'note')}: {r.message} ({where})")
    return "\n".join(out) + "\n"


def summary(diagnostics: Sequence[Diagnostic], files_checked: int | None) -> str:
    errors, warnings = count(diagnostics)
    infos = sum(1 for d in diagnostics if d.severity is Severity.INFO)
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if infos:
        parts.append(f"{infos} note{'s' if infos != 1 else ''}")
    what = ", ".join(parts) if parts else "no problems"
    if files_checked is None:
        return what
    return f"checked {files_checked} file{'s' if files_checked != 1 else ''}: {what}"


def render_text(
    diagnostics: Sequence[Diagnostic],
    sources: Mapping[str, str],
    *,
    color: bool = False,
    files_checked: int | None = None,
) -> str:
    paint = _Paint(color)
    index = SourceLines(sources)
    blocks = [render_one(d, index, paint) for d in diagnostics]
    return "\n".join(blocks) + ("\n" if blocks else "") + summary(diagnostics, files_checked) + "\n"
