"""Sessions read ahead by the claiming tick (`SessionWriteBehind.prefetch`) on a real SQLite store: a
prefetched session is used once, only while fresh, and never after this process saved, wrote or deleted
that session (so a run never gets an older summary than the store holds after its predecessor)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from symbi_runtime import pipeline
from symbi_runtime.pipeline import SessionWriteBehind
from symbi_runtime.store import SqliteStore

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def msg(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": text}]


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore.open(tmp_path / "s.db")
    s.save_session("job:a", msg("one"), now=T0)
    return s


async def test_a_prefetched_session_is_used_once(store: SqliteStore) -> None:
    wb = SessionWriteBehind(store)
    wb.prefetch(["job:a", "job:b"])
    store.delete_session("job:a")  # gone from the store: the answer below came from the read ahead
    assert await wb.load_session_batched("job:a") == msg("one")
    assert await wb.load_session_batched("job:b") == []
    assert await wb.load_session_batched("job:a") == []  # used once: now read from the store


async def test_saves_writes_and_deletes_drop_what_was_read_ahead(store: SqliteStore) -> None:
    wb = SessionWriteBehind(store)
    wb.prefetch(["job:a"])
    wb.save_session("job:a", msg("two"), now=T0)
    assert await wb.load_session_batched("job:a") == msg("two")  # the newer save wins

    wb.prefetch(["job:a"])  # nothing read: a save is pending
    store.save_session("job:a", msg("three"), now=T0)  # what the finishing transaction wrote
    wb.drain()
    assert await wb.load_session_batched("job:a") == msg("three")

    store.save_session("job:a", msg("four"), now=T0)
    wb.prefetch(["job:a"])
    wb.save_session("job:a", msg("five"), now=T0)
    store.save_session("job:a", msg("five"), now=T0)
    wb.drain()  # written: the read ahead ("four") is older than the store now
    assert await wb.load_session_batched("job:a") == msg("five")

    wb.prefetch(["job:a"])
    wb.delete_session("job:a")
    assert await wb.load_session_batched("job:a") == []


async def test_a_stale_read_ahead_is_not_used(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    wb = SessionWriteBehind(store)
    wb.prefetch(["job:a"])
    store.save_session("job:a", msg("changed elsewhere"), now=T0)
    monkeypatch.setattr(pipeline, "PREFETCH_SECONDS", -1.0)  # every read ahead is already too old
    assert await wb.load_session_batched("job:a") == msg("changed elsewhere")
