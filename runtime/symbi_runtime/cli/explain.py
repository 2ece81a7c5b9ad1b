"""`symbi cron explain NAME [--at ISO] [--format table|json]`: every gate for the fire nearest --at.

Read-only. Exit 0 when explained, 1 for an unknown job, 2 for usage errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from symbi_runtime.cli.backfill import (
    ConfigOption,
    DbOption,
    FormatOption,
    NowOption,
    check_format,
    parse_instant,
)

_MARKS = {"passed": "✓", "stopped": "✗", "note": "·", "not_reached": "-"}


def explain_command(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    at_text: Annotated[
        str | None, typer.Option("--at", help="The instant to explain (ISO 8601; naive = UTC). Default: now.")
    ] = None,
    fmt: FormatOption = "table",
    now_text: NowOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Why did (or didn't) a job run at a time: every gate, in pipeline order, for the nearest fire."""
    from symbi_runtime.cli import cron
    from symbi_runtime.cli.output import to_json
    from symbi_runtime.explain import explain

    check_format(fmt)
    now = parse_instant(now_text, "--now") if now_text else datetime.now(UTC)
    at = parse_instant(at_text, "--at") if at_text else now
    cfg = cron._config(config)
    with cron._errors(), cron._store(db, config) as store:
        record = cron._require_job(store, job)
        result = explain(store, record, at, now, cfg)
        run_doc = cron.run_json(result.run) if result.run is not None else None
    doc = result.to_dict(run_doc)
    if fmt == "json":
        cron._print(to_json(doc))
        return
    when = "would be due" if result.future else "was due"
    lines = [f"{result.job}: fire {when} at {doc['fire'] or '(none)'} (nearest {at.isoformat()})"]
    if result.run is not None:
        lines.append(f"run {result.run.id}: {result.run.status} (trigger {result.run.trigger})")
    for i, g in enumerate(result.gates, start=1):
        lines.append(f"  {i}. {_MARKS[g.verdict.value]} {g.name}: {g.detail}")
    cron._print("\n".join(lines) + "\n")
