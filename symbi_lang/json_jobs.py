"""A job given as JSON (Job IR keys: `agent_id`, `cron_expr`, …) checked exactly like a `.symbi` file.

The HTTP API and `symbi cron add --json` accept jobs as JSON. Rather than a second set of rules, the
JSON is written out as the schedule block it stands for and goes through the same parse → check → lower
path as `symbi check`, so a JSON job gets the same diagnostic codes and messages as the equivalent file.
Each rendered line remembers which JSON field it came from, so every problem names its field
(`policy.max_runtime`) as well as its code.

    result = check_json_job({"name": "x", "agent_id": "a", "cron_expr": "0 0 * * * *"}, ctx)
    result.errors, result.warnings, result.job
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from symbi_lang import codes
from symbi_lang.checks.context import CheckContext
from symbi_lang.diagnostics import Code, Diagnostic, Severity
from symbi_lang.ir import AgentDefinition, JobDefinition, SourceRef

#: Job IR keys whose DSL field is spelled differently.
_DSL_NAMES = {"agent_id": "agent", "cron_expr": "cron"}
#: IR keys that are not written in a schedule block: derived by lowering, or carried through as given.
_DERIVED = {"max_runtime_seconds"}
_CARRIED = {"source"}
_LIST_FIELDS = {"delivery", "email_recipients"}
_MAP_FIELDS = {"webhook_headers"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SOURCE_PATH = "<json>"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One diagnostic about a JSON job, located by its field path (`""` for the job as a whole)."""

    field: str
    code: str
    severity: str
    message: str
    help: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "help": self.help,
        }


