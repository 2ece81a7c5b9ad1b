"""symbi_lang: parse, check, lower and format Symbiont scheduling DSL files.

The stages are importable from the package root (each on first use, PEP 562, so `symbi check` still
starts fast):

    from symbi_lang import analyze_paths, CheckContext

    analysis = analyze_paths(["schedules/"], CheckContext(now=now))
    for d in analysis.diagnostics: print(d.code, d.message)
    jobs = analysis.jobset()          # the Job IR (symbi_lang/job_ir.schema.json)

`symbi_lang.api` has the stage functions; `CronSpec` computes fire times; `format_text` formats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symbi_lang._lazy import lazy_exports

if TYPE_CHECKING:
    from symbi_lang.api import Analysis, CheckContext, Source, analyze, analyze_paths, check, lower, parse
    from symbi_lang.cron import CronError, CronSpec
    from symbi_lang.diagnostics import Diagnostic, Severity
    from symbi_lang.fmt import FormatResult, format_text
    from symbi_lang.ir import AgentDefinition, JobDefinition, JobSet
    from symbi_lang.render import Format, render

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AgentDefinition": "symbi_lang.ir",
    "Analysis": "symbi_lang.api",
    "CheckContext": "symbi_lang.api",
    "CronError": "symbi_lang.cron",
    "CronSpec": "symbi_lang.cron",
    "Diagnostic": "symbi_lang.diagnostics",
    "Format": "symbi_lang.render",
    "FormatResult": "symbi_lang.fmt",
    "JobDefinition": "symbi_lang.ir",
    "JobSet": "symbi_lang.ir",
    "Severity": "symbi_lang.diagnostics",
    "Source": "symbi_lang.api",
    "analyze": "symbi_lang.api",
    "analyze_paths": "symbi_lang.api",
    "check": "symbi_lang.api",
    "format_text": "symbi_lang.fmt",
    "lower": "symbi_lang.api",
    "parse": "symbi_lang.api",
    "render": "symbi_lang.render",
}

__all__ = [
    "AgentDefinition",
    "Analysis",
    "CheckContext",
    "CronError",
    "CronSpec",
    "Diagnostic",
    "Format",
    "FormatResult",
    "JobDefinition",
    "JobSet",
    "Severity",
    "Source",
    "__version__",
    "analyze",
    "analyze_paths",
    "check",
    "format_text",
    "lower",
    "parse",
    "render",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
