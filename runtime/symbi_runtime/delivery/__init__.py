"""Delivery: after a run finishes, its output goes to every channel the job names, one receipt each.

Every name below is imported on first use (PEP 562): code that only needs `DeliverySettings`
(configuration loading, every CLI command) pays neither for the HTTP stack behind `DeliveryRouter` nor
for the channel and message types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symbi_lang._lazy import lazy_exports

if TYPE_CHECKING:
    from symbi_runtime.delivery.channel import ENTRY_POINT_GROUP, DeliveryChannel
    from symbi_runtime.delivery.clock import DeliveryClock, SystemClock
    from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
    from symbi_runtime.delivery.router import DeliveryRouter
    from symbi_runtime.delivery.settings import DeliverySettings

_EXPORTS: dict[str, str] = {
    "ENTRY_POINT_GROUP": "symbi_runtime.delivery.channel",
    "DeliveryChannel": "symbi_runtime.delivery.channel",
    "DeliveryClock": "symbi_runtime.delivery.clock",
    "DeliveryMessage": "symbi_runtime.delivery.message",
    "DeliveryReceipt": "symbi_runtime.delivery.message",
    "DeliveryRouter": "symbi_runtime.delivery.router",
    "DeliverySettings": "symbi_runtime.delivery.settings",
    "SystemClock": "symbi_runtime.delivery.clock",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
