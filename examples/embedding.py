"""Embedding the symbi runtime in a Python application. Run it: `python examples/embedding.py`.

It registers an in-process agent with a decorator, loads a schedule given as text, runs the job once on
demand, then lets the scheduler fire it every second while reacting to run events as they happen, pauses
and resumes it, and stops by itself after three scheduled runs. The store is a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from symbi_runtime import AgentCall, Lagged, RunEventKind, Runtime, Subscription

SCHEDULES = """
schedule {
  name: "status-report"
  agent: "reporter"
  cron: "* * * * * *"  # every second, to keep the tour short
  input: "system status"
}
"""

SCHEDULED_RUNS = 3


async def watch(rt: Runtime, events: Subscription) -> int:
    """React to run transitions without polling; stop the runtime after a few scheduled successes."""
    succeeded = 0
    async for event in events:
        if isinstance(event, Lagged):
            print(f"(missed {event.dropped} events; re-read rt.history() for the full record)")
            continue
        print(f"  event: {event.job_name} {event.kind} ({event.trigger})")
        if event.kind is RunEventKind.SUCCEEDED and event.trigger == "schedule":
            succeeded += 1
            if succeeded == SCHEDULED_RUNS:
                rt.stop()
    return succeeded


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        async with Runtime(db_path=Path(tmp) / "state.db") as rt:
            count = 0

            @rt.agent("reporter")
            async def reporter(call: AgentCall) -> str:
                nonlocal count
                count += 1
                return f"report #{count} on {call.input}"

            for loaded in rt.load_text(SCHEDULES, path="embedded.symbi"):
                print(f"{loaded.outcome} {loaded.name} ({loaded.record.status})")

            run = await rt.run_now("status-report", input="on demand")
            print(f"manual run {run.status}: {run.output}")

            rt.pause("status-report")
            print(f"paused: {rt.job('status-report').status}")
            rt.resume("status-report")
            print(f"resumed: {rt.job('status-report').status}")

            events = rt.events()  # subscribe before the scheduler starts, so no transition is missed
            watcher = asyncio.create_task(watch(rt, events))
            await asyncio.wait_for(rt.run(), timeout=30)
            events.close()
            succeeded = await watcher

            print("history, newest first:")
            for past in rt.history("status-report", limit=10):
                print(f"  {past.trigger:<8} {past.status:<9} {past.output}")
            print(f"{succeeded} scheduled runs succeeded")
            return 0 if succeeded == SCHEDULED_RUNS else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
