"""Delivery: after a run finishes, its output goes to every channel the job names, one receipt each."""

from symbi_runtime.delivery.channel import ENTRY_POINT_GROUP, DeliveryChannel
from symbi_runtime.delivery.clock import DeliveryClock, SystemClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.router import DeliveryRouter
from symbi_runtime.delivery.settings import DeliverySettings

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
