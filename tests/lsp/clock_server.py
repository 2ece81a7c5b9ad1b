"""`python clock_server.py START`: the symbi language server on stdio whose clock reads START (ISO 8601)
when first read and then runs at real speed: the injected clock of end-to-end tests of time-dependent
features."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

from symbi_lsp.server import create_server


class RunningClock:
    """Reads `start` when first asked, then runs at real speed (so start-up time does not count)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.began: float | None = None

    def __call__(self) -> datetime:
        if self.began is None:
            self.began = time.monotonic()
        return self.start + timedelta(seconds=time.monotonic() - self.began)


def main() -> None:
    server = create_server(clock=RunningClock(datetime.fromisoformat(sys.argv[1])))
    server.start_io()


if __name__ == "__main__":
    main()
