"""In-process callables and `handler: "pkg.mod:func"` bindings."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from symbi_runtime.agents import AgentCall, AgentError, CallableAgent, Message, load_handler


def call(text: str = "hello", **kw: object) -> AgentCall:
    return AgentCall(agent_id="a", input=text, **kw)  # type: ignore[arg-type]


async def test_async_callable_receives_the_call() -> None:
    seen: list[AgentCall] = []

    async def agent(c: AgentCall) -> str:
        seen.append(c)
        return c.input.upper()

    c = call("hi", messages=(Message("user", "before"),), job_name="j", run_id="r1", iteration=2)
    assert await CallableAgent(agent).run(c) == "HI"
    assert seen == [c]


async def test_sync_callable_runs_in_a_worker_thread() -> None:
    threads: list[int] = []

    def agent(c: AgentCall) -> str:
        threads.append(threading.get_ident())
        return f"{c.input}!"

    assert await CallableAgent(agent).run(call("x")) == "x!"
    assert threads and threads[0] != threading.get_ident()


async def test_str_annotation_gets_the_input_and_zero_args_gets_nothing() -> None:
    def text_agent(text: str) -> str:
        return text[::-1]

    def no_args() -> str:
        return "constant"

    assert await CallableAgent(text_agent).run(call("abc")) == "cba"
    assert await CallableAgent(no_args).run(call("abc")) == "constant"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (b"bytes", "bytes"), ({"a": 1}, '{"a": 1}'), ([1, 2], "[1, 2]"), (3, "3")],
)
async def test_return_values_become_text(value: object, expected: str) -> None:
    assert await CallableAgent(lambda: value).run(call()) == expected


async def test_unsupported_return_value_is_a_clear_error() -> None:
    with pytest.raises(AgentError, match="returned object; expected str"):
        await CallableAgent(lambda: object(), name="odd").run(call())


async def test_exceptions_become_agent_errors_with_type_and_message() -> None:
    async def broken(c: AgentCall) -> str:
        raise ValueError("database unreachable")

    with pytest.raises(AgentError) as info:
        await CallableAgent(broken).run(call())
    assert str(info.value) == "ValueError: database unreachable"
    assert isinstance(info.value.__cause__, ValueError)


async def test_cancellation_propagates_unchanged() -> None:
    started = asyncio.Event()

    async def slow(c: AgentCall) -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    task = asyncio.create_task(CallableAgent(slow).run(call()))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_callables_taking_two_required_arguments_are_rejected() -> None:
    def two(a: str, b: str) -> str:
        return a + b

    with pytest.raises(TypeError, match="at most one argument"):
        CallableAgent(two)


def write_module(tmp_path: Path, name: str, body: str) -> Path:
    (tmp_path / f"{name}.py").write_text(body, encoding="utf-8")
    return tmp_path


async def test_load_handler_imports_from_search_paths(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "symbi_test_handler_ok",
        "class Bot:\n    @staticmethod\n    async def run(c):\n        return 'bot:' + c.input\n"
        "def plain(text: str) -> str:\n    return text * 2\n",
    )
    fn = load_handler("symbi_test_handler_ok:plain", search_paths=[tmp_path])
    assert await CallableAgent(fn).run(call("ab")) == "abab"
    method = load_handler("symbi_test_handler_ok:Bot.run", search_paths=[tmp_path])
    assert await CallableAgent(method).run(call("x")) == "bot:x"
    assert str(tmp_path) not in __import__("sys").path  # the search path was only added while importing


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no_colon_here", "is not of the form 'package.module:function'"),
        ("mod:", "is not of the form"),
        ("symbi_no_such_module_xyz:f", "cannot import module 'symbi_no_such_module_xyz'"),
        ("symbi_test_handler_bad:missing", "has no attribute 'missing'"),
        ("symbi_test_handler_bad:VALUE", "is not callable (it is a int)"),
        ("symbi_test_handler_raises:f", "importing 'symbi_test_handler_raises' failed: RuntimeError: boom"),
    ],
)
def test_load_handler_errors_are_clear(tmp_path: Path, path: str, message: str) -> None:
    write_module(tmp_path, "symbi_test_handler_bad", "VALUE = 3\n")
    write_module(tmp_path, "symbi_test_handler_raises", "raise RuntimeError('boom')\n")
    with pytest.raises(AgentError) as info:
        load_handler(path, search_paths=[tmp_path])
    assert message in str(info.value)


def test_a_stuck_sync_agent_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    # After max_runtime cancels it, a blocked sync agent must not hold up the event loop's or the
    # interpreter's shutdown (the default executor's threads would be joined).
    import subprocess
    import sys

    script = (
        "import asyncio, threading\n"
        "from symbi_runtime.agents import AgentCall, CallableAgent\n"
        "def stuck(call):\n"
        "    threading.Event().wait()\n"
        "async def main():\n"
        "    try:\n"
        "        await asyncio.wait_for(CallableAgent(stuck).run(AgentCall('a', '')), 0.2)\n"
        "    except TimeoutError:\n"
        "        print('timed out')\n"
        "asyncio.run(main())\n"
        "print('exited')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["timed out", "exited"]


async def test_sync_agents_see_context_variables() -> None:
    import contextvars

    request: contextvars.ContextVar[str] = contextvars.ContextVar("request")
    request.set("r-42")
    assert await CallableAgent(lambda: request.get()).run(call()) == "r-42"
