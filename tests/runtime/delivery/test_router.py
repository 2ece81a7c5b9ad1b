"""The router: channel lookup (in-process, built-in, entry points), isolation of failures, receipts."""

from __future__ import annotations

import asyncio
import importlib
import io
import textwrap
from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from symbi_runtime.delivery import (
    ENTRY_POINT_GROUP,
    DeliveryMessage,
    DeliveryReceipt,
    DeliveryRouter,
    DeliverySettings,
)

MakeMessage = Callable[..., DeliveryMessage]


class Pager:
    """A custom channel object, as a plugin would write it."""

    name = "pager"

    def __init__(self) -> None:
        self.seen: list[tuple[DeliveryMessage, Mapping[str, str]]] = []

    async def deliver(
        self, message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]
    ) -> DeliveryReceipt | None:
        self.seen.append((message, env))
        return None


async def test_a_channel_registered_in_process_receives_the_run(message_for: MakeMessage, clock: Any) -> None:
    pager = Pager()
    router = DeliveryRouter(DeliverySettings(), {"X": "1"}, clock=clock)
    router.register("pager", pager)
    message = message_for("paged output", delivery=("pager",))

    [receipt] = await router.route(message)

    assert (receipt.channel, receipt.ok, receipt.detail) == ("pager", True, "delivered")
    [(seen, env)] = pager.seen
    assert seen is message and env == {"X": "1"}


