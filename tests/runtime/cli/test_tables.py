"""Every CLI table at the widths people use (COLUMNS=80/120/200): nothing exact is ever cut, columns give
way in their stated order, and `--wide` shows everything. Snapshots (syrupy) pin the look; the
assertions pin the rules. Update snapshots with `pytest --snapshot-update` after a deliberate change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from symbi_runtime.cli import cron
from symbi_runtime.cli.audit import app as audit_app
from symbi_runtime.cli.cron import app as cron_app
from symbi_runtime.cli.table import Column, Fit, fit, key_value_lines, shorten, table_lines
from symbi_runtime.store import NewRun, RunOutcome, SqliteStore
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner, Result

from symbi_lang.ir import JobDefinition

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WIDTHS = (80, 120, 200)
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ")
LONG_NAME = "heartbeat-monitor-for-the-payments-cluster"
JOBS = (
    JobDefinition(LONG_NAME, "heartbeat-watcher", cron_expr="*/20 * * * * *"),
    JobDefinition("daily-report", "reporter-agent", cron_expr="0 0 9 * * 1-5", timezone="Europe/Paris"),
    JobDefinition("sync", "sync-agent", cron_expr="0 */5 * * * *"),
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """Three jobs (one paused, one with a long name) with a succeeded and a failed run each."""
    path = tmp_path / "symbi.db"
    store = SqliteStore.open(path)
    try:
        for job in JOBS:
            store.upsert_job(job, now=T0)
            outcomes = (
                ("succeeded", "report sent to #ops with 14 rows", None),
                ("failed", None, "exit 3: disk full"),
            )
            for i, (status, output, error) in enumerate(outcomes):
                at = T0 + timedelta(hours=i)
                run = store.insert_run(job.name, NewRun(at, "manual", "running"), now=at)
                store.finish_runs(
                    [RunOutcome(run.id, status, output=output, error=error)],
                    now=T0 + timedelta(hours=i, seconds=3),
                    default_max_retries=3,
                )
        paused_at = T0 + timedelta(hours=2)
        store.set_job_status("sync", "paused", now=paused_at, actor="cli:operator-with-a-long-name")
    finally:
        store.close()
    yield path


def _ids(db: Path) -> dict[str, str]:
    """Each job's id and each job's and run's 8-character id prefix -> a stand-in of the same width."""
    store = SqliteStore.open(db)
    try:
        out = {}
        for n, job in enumerate(store.list_jobs()):
            out[job.id] = f"job{n:05d}-0000-0000-0000-000000000000"
            out[job.id[:8]] = f"job{n:05d}"
            for m, run in enumerate(store.list_runs(job=job.id, limit=100)):
                out[run.id[:8]] = f"run{n}{m:04d}"
        return out
    finally:
        store.close()


def _stable(text: str, ids: dict[str, str]) -> str:
    for real, stand_in in ids.items():
        text = text.replace(real, stand_in)
    return text


def run(app: object, db: Path, columns: int, *args: str) -> Result:
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "SYMBI_DB": None}
    result = CliRunner().invoke(app, [*args, "--db", str(db)], env=env)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.stderr
    return result


def _assert_fits(text: str, columns: int) -> None:
    for line in text.splitlines():
        assert len(line) <= columns, f"{len(line)} > {columns}: {line!r}"


@pytest.mark.parametrize("columns", WIDTHS)
def test_cron_list(db: Path, columns: int, snapshot: SnapshotAssertion) -> None:
    text = run(cron_app, db, columns, "list").stdout
    _assert_fits(text, columns)
    ids = _ids(db)
    job_prefixes = [prefix for prefix, stand_in in ids.items() if len(prefix) == 8 and stand_in[:3] == "job"]
    assert len(job_prefixes) == 3 and all(prefix in text for prefix in job_prefixes)
    assert text.count(" active ") == 2 and text.count(" paused ") == 1  # whole statuses
    rows = text.splitlines()[1:4]
    assert all(TIMESTAMP.search(row) for row in rows if " active " in row)  # whole next-run times
    assert "heartbeat-" in text and ("…" in text) == (columns < 200)  # names shortened, not cut
    assert _stable(text, ids) == snapshot


