"""The log_file channel: one file per job, appended per run, confined to the log directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from symbi_runtime.delivery import DeliveryMessage, DeliveryRouter, DeliverySettings
from symbi_runtime.delivery.channels.log_file import log_file_name

MakeMessage = Callable[..., DeliveryMessage]


async def test_each_run_is_appended_to_the_jobs_own_file(
    tmp_path: Path, message_for: MakeMessage, clock: Any
) -> None:
    logs = tmp_path / "logs"
    router = DeliveryRouter(DeliverySettings(log_dir=logs), {}, clock=clock)
    [first] = await router.route(message_for("first output\n", delivery=("log_file",)))
    [second] = await router.route(message_for("second output\n", delivery=("log_file",), status="failed"))
    [other] = await router.route(message_for("other\n", name="backup", delivery=("log_file",)))

    assert first.ok and first.detail == "appended to report.log"
    assert second.ok and other.ok
    assert sorted(p.name for p in logs.iterdir()) == ["backup.log", "report.log"]
    text = (logs / "report.log").read_text()
    assert text.index("first output") < text.index("second output")
    assert text.count("=== symbi: job report · run run-0001") == 2
    assert "· failed ===" in text
    assert "other" not in text


async def test_the_log_directory_may_come_from_the_environment(
    tmp_path: Path, message_for: MakeMessage, clock: Any
) -> None:
    settings = DeliverySettings(log_dir=Path("${LOG_ROOT}/jobs"))
    router = DeliveryRouter(settings, {"LOG_ROOT": str(tmp_path)}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("log_file",)))
    assert receipt.ok and (tmp_path / "jobs" / "report.log").is_file()


async def test_a_job_name_that_tries_to_climb_out_stays_inside(
    tmp_path: Path, message_for: MakeMessage, clock: Any
) -> None:
    logs = tmp_path / "a" / "logs"
    router = DeliveryRouter(DeliverySettings(log_dir=logs), {}, clock=clock)
    [receipt] = await router.route(message_for(name="../../escaped", delivery=("log_file",)))
    assert receipt.ok
    [written] = list(logs.iterdir())
    assert written.name == log_file_name("../../escaped")
    assert written.name.startswith("_.._.._escaped-") and written.name.endswith(".log")
    assert not (tmp_path / "escaped.log").exists() and not (tmp_path / "a" / "escaped.log").exists()


def test_names_that_sanitise_alike_get_different_files() -> None:
    names = {log_file_name(n) for n in ("a/b", "a_b", "a b", ".hidden", "..")}
    assert len(names) == 5
    assert log_file_name("a_b") == "a_b.log"
    assert all("/" not in n and not n.startswith(".") for n in names)


async def test_a_symlink_pointing_out_of_the_log_directory_is_rejected(
    tmp_path: Path, message_for: MakeMessage, clock: Any
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    os.symlink(outside, logs / "report.log")
    router = DeliveryRouter(DeliverySettings(log_dir=logs), {}, clock=clock)

    [receipt] = await router.route(message_for(delivery=("log_file",)))

    assert not receipt.ok
    assert receipt.error == "log file for job 'report' resolves outside the log directory"
    assert outside.read_text() == "precious\n"


async def test_an_unwritable_log_directory_is_a_failed_receipt(
    tmp_path: Path, message_for: MakeMessage, clock: Any
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    router = DeliveryRouter(DeliverySettings(log_dir=blocker / "logs"), {}, clock=clock)
    [receipt] = await router.route(message_for(delivery=("log_file",)))
    assert not receipt.ok
    assert receipt.error is not None and receipt.error.startswith("cannot write the log file:")
