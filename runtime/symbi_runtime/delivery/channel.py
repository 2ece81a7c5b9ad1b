"""The contract every delivery channel meets, built-in or custom."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from symbi_runtime.delivery.clock import DeliveryClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.settings import DeliverySettings

ENTRY_POINT_GROUP = "symbi.delivery"


@runtime_checkable
class DeliveryChannel(Protocol):
    """Delivers one finished run somewhere.

    Return a receipt, or None for "delivered"; raising is allowed and becomes a failed receipt.
    """

    @property
    def name(self) -> str:
        """The name jobs use in `delivery: [...]`."""
        ...

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt | None:
        """Send `message`; resolve `${VAR}` in settings and job fields from `env` now, not earlier."""
        ...


def succeeded(channel: str, clock: DeliveryClock, detail: str, *, attempts: int = 1) -> DeliveryReceipt:
    """A receipt for a delivery that reached its destination."""
    return DeliveryReceipt(channel, True, attempts, detail, None, clock.now())


def failed(
    channel: str, clock: DeliveryClock, error: str, *, attempts: int = 0, detail: str = "not delivered"
) -> DeliveryReceipt:
    """A receipt for a delivery that did not reach its destination (`attempts` = tries made)."""
    return DeliveryReceipt(channel, False, attempts, detail, error, clock.now())
