"""While the scheduler runs, the heap it started with is frozen out of the cyclic collector (a full
collection would walk every loaded job again for each burst of fires), and given back when it stops;
a process that froze its heap itself keeps it frozen. Runs still execute and finish as usual."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime
from pathlib import Path

from symbi_runtime.clock import FakeClock
from symbi_runtime.config import Config
from symbi_runtime.runtime import Runtime

from symbi_lang.ir import JobDefinition, JobSet

T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


async def _run_one_fire(
    tmp_path: Path, seen: list[int], thresholds: list[tuple[int, int, int]] | None = None
) -> int:
    clock = FakeClock(T0)
    rt = Runtime(Config(), db_path=tmp_path / "gc.db", clock=clock, env={})
    rt.open()

    async def agent(call: object) -> str:
        seen.append(gc.get_freeze_count())
        if thresholds is not None:
            thresholds.append(gc.get_threshold())
        return "ok"

    rt.register_agent("a", agent)
    rt.load_jobset(JobSet(jobs=(JobDefinition(name="j", agent_id="a", cron_expr="0 * * * * *"),)))
    task = asyncio.create_task(rt.run())
    sched = rt.scheduler
    await sched.wait_until(lambda: sched.ticks >= 1)
    clock.advance(60)
    sched.wake()
    await sched.wait_until(lambda: rt.store.run_stats()["succeeded"] == 1)
    rt.stop()
    await task
    rt.close()
    return gc.get_freeze_count()


async def test_the_start_up_heap_is_frozen_while_running_and_given_back(tmp_path: Path) -> None:
    gc.unfreeze()
    seen: list[int] = []
    after = await _run_one_fire(tmp_path, seen)
    assert len(seen) == 1 and seen[0] > 0
    assert after == 0


async def test_full_collections_are_rarer_while_the_heap_is_frozen_and_restored_after(tmp_path: Path) -> None:
    """With the heap frozen, CPython's own brake on full collections holds nothing back; the runtime
    spaces them out itself while it runs, and leaves the process's thresholds as they were."""
    gc.unfreeze()
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        during: list[tuple[int, int, int]] = []
        await _run_one_fire(tmp_path, [], during)
        assert during == [(700, 10, 100)]
        assert gc.get_threshold() == (700, 10, 10)
        # A process that already asked for rarer full collections keeps its own setting.
        gc.set_threshold(500, 20, 400)
        during.clear()
        (tmp_path / "again").mkdir()
        await _run_one_fire(tmp_path / "again", [], during)
        assert during == [(500, 20, 400)]
        assert gc.get_threshold() == (500, 20, 400)
    finally:
        gc.set_threshold(*before)


async def test_a_heap_the_process_froze_itself_stays_frozen(tmp_path: Path) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        seen: list[int] = []
        after = await _run_one_fire(tmp_path, seen)
        # Not frozen again: nothing the runtime made joins the frozen heap (freed objects leave it), and it
        # is still frozen after the stop.
        assert len(seen) == 1 and 0 < seen[0] <= frozen
        assert 0 < after <= seen[0]
    finally:
        gc.unfreeze()
