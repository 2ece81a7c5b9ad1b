"""The `stdout` channel: a readable block per run on the runtime's console."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TextIO

from symbi_runtime.delivery.channel import succeeded
from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.settings import DeliverySettings


class StdoutChannel:
    """Prints job, run, status, output (and error) between two rules."""

    name = "stdout"

    def __init__(self, clock: DeliveryClock, stream: TextIO | None = None) -> None:
        self._clock = clock
        # None means "sys.stdout at delivery time", so redirections made after start-up are honoured.
        self._stream = stream

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(message.render_text())
        stream.flush()
        return succeeded(self.name, self._clock, "printed")
