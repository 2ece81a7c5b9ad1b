"""`symbi cron backfill NAME --from ISO --to ISO [--overlap skip|allow|queue] [--dry-run] [--format]`.

Writes one `pending` run (trigger `backfill`) per fire in the range that has no run yet; a running
`symbi up` starts them on its next tick (see `symbi_runtime/backfill.py`). Exit 0 when done (fires that
already had a run are listed, not an error), 1 for an unknown job or a range that cannot be backfilled,
2 for usage errors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from symbi_runtime.backfill import Overlap
from symbi_runtime.cli.common import DB_HELP

# Options `cron backfill` and `cron explain` share.
FormatOption = Annotated[str, typer.Option("--format", help="table or json.")]
NowOption = Annotated[
    str | None, typer.Option("--now", help="Treat this ISO 8601 instant as now (scripts and tests).")
]
DbOption = Annotated[str | None, typer.Option("--db", help=DB_HELP)]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="symbi.toml to use.")]


def check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        typer.echo(f"symbi cron: error: --format {fmt}: expected table or json", err=True)
        raise typer.Exit(2)


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant given to `option` (naive = UTC); a bad one is a usage error (exit 2)."""
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        typer.echo(f"symbi cron: error: {option} {text}: not an ISO 8601 date-time", err=True)
        raise typer.Exit(2) from None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).astimezone(UTC)


def backfill_command(
    job: Annotated[str, typer.Argument(help="Job name or id.")],
    start_text: Annotated[str, typer.Option("--from", help="First fire to include (ISO 8601; naive = UTC).")],
    end_text: Annotated[
        str, typer.Option("--to", help="Last fire to include (ISO 8601; not in the future).")
    ],
    overlap: Annotated[
        Overlap, typer.Option("--overlap", help="When the job is at max_concurrent: skip, allow or queue.")
    ] = Overlap.QUEUE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be created; write nothing.")
    ] = False,
    fmt: FormatOption = "table",
    now_text: NowOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Run every fire of a job between --from and --to that has no run yet (trigger `backfill`)."""
    from symbi_runtime.backfill import BackfillAction, BackfillError, apply_backfill
    from symbi_runtime.cli import cron
    from symbi_runtime.cli.output import OutputFormat, render, to_json

    check_format(fmt)
    start, end = parse_instant(start_text, "--from"), parse_instant(end_text, "--to")
    now = parse_instant(now_text, "--now") if now_text else datetime.now(UTC)
    with cron._errors(), cron._store(db, config) as store:
        record = cron._require_job(store, job)
        try:
            done = apply_backfill(
                store, record, start, end, now=now, overlap=overlap, dry_run=dry_run, actor=cron._actor()
            )
        except BackfillError as e:
            raise cron.CliFailure(str(e)) from None
    rows = [r.to_dict() for r in done]
    if fmt == "json":
        cron._print(
            to_json({"job": record.name, "dry_run": dry_run, "overlap": overlap.value, "fires": rows})
        )
        return
    columns = _columns()
    cron._print(render(rows, columns, OutputFormat.TABLE, empty="no fires in that range"))
    created = sum(1 for r in done if r.action in (BackfillAction.CREATED, BackfillAction.WOULD_CREATE))
    verb = "would create" if dry_run else "created"
    typer.echo(
        f"{verb} {created} backfill run(s) for {record.name}; {len(rows) - created} already recorded",
        err=True,
    )


def _columns() -> Any:
    from symbi_runtime.cli.output import Column

    return [
        Column("scheduled_for", "FIRE (UTC)"),
        Column("action", "ACTION"),
        Column("status", "STATUS"),
        Column("trigger", "TRIGGER"),
        Column("run_id", "RUN"),
    ]