@dataclass(frozen=True, slots=True)
class JsonJobCheck:
    """What checking a JSON job found; `job` is set when there are no errors."""

    job: JobDefinition | None
    errors: tuple[FieldProblem, ...] = ()
    warnings: tuple[FieldProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class _Writer:
    """DSL text, one field per line, with the JSON path each line came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.paths: list[str] = []
        self.problems: list[FieldProblem] = []

    def emit(self, text: str, path: str) -> None:
        self.lines.append(text)
        self.paths.append(path)

    def field(self, key: str, value: Any, path: str, depth: int) -> None:
        pad = "  " * depth
        if not _IDENT.match(key):
            self.problems.append(_problem(path, codes.UNKNOWN_FIELD, name=key, where="this job"))
            return
        if isinstance(value, Mapping):
            self.emit(f"{pad}{key}: {{", path)
            for sub_key, sub in value.items():
                if sub is not None:
                    self.entry(str(sub_key), sub, f"{path}.{sub_key}", depth + 1)
            self.emit(f"{pad}}}", path)
            return
        scalar = self.value(value, path)
        if scalar is not None:
            self.emit(f"{pad}{key}: {scalar}", path)

    def entry(self, key: str, value: Any, path: str, depth: int) -> None:
        """A map entry: keys that are not identifiers are written quoted (header names)."""
        if _IDENT.match(key) or isinstance(value, Mapping):
            self.field(key, value, path, depth)
            return
        scalar = self.value(value, path)
        if scalar is not None:
            self.emit(f"{'  ' * depth}{_string(key)}: {scalar}", path)

    def value(self, value: Any, path: str) -> str | None:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
                return str(int(value))
            self.problems.append(_problem(path, codes.WRONG_TYPE, name=_leaf(path), expected="an integer"))
            return None
        if isinstance(value, str):
            return _string(value)
        if isinstance(value, list):
            items = []
            for i, item in enumerate(value):
                if isinstance(item, list | Mapping) or item is None:
                    self.problems.append(
                        _problem(f"{path}[{i}]", codes.WRONG_TYPE, name=_leaf(path), expected="a string")
                    )
                    return None
                rendered = self.value(item, f"{path}[{i}]")
                if rendered is None:
                    return None
                items.append(rendered)
            return "[" + ", ".join(items) + "]"
        self.problems.append(_problem(path, codes.WRONG_TYPE, name=_leaf(path), expected="a value"))
        return None


def render_json_job(data: Mapping[str, Any]) -> tuple[str, list[str], list[FieldProblem]]:
    """The schedule block (and inline `agent` block) `data` stands for, the JSON path of every line,
    and the problems found while writing it (values no DSL field can hold)."""
    w = _Writer()
    agent = data.get("agent")
    if isinstance(agent, Mapping):
        w.emit("agent {", "agent")
        for key, value in agent.items():
            if value is not None and key not in _CARRIED:
                w.field(str(key), value, f"agent.{key}", 1)
        w.emit("}", "agent")
    elif agent is not None:
        w.problems.append(_problem("agent", codes.WRONG_TYPE, name="agent", expected="an object"))
    w.emit("schedule {", "")
    for key, value in data.items():
        if key in ("agent", *_CARRIED) or value is None:
            continue
        if key == "policy" and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k not in _DERIVED}
        if (value == [] and key in _LIST_FIELDS) or (value == {} and key in _MAP_FIELDS):
            continue  # the IR default
        w.field(_DSL_NAMES.get(key, key), value, key, 1)
    w.emit("}", "")
    return "\n".join(w.lines) + "\n", w.paths, w.problems


def check_json_job(
    data: Mapping[str, Any],
    ctx: CheckContext,
    *,
    adjust: Callable[[Sequence[Diagnostic], Sequence[Any]], list[Diagnostic]] | None = None,
) -> JsonJobCheck:
    """Check `data` as `symbi check` checks the equivalent file; `adjust(diagnostics, modules)` may
    reclassify diagnostics first (the runtime's rule for a one-shot time that has passed)."""
    from symbi_lang.api import Source, analyze

    text, paths, problems = render_json_job(data)
    if problems:
        return JsonJobCheck(None, errors=tuple(problems))
    analysis = analyze([Source(SOURCE_PATH, text)], ctx)
    diagnostics = list(analysis.diagnostics)
    if adjust is not None:
        diagnostics = adjust(diagnostics, analysis.modules)
    found = [_located(d, paths) for d in diagnostics]
    errors = tuple(p for p in found if p.severity == Severity.ERROR.value)
    warnings = tuple(p for p in found if p.severity != Severity.ERROR.value)
    if errors:
        return JsonJobCheck(None, errors=errors, warnings=warnings)
    jobs = analysis.jobset().jobs
    if len(jobs) != 1:  # every error that prevents lowering is reported above; this is a guard
        return JsonJobCheck(
            None, errors=(FieldProblem("", codes.MISSING_FIELD.code, "error", "not a complete job"),)
        )
    return JsonJobCheck(_with_sources(jobs[0], data), warnings=warnings)


def _with_sources(job: JobDefinition, data: Mapping[str, Any]) -> JobDefinition:
    """The lowered job with the `source` references the JSON carried (none: an API-made job)."""
    source = _source_ref(data.get("source"))
    agent: AgentDefinition | None = job.agent
    raw_agent = data.get("agent")
    if agent is not None and isinstance(raw_agent, Mapping):
        agent = dataclasses.replace(agent, source=_source_ref(raw_agent.get("source")))
    return dataclasses.replace(job, source=source, agent=agent)


def _source_ref(raw: Any) -> SourceRef:
    if not isinstance(raw, Mapping):
        return SourceRef()
    file, line, column = raw.get("file"), raw.get("line"), raw.get("column")
    return SourceRef(
        file=file if isinstance(file, str) else "",
        line=line if isinstance(line, int) and not isinstance(line, bool) else 0,
        column=column if isinstance(column, int) and not isinstance(column, bool) else 0,
    )


def _located(d: Diagnostic, paths: Sequence[str]) -> FieldProblem:
    index = d.span.start.line - 1
    path = paths[index] if 0 <= index < len(paths) else ""
    return FieldProblem(path, d.code, d.severity.value, d.message, d.help)


def _problem(path: str, code: Code, **params: str) -> FieldProblem:
    return FieldProblem(path, code.code, code.severity.value, code.template.format(**params))


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def _string(text: str) -> str:
    """A DSL string literal (JSON escapes are the DSL's escapes)."""
    return json.dumps(text, ensure_ascii=False)
