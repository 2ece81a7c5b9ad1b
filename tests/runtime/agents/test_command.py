"""Subprocess agents, against real `python -c` processes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from symbi_runtime.agents import AgentCall, AgentError, CommandAgent, CommandFailed, Message

PY = sys.executable


def agent(code: str, *extra: str) -> CommandAgent:
    return CommandAgent([PY, "-c", code, *extra], name="cmd")


async def test_input_on_stdin_and_stdout_is_the_output() -> None:
    out = await agent("import sys; print(sys.stdin.read().upper())").run(AgentCall("cmd", "héllo"))
    assert out == "HÉLLO"  # one trailing newline removed, UTF-8 both ways


async def test_only_one_trailing_newline_is_removed() -> None:
    out = await agent("print('a\\n')").run(AgentCall("cmd", ""))
    assert out == "a\n"


async def test_nonzero_exit_fails_with_trimmed_stderr() -> None:
    code = "import sys; print('partial'); sys.stderr.write('\\n  disk full  \\n'); sys.exit(3)"
    with pytest.raises(CommandFailed) as info:
        await agent(code).run(AgentCall("cmd", ""))
    assert str(info.value) == "disk full"
    assert info.value.returncode == 3


async def test_nonzero_exit_without_stderr_says_how_it_ended() -> None:
    with pytest.raises(AgentError, match=r"exited with status 7 \(no output on stderr\)"):
        await agent("import sys; sys.exit(7)").run(AgentCall("cmd", ""))


async def test_long_stderr_keeps_its_end() -> None:
    code = "import sys; sys.stderr.write('x' * 5000 + 'THE END'); sys.exit(1)"
    with pytest.raises(AgentError) as info:
        await agent(code).run(AgentCall("cmd", ""))
    assert str(info.value).endswith("THE END")
    assert len(str(info.value)) <= 2001


async def test_missing_program_is_a_clear_error() -> None:
    with pytest.raises(AgentError, match="command not found: /no/such/program"):
        await CommandAgent(["/no/such/program"], name="cmd").run(AgentCall("cmd", ""))


async def test_environment_carries_run_identity_and_messages() -> None:
    code = (
        "import json, os\n"
        "msgs = json.load(open(os.environ['SYMBI_MESSAGES_FILE']))\n"
        "print(json.dumps({k: os.environ.get(k) for k in "
        "('SYMBI_AGENT_ID','SYMBI_JOB_NAME','SYMBI_RUN_ID','SYMBI_ITERATION','EXTRA')} | {'messages': msgs,"
        " 'file': os.environ['SYMBI_MESSAGES_FILE']}))"
    )
    call = AgentCall(
        "cmd",
        "",
        messages=(Message("user", "q"), Message("assistant", "a")),
        job_name="nightly",
        run_id="run-1",
        iteration=4,
        env={"EXTRA": "yes", "PATH": os.environ.get("PATH", "")},
    )
    data = json.loads(await agent(code).run(call))
    assert data["SYMBI_AGENT_ID"] == "cmd"
    assert data["SYMBI_JOB_NAME"] == "nightly"
    assert data["SYMBI_RUN_ID"] == "run-1"
    assert data["SYMBI_ITERATION"] == "4"
    assert data["EXTRA"] == "yes"
    assert data["messages"] == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    assert not await asyncio.to_thread(os.path.exists, data["file"])  # removed after the call


async def test_argv_references_are_resolved_at_call_time() -> None:
    a = CommandAgent([PY, "-c", "import sys; print(sys.argv[1])", "${TARGET}"], name="cmd")
    assert await a.run(AgentCall("cmd", "", env={"TARGET": "prod-db"})) == "prod-db"
    with pytest.raises(AgentError, match="environment variable TARGET is not set"):
        await a.run(AgentCall("cmd", "", env={"OTHER": "1"}))


def _state(pid: int) -> str | None:
    """The /proc state letter of `pid`, or None when the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


async def test_cancellation_kills_the_process_group_and_reaps_the_child(tmp_path: Path) -> None:
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    # The child opens the FIFO, starts a grandchild holding the same write end, reports both pids,
    # then both sleep. The FIFO reaches EOF only once both writers are dead.
    code = (
        "import os, subprocess, sys, time\n"
        "f = open(sys.argv[1], 'w')\n"
        "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'],\n"
        "                     pass_fds=(f.fileno(),))\n"
        "f.write(f'{os.getpid()} {g.pid}\\n'); f.flush()\n"
        "time.sleep(120)\n"
    )
    task = asyncio.create_task(agent(code, str(fifo)).run(AgentCall("cmd", "")))
    reader = await asyncio.wait_for(asyncio.to_thread(open, fifo, "rb"), 20)
    try:
        line = await asyncio.wait_for(asyncio.to_thread(reader.readline), 20)
        child, grandchild = (int(x) for x in line.split())
        assert _state(child) not in (None, "Z")
        assert _state(grandchild) not in (None, "Z")

        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.wait_for(asyncio.to_thread(reader.read), 20) == b""
    finally:
        reader.close()
    assert _state(child) is None  # killed and reaped: no zombie
    # EOF means the grandchild closed its end, i.e. it is exiting; it may need a moment to finish,
    # and reaping an orphan is pid 1's job, so "gone or zombie" is the end state to wait for.
    for _ in range(500):
        if _state(grandchild) in (None, "Z"):
            break
        await asyncio.sleep(0.01)
    assert _state(grandchild) in (None, "Z")


async def test_timeout_kills_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    pids: list[int] = []
    original = asyncio.create_subprocess_exec

    async def recording(*args: Any, **kw: Any) -> asyncio.subprocess.Process:
        proc = await original(*args, **kw)
        pids.append(proc.pid)
        return proc

    monkeypatch.setattr(asyncio, "create_subprocess_exec", recording)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(agent("import time; time.sleep(120)").run(AgentCall("cmd", "")), 0.3)
    assert len(pids) == 1
    assert _state(pids[0]) is None


async def test_output_over_the_limit_kills_the_command() -> None:
    code = "import sys, time; sys.stdout.write('x' * 300_000); sys.stdout.flush(); time.sleep(120)"
    a = CommandAgent([PY, "-c", code], name="big", max_output_bytes=100_000)
    with pytest.raises(AgentError, match="output exceeds 100000 bytes; the command was killed"):
        await asyncio.wait_for(a.run(AgentCall("big", "")), 30)


async def test_cancelling_a_chatty_command_does_not_hang(tmp_path: Path) -> None:
    # After cancellation nobody reads the pipe any more; reaping must not wait for it to drain.
    fifo = tmp_path / "streaming"
    os.mkfifo(fifo)
    code = (
        "import sys\n"
        "for _ in range(32): sys.stdout.write('x' * 65536)\n"
        "sys.stdout.flush()\n"
        "open(sys.argv[1], 'w').write('streaming\\n')\n"
        "while True: sys.stdout.write('x' * 65536)\n"
    )
    chatty = CommandAgent([PY, "-c", code, str(fifo)], name="chatty", max_output_bytes=10**12)
    task = asyncio.create_task(chatty.run(AgentCall("chatty", "")))
    assert await asyncio.wait_for(asyncio.to_thread(fifo.read_text), 30) == "streaming\n"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)


async def test_large_input_to_a_command_that_does_not_read_it() -> None:
    out = await agent("print('ignored my input')").run(AgentCall("cmd", "z" * 5_000_000))
    assert out == "ignored my input"
