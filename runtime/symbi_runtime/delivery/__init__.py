"""Delivery: after a run finishes, its output goes to every channel the job names, one receipt each.

`DeliveryRouter` (and with it httpx and the channels) is imported on first use, so code that only needs
`DeliverySettings` (configuration loading, every CLI command) does not pay for the HTTP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from symbi_runtime.delivery.channel import ENTRY_POINT_GROUP, DeliveryChannel
from symbi_runtime.delivery.clock import DeliveryClock, SystemClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.settings import DeliverySettings

if TYPE_CHECKING:
    from symbi_runtime.delivery.router import DeliveryRouter

__all__ = [
    "ENTRY_POINT_GROUP",
    "DeliveryChannel",
    "DeliveryClock",
    "DeliveryMessage",
    "DeliveryReceipt",
    "DeliveryRouter",
    "DeliverySettings",
    "SystemClock",
]


def __getattr__(name: str) -> Any:
    if name == "DeliveryRouter":
        from symbi_runtime.delivery.router import DeliveryRouter

        return DeliveryRouter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
