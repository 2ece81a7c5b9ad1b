"""Python callables as agents: registered in-process, or named by a `handler: "pkg.mod:func"` binding.

Calling convention (the same for both):
- a callable with no parameters is called with none;
- a callable with one parameter annotated `str` receives the call's input text;
- otherwise it receives the `AgentCall` (input, session messages, job, run, iteration, env).
Coroutine functions are awaited on the event loop; plain functions run in a daemon thread of their own
so they never block the scheduler (a thread cannot be killed: on cancellation the run ends at once and
the thread is abandoned; being a daemon, it never delays the process's exit).
The return value becomes the output: `str` as is, `None` as "", bytes as UTF-8, JSON-serialisable
values (dict, list, numbers, bools) as JSON; anything else is an error.
Any exception the callable raises fails the run with "ExceptionType: message".
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import importlib
import inspect
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from symbi_runtime.agents.call import AgentCall, AgentError

_STRING_ANNOTATIONS = (str, "str")


class CallableAgent:
    """An agent backed by a Python callable (async or sync)."""

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"agent {name or fn!r}: {fn!r} is not callable")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__qualname__", repr(fn)))
        self._arity, self._wants_text = _calling_convention(fn)
        self._is_async = _is_coroutine_function(fn)

    def _args(self, call: AgentCall) -> tuple[Any, ...]:
        if self._arity == 0:
            return ()
        return (call.input,) if self._wants_text else (call,)

    async def run(self, call: AgentCall) -> str:
        args = self._args(call)
        try:
            if self._is_async:
                result = await self.fn(*args)
            else:
                result = await run_in_daemon_thread(self.fn, *args, name=f"symbi-agent-{self.name}")
                if inspect.isawaitable(result):  # a sync wrapper returning a coroutine
                    result = await result
        except AgentError:
            raise
        except Exception as e:
            raise AgentError(f"{type(e).__name__}: {e}") from e
        return _as_output(result, self.name)


async def run_in_daemon_thread(fn: Callable[..., Any], *args: Any, name: str) -> Any:
    """Call `fn(*args)` in a new daemon thread and await its result.

    Not `asyncio.to_thread`: the default executor's threads are joined when the event loop and the
    interpreter shut down, so one stuck sync agent (cancelled at max_runtime) would block `symbi up`
    from exiting. A daemon thread is abandoned on cancellation and never holds up the process.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled meanwhile
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def target() -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = context.run(fn, *args)
        except BaseException as e:  # handed to the awaiting task, which decides
            error = e
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future


def load_handler(path: str, *, search_paths: Iterable[Path] = ()) -> Callable[..., Any]:
    """Import `"pkg.module:function"` (the attribute may be dotted: `mod:Class.method`).

    `search_paths` are tried (prepended to `sys.path` only while importing) so a handler module next to
    the `.symbi` file or in the working directory is found even when neither is on `sys.path`.
    Raises `AgentError` with a clear message when the path is malformed, missing or not callable.
    """
    module_name, sep, attr_path = path.partition(":")
    if not sep or not module_name.strip() or not attr_path.strip():
        raise AgentError(f"handler {path!r} is not of the form 'package.module:function'")
    try:
        with _extra_sys_path(search_paths):
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        raise AgentError(f"handler {path!r}: cannot import module {module_name!r}: {e}") from e
    except Exception as e:  # the module itself raised while importing
        raise AgentError(
            f"handler {path!r}: importing {module_name!r} failed: {type(e).__name__}: {e}"
        ) from e
    target: Any = module
    for part in attr_path.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AgentError(
                f"handler {path!r}: module {module_name!r} has no attribute {attr_path!r}"
            ) from None
    if not callable(target):
        raise AgentError(f"handler {path!r} is not callable (it is a {type(target).__name__})")
    return target  # type: ignore[no-any-return]


@contextmanager
def _extra_sys_path(paths: Iterable[Path]) -> Iterator[None]:
    added = [str(p) for p in paths if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            try:
                sys.path.remove(p)
            except ValueError:
                pass


def _unwrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _is_coroutine_function(fn: Callable[..., Any]) -> bool:
    target = _unwrap(fn)
    if inspect.iscoroutinefunction(target):
        return True
    call = getattr(target, "__call__", None)  # noqa: B004 - objects with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _calling_convention(fn: Callable[..., Any]) -> tuple[int, bool]:
    """(number of arguments to pass: 0 or 1, whether the one argument is the input text)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: give them the call
        return 1, False
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    has_varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values())
    if len(required) > 1:
        raise TypeError(
            f"agent callable {fn!r} must take at most one argument (the call), takes {len(required)}"
        )
    if not positional and not has_varargs:
        return 0, False
    first = positional[0] if positional else None
    wants_text = first is not None and first.annotation in _STRING_ANNOTATIONS
    return 1, wants_text


def _as_output(result: Any, name: str) -> str:
    if isinstance(result, str):
        return result
    if result is None:
        return ""
    if isinstance(result, bytes | bytearray):
        return bytes(result).decode("utf-8", errors="replace")
    if isinstance(result, dict | list | tuple | int | float | bool):
        try:
            return json.dumps(result, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            raise AgentError(f"agent {name} returned a value that is not JSON-serialisable: {e}") from e
    raise AgentError(f"agent {name} returned {type(result).__name__}; expected str")
