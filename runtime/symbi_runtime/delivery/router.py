"""Routing a finished run to every channel its job names, one receipt per channel, never raising."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from importlib.metadata import EntryPoint, entry_points
from typing import Any, TextIO

from symbi_lang.interpolation import UnresolvedVariable
from symbi_runtime.delivery.channel import ENTRY_POINT_GROUP, DeliveryChannel, failed, succeeded
from symbi_runtime.delivery.channels.log_file import LogFileChannel
from symbi_runtime.delivery.channels.slack import SlackChannel
from symbi_runtime.delivery.channels.smtp import EmailChannel
from symbi_runtime.delivery.channels.stdout import StdoutChannel
from symbi_runtime.delivery.channels.webhook import WebhookChannel
from symbi_runtime.delivery.clock import DeliveryClock, SystemClock
from symbi_runtime.delivery.message import DeliveryMessage, DeliveryReceipt
from symbi_runtime.delivery.redaction import Secrets
from symbi_runtime.delivery.settings import DeliverySettings

logger = logging.getLogger("symbi_runtime.delivery")

DeliverFunction = Callable[[DeliveryMessage, DeliverySettings, Mapping[str, str]], Awaitable[Any]]


class DeliveryRouter:
    """Sends a run to each channel in `job.delivery` concurrently and returns their receipts.

    Channel lookup order: registered in-process, then built-in, then the `symbi.delivery` entry
    points (loaded on first use; pass `entry_points` to replace discovery, e.g. in tests).
    """

    def __init__(
        self,
        settings: DeliverySettings,
        env: Mapping[str, str],
        *,
        stdout: TextIO | None = None,
        clock: DeliveryClock | None = None,
        entry_points: Iterable[EntryPoint] | None = None,
    ) -> None:
        self._settings = settings
        self._env = env
        self._clock: DeliveryClock = clock if clock is not None else SystemClock()
        builtins: list[DeliveryChannel] = [
            StdoutChannel(self._clock, stdout),
            LogFileChannel(self._clock),
            WebhookChannel(self._clock),
            SlackChannel(self._clock),
            EmailChannel(self._clock),
        ]
        self._builtin: dict[str, DeliveryChannel] = {c.name: c for c in builtins}
        self._registered: dict[str, DeliveryChannel] = {}
        self._entry_points: dict[str, EntryPoint] | None = (
            None if entry_points is None else _by_name(entry_points)
        )
        # An entry point is loaded once; a broken one is remembered as its error message.
        self._loaded: dict[str, DeliveryChannel | str] = {}

    def register(self, name: str, channel: DeliveryChannel | DeliverFunction) -> None:
        """Make `channel` (an object with `deliver`, or an async function) available as `name`.

        A registered channel takes precedence over a built-in one of the same name.
        """
        self._registered[name] = _as_channel(name, channel)

    async def route(self, message: DeliveryMessage) -> list[DeliveryReceipt]:
        """Deliver `message` to every channel of its job (each named once), in the job's order."""
        names = list(dict.fromkeys(message.job.delivery))
        secrets = self._known_secrets(message)
        receipts = await asyncio.gather(*(self._deliver(name, message, secrets) for name in names))
        return list(receipts)

    async def _deliver(self, name: str, message: DeliveryMessage, secrets: Secrets) -> DeliveryReceipt:
        channel = self._channel(name)
        if isinstance(channel, str):
            receipt = failed(name, self._clock, channel)
        else:
            try:
                result = await channel.deliver(message, self._settings, self._env)
            except Exception as exc:
                # A channel's bug must not cost the other channels their delivery or the run its record.
                receipt = failed(name, self._clock, f"channel raised {type(exc).__name__}: {exc}", attempts=1)
            else:
                receipt = self._receipt_from(name, result)
        receipt = replace(
            receipt,
            detail=secrets.scrub(receipt.detail),
            error=None if receipt.error is None else secrets.scrub(receipt.error),
        )
        if receipt.ok:
            logger.info(
                "delivered run %s of %s via %s: %s", message.run_id, message.job.name, name, receipt.detail
            )
        else:
            logger.warning(
                "delivery of run %s of %s via %s failed: %s",
                message.run_id,
                message.job.name,
                name,
                receipt.error,
            )
        return receipt

    def channel_names(self) -> frozenset[str]:
        """Every channel name this router can deliver to (built-in, registered, entry points)."""
        return frozenset(self._builtin) | frozenset(self._registered) | frozenset(self._discovered())

    def _receipt_from(self, name: str, result: object) -> DeliveryReceipt:
        if result is None:
            return succeeded(name, self._clock, "delivered")
        if isinstance(result, DeliveryReceipt):
            return result if result.channel == name else replace(result, channel=name)
        return failed(
            name,
            self._clock,
            f"channel returned {type(result).__name__}; expected a DeliveryReceipt or None",
            attempts=1,
        )

    def _channel(self, name: str) -> DeliveryChannel | str:
        """The channel called `name`, or why there is none."""
        if name in self._registered:
            return self._registered[name]
        if name in self._builtin:
            return self._builtin[name]
        if name not in self._loaded:
            entry_point = self._discovered().get(name)
            if entry_point is None:
                return f"unknown delivery channel {name!r}"
            self._loaded[name] = _load(name, entry_point)
        return self._loaded[name]

    def _discovered(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = _by_name(entry_points(group=ENTRY_POINT_GROUP))
        return self._entry_points

    def _known_secrets(self, message: DeliveryMessage) -> Secrets:
        """Every secret this delivery could touch, to scrub from receipts whichever channel wrote them."""
        secrets = Secrets()
        settings = self._settings
        templates = [
            settings.webhook_auth_header,
            settings.slack_api_token,
            settings.smtp_username,
            settings.smtp_password,
            message.job.webhook_url,
            *(value for _, value in message.job.webhook_headers),
        ]
        for template in templates:
            if template:
                try:
                    secrets.resolve(template, self._env, secret=True)
                except UnresolvedVariable:
                    pass  # the channel that needs it reports the unset variable
        if settings.slack_webhook_url:
            try:
                secrets.add_url(secrets.resolve(settings.slack_webhook_url, self._env, secret=True))
            except UnresolvedVariable:
                pass
        return secrets


def _by_name(points: Iterable[EntryPoint]) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in points:
        if point.name in found:
            logger.warning(
                "delivery channel %r is provided by two entry points (%s, %s); using the first",
                point.name,
                found[point.name].value,
                point.value,
            )
            continue
        found[point.name] = point
    return found


def _load(name: str, entry_point: EntryPoint) -> DeliveryChannel | str:
    """The channel an entry point provides, or why it provides none."""
    try:
        target = entry_point.load()
        return _as_channel(name, target() if inspect.isclass(target) else target)
    except Exception as exc:
        return f"delivery channel {name!r} from entry point {entry_point.value!r} failed to load: " + (
            f"{type(exc).__name__}: {exc}"
        )


def _as_channel(name: str, target: object) -> DeliveryChannel:
    """Accept an object with an async `deliver`, or an async function taking (message, settings, env)."""
    deliver = getattr(target, "deliver", None)
    if deliver is not None and inspect.iscoroutinefunction(deliver):
        return _NamedChannel(name, deliver)
    if inspect.iscoroutinefunction(target):
        return _NamedChannel(name, target)
    raise TypeError(f"{type(target).__name__} is not a delivery channel (no async deliver method)")


class _NamedChannel:
    """Binds a custom channel's deliver function to the name jobs use for it."""

    def __init__(self, name: str, deliver: DeliverFunction) -> None:
        self.name = name
        self._deliver = deliver

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> Any:
        # Whatever comes back is checked by the router, which turns a wrong type into a failed receipt.
        return await self._deliver(message, settings, env)
