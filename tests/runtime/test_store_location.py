"""The one place that turns `--db` / `SYMBI_DB` / `symbi.toml` into a backend, and keeps URL secrets out
of what it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from symbi_runtime.config import load_config
from symbi_runtime.store import (
    Backend,
    PermanentStoreError,
    SqliteStore,
    StoreError,
    StoreLocationError,
    TransientStoreError,
    open_store,
    parse_location,
    redact,
    resolve_location,
)


@pytest.mark.parametrize(
    ("text", "backend"),
    [
        ("state.db", Backend.SQLITE),
        ("./dir/state.db", Backend.SQLITE),
        ("/abs/state.db", Backend.SQLITE),
        ("postgresql://symbi@db.example:5432/symbi", Backend.POSTGRESQL),
        ("postgres://symbi:pw@localhost/symbi", Backend.POSTGRESQL),
        ("POSTGRESQL://h/db", Backend.POSTGRESQL),
        ("postgresql:///symbi?host=/run/postgresql", Backend.POSTGRESQL),
    ],
)
def test_a_path_is_sqlite_and_a_postgres_url_is_postgresql(text: str, backend: Backend) -> None:
    assert parse_location(text).backend is backend


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mysql://u@h/db", "unsupported database URL scheme 'mysql'"),
        ("sqlite:///x.db", "unsupported database URL scheme 'sqlite'"),
        ("https://user:hunter2@h/db", "unsupported database URL scheme 'https'"),
        ("postgresql:/u@h/db", "malformed PostgreSQL URL"),
        ("postgresql://u@h:5432", "names no database"),
        ("   ", "is empty"),
    ],
)
def test_other_urls_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(StoreLocationError, match=message) as caught:
        parse_location(text)
    assert "hunter2" not in str(caught.value)


def test_passwords_never_show_when_a_location_is_printed() -> None:
    location = parse_location("postgresql://symbi:s3cret@db:5432/symbi?sslmode=require&password=other")
    shown = f"{location} {location!r}"
    assert "s3cret" not in shown and "other" not in shown
    assert str(location).startswith("postgresql://symbi:***@db:5432/symbi?")
    assert location.target.count("s3cret") == 1  # the driver still gets it
    assert redact("postgresql://symbi@db/symbi") == "postgresql://symbi@db/symbi"


def test_a_url_in_symbi_toml_is_kept_as_written(tmp_path: Path) -> None:
    toml = tmp_path / "symbi.toml"
    toml.write_text('[scheduler]\njob_store = "postgresql"\njob_store_path = "postgresql://u@h:5432/db"\n')
    location = resolve_location(None, load_config(toml, {}), {})
    assert location.backend is Backend.POSTGRESQL
    assert location.target == "postgresql://u@h:5432/db"


def test_job_store_postgresql_without_a_url_is_an_error(tmp_path: Path) -> None:
    toml = tmp_path / "symbi.toml"
    toml.write_text('[scheduler]\njob_store = "postgresql"\njob_store_path = "local.db"\n')
    with pytest.raises(StoreLocationError, match="needs job_store_path = 'postgresql://"):
        resolve_location(None, load_config(toml, {}), {})
    toml.write_text('[scheduler]\njob_store = "postgresql"\n')
    with pytest.raises(StoreLocationError, match="needs job_store_path"):
        resolve_location(None, load_config(toml, {}), {})


def test_sqlite_errors_are_classified(tmp_path: Path) -> None:
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(PermanentStoreError, match="not a symbi database"):
        open_store(bad)
    with pytest.raises(PermanentStoreError, match="cannot open database"):
        open_store(tmp_path)  # a directory
    assert issubclass(TransientStoreError, StoreError) and TransientStoreError.transient
    assert not PermanentStoreError.transient


def test_a_read_only_database_is_a_permanent_error(tmp_path: Path, job) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from symbi_runtime.store.sqlite import _raise_translated

    db = tmp_path / "ro.db"
    SqliteStore.open(db).close()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(PermanentStoreError, match="read-only"):
        _raise_translated(raised.value, "database ro.db")
    busy = sqlite3.OperationalError("database is locked")
    with pytest.raises(TransientStoreError, match="database is locked"):
        _raise_translated(busy, "database ro.db")


def test_cron_add_with_another_url_scheme_is_a_clear_error_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from symbi_runtime.cli.cron import app
    from typer.testing import CliRunner

    monkeypatch.chdir(tmp_path)
    doc = '{"name": "j", "agent_id": "a", "cron_expr": "0 * * * * *"}'
    result = CliRunner().invoke(app, ["add", "--json", doc, "--db", "mysql://root:pw@h/db"])
    assert result.exit_code == 1
    assert "unsupported database URL scheme 'mysql'" in result.output
    assert "pw@" not in result.output
    assert list(tmp_path.iterdir()) == []  # no folder named 'mysql:' and no SQLite file