async def test_an_async_function_can_be_a_channel_and_its_receipt_is_kept(
    message_for: MakeMessage, clock: Any
) -> None:
    async def ticket(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> Any:
        return DeliveryReceipt("whatever", True, 2, "ticket T-42 opened", None, clock.now())

    router = DeliveryRouter(DeliverySettings(), {}, clock=clock)
    router.register("ticket", ticket)
    [receipt] = await router.route(message_for(delivery=("ticket",)))
    assert receipt.to_dict() == {
        "channel": "ticket",  # renamed to the name the job used
        "ok": True,
        "attempts": 2,
        "detail": "ticket T-42 opened",
        "error": None,
        "delivered_at": "2026-03-02T12:00:00+00:00",
    }
    assert DeliveryReceipt.from_dict(receipt.to_dict()) == receipt


async def test_a_registered_channel_replaces_a_builtin_of_the_same_name(
    message_for: MakeMessage, clock: Any
) -> None:
    stream = io.StringIO()
    pager = Pager()
    router = DeliveryRouter(DeliverySettings(), {}, clock=clock, stdout=stream)
    router.register("stdout", pager)
    [receipt] = await router.route(message_for(delivery=("stdout",)))
    assert receipt.ok and len(pager.seen) == 1 and stream.getvalue() == ""


def test_registering_something_that_is_not_a_channel_is_refused(clock: Any) -> None:
    router = DeliveryRouter(DeliverySettings(), {}, clock=clock)
    with pytest.raises(TypeError, match="not a delivery channel"):
        router.register("bad", object())  # type: ignore[arg-type]


@pytest.fixture
def plugin_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module providing channels, as an installed plugin package would."""
    name = "symbi_test_plugin_channels"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            DELIVERED = []

            class Carrier:
                name = "carrier"

                async def deliver(self, message, settings, env):
                    DELIVERED.append(("carrier", message.run_id))

            async def beacon(message, settings, env):
                DELIVERED.append(("beacon", message.output))

            def not_async(message, settings, env):
                return None
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


async def test_entry_point_channels_are_loaded_once_on_first_use(
    plugin_module: str, message_for: MakeMessage, clock: Any
) -> None:
    points = [
        _ep("carrier", f"{plugin_module}:Carrier"),  # a class: instantiated
        _ep("beacon", f"{plugin_module}:beacon"),  # an async function
        _ep("beacon", f"{plugin_module}:not_async"),  # a duplicate name: the first one wins
    ]
    router = DeliveryRouter(DeliverySettings(), {}, clock=clock, entry_points=points)

    receipts = await router.route(message_for("beep", delivery=("carrier", "beacon")))
    again = await router.route(message_for("beep again", delivery=("carrier",)))

    assert [(r.channel, r.ok) for r in receipts + again] == [
        ("carrier", True),
        ("beacon", True),
        ("carrier", True),
    ]

    module = importlib.import_module(plugin_module)
    assert module.DELIVERED == [("carrier", "run-0001"), ("beacon", "beep"), ("carrier", "run-0001")]


async def test_a_broken_entry_point_is_a_failed_receipt_not_a_crash(
    plugin_module: str, message_for: MakeMessage, clock: Any
) -> None:
    points = [
        _ep("missing", "symbi_no_such_module_xyz:Thing"),
        _ep("sync", f"{plugin_module}:not_async"),
    ]
    router = DeliveryRouter(DeliverySettings(), {}, clock=clock, entry_points=points)
    missing, sync, unknown = await router.route(message_for(delivery=("missing", "sync", "carrier_pigeon")))
    assert not missing.ok and missing.error is not None
    assert missing.error.startswith(
        "delivery channel 'missing' from entry point 'symbi_no_such_module_xyz:Thing' failed to load: "
        "ModuleNotFoundError"
    )
    assert not sync.ok and sync.error is not None and "no async deliver method" in sync.error
    assert not unknown.ok and unknown.error == "unknown delivery channel 'carrier_pigeon'"


async def test_one_failing_channel_never_stops_the_others_nor_loses_the_output(
    tmp_path: Path, httpserver: HTTPServer, message_for: MakeMessage, clock: Any
) -> None:
    httpserver.expect_request("/hook").respond_with_data("ok")
    stream = io.StringIO()

    async def explode(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> None:
        raise RuntimeError("pager service exploded")

    async def wrong(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> str:
        return "sent!"

    router = DeliveryRouter(
        DeliverySettings(log_dir=tmp_path / "logs", webhook_retry_attempts=1),
        {},
        clock=clock,
        stdout=stream,
    )
    router.register("explode", explode)
    router.register("wrong", wrong)
    message = message_for(
        "the precious output\n",
        delivery=("explode", "stdout", "email", "wrong", "log_file", "webhook", "stdout"),
        webhook_url=httpserver.url_for("/hook"),
    )

    receipts = await router.route(message)

    assert [(r.channel, r.ok) for r in receipts] == [
        ("explode", False),
        ("stdout", True),
        ("email", False),
        ("wrong", False),
        ("log_file", True),
        ("webhook", True),
    ]  # each channel once, in the job's order
    assert receipts[0].error == "channel raised RuntimeError: pager service exploded"
    assert receipts[0].attempts == 1
    assert receipts[3].error == "channel returned str; expected a DeliveryReceipt or None"
    assert message.output == "the precious output\n"
    assert "the precious output" in stream.getvalue()
    assert "the precious output" in (tmp_path / "logs" / "report.log").read_text()
    assert httpserver.log[0][0].get_json()["output"] == "the precious output\n"


async def test_channels_are_delivered_concurrently(message_for: MakeMessage, clock: Any) -> None:
    a_started, b_started = asyncio.Event(), asyncio.Event()

    async def a(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> None:
        a_started.set()
        await b_started.wait()

    async def b(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> None:
        b_started.set()
        await a_started.wait()

    router = DeliveryRouter(DeliverySettings(), {}, clock=clock)
    router.register("a", a)
    router.register("b", b)
    # Sequential delivery would deadlock here; the timeout only turns that bug into a failure.
    receipts = await asyncio.wait_for(router.route(message_for(delivery=("a", "b"))), timeout=10)
    assert all(r.ok for r in receipts)


async def test_secrets_in_a_custom_channels_error_are_scrubbed(message_for: MakeMessage, clock: Any) -> None:
    async def leaky(message: DeliveryMessage, settings: DeliverySettings, env: Mapping[str, str]) -> None:
        raise ValueError(f"could not auth with {env['HOOK_TOKEN']} or {env['SMTP_PASS']}")

    settings = DeliverySettings(smtp_password="${SMTP_PASS}")
    router = DeliveryRouter(settings, {"HOOK_TOKEN": "tok-abcdef", "SMTP_PASS": "pw-123456"}, clock=clock)
    router.register("leaky", leaky)
    message = message_for(
        delivery=("leaky",),
        webhook_url="http://127.0.0.1:9/x",
        webhook_headers=(("Authorization", "Bearer ${HOOK_TOKEN}"),),
    )
    [receipt] = await router.route(message)
    assert receipt.error == "channel raised ValueError: could not auth with *** or ***"


async def test_stdout_prints_a_readable_block(message_for: MakeMessage, clock: Any) -> None:
    stream = io.StringIO()
    router = DeliveryRouter(DeliverySettings(), {}, clock=clock, stdout=stream)
    [receipt] = await router.route(message_for("hello\n", delivery=("stdout",)))
    assert receipt.ok and receipt.detail == "printed"
    assert stream.getvalue() == (
        "=== symbi: job report · run run-0001 · succeeded ===\n"
        "agent: reporter\n"
        "scheduled_for: 2026-03-02T12:00:00+00:00\n"
        "started_at: 2026-03-02T12:00:01+00:00\n"
        "finished_at: 2026-03-02T12:00:03+00:00\n"
        "--- output ---\n"
        "hello\n"
        "=== end of run run-0001 ===\n"
    )
