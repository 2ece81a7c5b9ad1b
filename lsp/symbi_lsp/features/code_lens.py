"""Code lens above each schedule: `next run: Tue 2026-11-24 09:00 UTC (in 3h)`, refreshed when it goes by."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from lsprotocol import types

from symbi_lsp.documents import ParsedDocument
from symbi_lsp.timing import Timing, format_time, relative, schedule_timing

log = logging.getLogger(__name__)

#: A lens that only shows text: clients display it without making it clickable.
NO_COMMAND = ""


def lens_title(timing: Timing, now: datetime) -> str:
    """The text of a schedule's lens."""
    if timing.error is not None:
        return f"next run: unknown ({timing.error})"
    if not timing.fires:
        return "next run: none (the time is in the past)" if timing.kind == "at" else "next run: never"
    first = timing.fires[0]
    return f"next run: {format_time(first)} ({relative(first, now)})"


def code_lenses(doc: ParsedDocument, now: datetime) -> list[types.CodeLens]:
    """One lens per schedule that has a `cron` or `at` value."""
    lenses: list[types.CodeLens] = []
    for block in doc.module.schedules:
        timing = schedule_timing(block, now, 1)
        if timing is None:
            continue
        lenses.append(
            types.CodeLens(
                range=doc.lines.lsp_range(block.kind_span),
                command=types.Command(title=lens_title(timing, now), command=NO_COMMAND),
            )
        )
    return lenses


def next_change(doc: ParsedDocument, now: datetime) -> datetime | None:
    """When `doc`'s lenses stop being true: the earliest next run they show (None: no run coming)."""
    fires = []
    for block in doc.module.schedules:
        timing = schedule_timing(block, now, 1)
        if timing is not None and timing.error is None and timing.fires:
            fires.append(timing.fires[0])
    return min(fires, default=None)


#: Seconds after a next run before asking for new lenses (the run has then surely gone by).
REFRESH_MARGIN = 0.5


class LensRefresh:
    """Asks the client for new code lenses (`workspace/codeLens/refresh`) when the earliest next run
    shown in any document goes by, so that `next run: … (in 3s)` does not stay on screen afterwards.

    Times come from the server's clock (injectable); the wait is real time on the event loop. The client
    re-requests lenses after a refresh, which records the following next runs here.
    """

    def __init__(self, clock: Callable[[], datetime], refresh: Callable[[], object]) -> None:
        self._clock = clock
        self._refresh = refresh
        self._due: dict[str, datetime] = {}
        self._timer: asyncio.TimerHandle | None = None

    def shown(self, uri: str, due: datetime | None) -> None:
        """The lenses of `uri` were sent; they change at `due`."""
        if due is None:
            self._due.pop(uri, None)
        else:
            self._due[uri] = due
        self._reschedule()

    def forget(self, uri: str) -> None:
        """`uri` was closed: its lenses are no longer on screen."""
        self._due.pop(uri, None)
        self._reschedule()

    def _reschedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving (a direct call in a test): nothing to wake up
            return
        wait = (min(self._due.values()) - self._clock()).total_seconds() + REFRESH_MARGIN
        self._timer = loop.call_later(max(0.0, wait), self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = self._clock()
        passed = [uri for uri, due in self._due.items() if due <= now]
        for uri in passed:
            del self._due[uri]
        if passed:
            try:
                self._refresh()
            except Exception:  # a timer has nobody to report to: log instead of losing it
                log.exception("asking the client to refresh code lenses failed")
        self._reschedule()