def test_cron_list_drops_columns_in_the_stated_order(db: Path) -> None:
    headings = {w: run(cron_app, db, w, "list").stdout.splitlines()[0].split("  ") for w in WIDTHS}
    shown = {w: [h.strip() for h in hs if h.strip()] for w, hs in headings.items()}
    everything = ["ID", "NAME", "AGENT", "SCHEDULE", "STATUS", "NEXT RUN (UTC)", "LAST RUN (UTC)"]
    everything += ["LAST STATUS", "FAILURES"]
    assert shown[200] == everything
    assert shown[120] == [h for h in everything if h != "LAST RUN (UTC)"]
    assert shown[80] == ["ID", "NAME", "STATUS", "NEXT RUN (UTC)"]
    note = " ".join(run(cron_app, db, 80, "list").stdout.splitlines()[-2:])
    assert note == (
        "(hidden to fit 80 columns: LAST RUN (UTC), LAST STATUS, AGENT, FAILURES, SCHEDULE; "
        "--wide shows them)"
    )


def test_wide_shows_every_column_in_full(db: Path) -> None:
    text = run(cron_app, db, 80, "list", "--wide").stdout
    assert LONG_NAME in text and "FAILURES" in text
    assert "hidden" not in text and "…" not in text


@pytest.mark.parametrize("columns", WIDTHS)
def test_cron_history(db: Path, columns: int, snapshot: SnapshotAssertion) -> None:
    text = run(cron_app, db, columns, "history", "daily-report").stdout
    _assert_fits(text, columns)
    assert "succeeded" in text and "failed" in text
    assert len(TIMESTAMP.findall(text)) == 2
    assert _stable(text, _ids(db)) == snapshot


@pytest.mark.parametrize("columns", WIDTHS)
def test_cron_status(
    db: Path, columns: int, snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cron, "_now", lambda: T0 + timedelta(hours=3))  # pin the CLI's clock
    text = run(cron_app, db, columns, "status", "daily-report", "--history", "2").stdout
    _assert_fits(text, columns)
    assert _stable(text, _ids(db)) == snapshot


@pytest.mark.parametrize("columns", WIDTHS)
def test_audit(db: Path, columns: int, snapshot: SnapshotAssertion) -> None:
    text = run(audit_app, db, columns, "--limit", "6").stdout
    _assert_fits(text, columns)
    assert len(TIMESTAMP.findall(text)) == 6
    assert _stable(text, _ids(db)) == snapshot


def test_an_overdue_next_run_asks_whether_a_scheduler_runs(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cron, "_now", lambda: T0 + timedelta(days=3))
    text = run(cron_app, db, 120, "status", "daily-report").stdout
    assert "(overdue — is a scheduler running on this store?)" in text
    monkeypatch.setattr(cron, "_now", lambda: T0)
    assert "overdue" not in run(cron_app, db, 120, "status", "daily-report").stdout


# --- the layout rules, without a store ------------------------------------------------------------

COLUMNS = (
    Column("id", "ID"),
    Column("name", "NAME", fit=Fit.ELLIPSIS, min_width=6),
    Column("when", "WHEN"),
    Column("extra", "EXTRA", drop=1),
)
CELLS = [["abcd1234", "a-rather-long-name", "2026-03-02 12:00:00Z", "x" * 10]]


def test_whole_columns_are_never_cut_even_when_nothing_fits() -> None:
    layout = fit(COLUMNS, CELLS, 10)
    assert layout.hidden == ("EXTRA",)
    lines = table_lines(COLUMNS, CELLS, 10)
    assert "abcd1234" in lines[1] and "2026-03-02 12:00:00Z" in lines[1] and "a-rat…" in lines[1]


def test_spare_room_goes_back_to_shortened_names() -> None:
    natural = fit(COLUMNS, CELLS, None)
    assert natural.widths == (8, 18, 20, 10)
    layout = fit(COLUMNS, CELLS, 56)
    assert layout.hidden == () and layout.widths == (8, 12, 20, 10)
    assert shorten("a-rather-long-name", 12) == "a-rather-lo…" and shorten("short", 12) == "short"


def test_wide_characters_count_as_two_cells() -> None:
    assert shorten("日本語の名前", 7) == "日本語…"


def test_key_values_wrap_long_values_under_themselves() -> None:
    lines = key_value_lines([("id", "x"), ("description", "word " * 20)], 40)
    assert lines[0] == "id           x"
    assert all(len(line) <= 40 for line in lines)
    assert all(line.startswith(" " * 13 + "word") for line in lines[2:])
    assert " ".join(" ".join(line.split()) for line in lines[1:]) == "description " + ("word " * 20).strip()
