"""Subprocess agents: `command: ["prog", "arg", …]`.

The input is written to the process's stdin and stdin is closed; stdout (UTF-8, one trailing newline
removed) is the output. A non-zero exit fails the run with the end of stderr as the error. The process
runs in its own process group; when the run is cancelled (max_runtime, shutdown) the whole group is
killed and reaped, so nothing is left behind. The working directory is the directory of the `.symbi`
file that defined the agent (when known), else the runtime's.

Environment of the process: the runtime's environment (`AgentCall.env`, or `os.environ` when empty) plus
`SYMBI_AGENT_ID`, `SYMBI_JOB_NAME`, `SYMBI_RUN_ID`, `SYMBI_ITERATION`, and `SYMBI_MESSAGES_FILE`: the path
of a JSON file holding the session messages (`[{"role": …, "content": …}, …]`), removed afterwards.
`${VAR}` references in the argv are resolved against that environment when the command starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
from collections.abc import Sequence
from pathlib import Path

from symbi_lang.interpolation import UnresolvedVariable, resolve
from symbi_runtime.agents.call import AgentCall, AgentError

STDERR_EXCERPT_CHARS = 2000
STDERR_KEPT_BYTES = 16 * 1024
DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class CommandFailed(AgentError):
    """The command exited non-zero (or was killed); the message is its stderr, trimmed. `output` is
    what it printed on stdout before failing (the run records it too)."""

    def __init__(self, message: str, returncode: int | None, output: str | None = None) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.output = output


# How long an agent's process group gets between SIGTERM and SIGKILL when its run is stopped.
KILL_GRACE_SECONDS = 3.0

# Credentials of the runtime itself, removed from a command agent's environment. (Variables that a job or
# `symbi.toml` references stay: the schedule author put them there; see the README on secrets.)
RUNTIME_SECRETS = (
    "SYMBI_API_TOKEN",
    "SYMBI_API_KEY",
    "SYMBI_SLACK_TOKEN",
    "SYMBI_WEBHOOK_AUTH_HEADER",
)


class CommandAgent:
    """Runs an argv list as a subprocess per call."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        cwd: Path | None = None,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    ) -> None:
        if not argv:
            raise AgentError(f"agent {name!r}: command is empty")
        self.argv = tuple(argv)
        self.name = name
        self.cwd = cwd
        self.max_output_bytes = max_output_bytes
        # stdout read so far, per call in progress (kept when a call is cancelled: see take_partial_output)
        self._partial: dict[str, bytearray] = {}

    def _environment(self, call: AgentCall, messages_file: str) -> dict[str, str]:
        env = dict(call.env) if call.env else dict(os.environ)
        for name in RUNTIME_SECRETS:  # the runtime's own credentials are not the agent's business
            env.pop(name, None)
        env["SYMBI_AGENT_ID"] = call.agent_id
        env["SYMBI_JOB_NAME"] = call.job_name or ""
        env["SYMBI_RUN_ID"] = call.run_id or ""
        env["SYMBI_ITERATION"] = str(call.iteration)
        env["SYMBI_MESSAGES_FILE"] = messages_file
        return env

    async def run(self, call: AgentCall) -> str:
        base_env = dict(call.env) if call.env else dict(os.environ)
        try:
            argv = [resolve(a, base_env) for a in self.argv]
        except UnresolvedVariable as e:
            raise AgentError(f"agent {self.name!r}: command: {e}") from None
        fd, messages_file = tempfile.mkstemp(prefix="symbi-messages-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump([m.to_dict() for m in call.messages], f, ensure_ascii=False)
            return await self._run_process(argv, call, messages_file)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(messages_file)  # noqa: PTH108 - a tiny local unlink, not worth a thread

    async def _run_process(self, argv: list[str], call: AgentCall, messages_file: str) -> str:
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._environment(call, messages_file),
                cwd=self.cwd,
                start_new_session=True,  # own process group: cancellation kills children too
            )
        except FileNotFoundError:
            raise AgentError(f"agent {self.name!r}: command not found: {argv[0]}") from None
        except PermissionError:
            raise AgentError(f"agent {self.name!r}: command not executable: {argv[0]}") from None
        except OSError as e:
            raise AgentError(f"agent {self.name!r}: cannot start {argv[0]}: {e}") from None
        printed = self._partial.setdefault(_call_key(call), bytearray())
        try:
            stdout, stderr = await self._exchange(proc, call.input.encode("utf-8"), printed)
            await proc.wait()
        except asyncio.CancelledError:
            await _kill_group(proc)
            raise  # what it printed stays for `take_partial_output` (a timed-out run keeps it)
        except BaseException:
            self._partial.pop(_call_key(call), None)
            await _kill_group(proc)
            raise
        self._partial.pop(_call_key(call), None)
        out = _text(stdout)
        if proc.returncode != 0:
            message = _failure_message(argv[0], proc.returncode, stderr)
            raise CommandFailed(message, proc.returncode, output=out or None)
        return out

    def take_partial_output(self, call: AgentCall) -> str | None:
        """What a cancelled (timed-out) call printed on stdout before it was stopped."""
        printed = self._partial.pop(_call_key(call), None)
        return _text(bytes(printed)) if printed else None

    async def _exchange(
        self, proc: asyncio.subprocess.Process, data: bytes, buffer: bytearray
    ) -> tuple[bytes, bytes]:
        """Feed stdin and read stdout into `buffer` (at most `max_output_bytes`) and the tail of stderr,
        concurrently."""
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
        limit = self.max_output_bytes

        async def feed() -> None:
            try:
                stdin.write(data)
                await stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the command does not read its input: fine
            finally:
                stdin.close()

        async def read_output() -> bytes:
            while chunk := await stdout.read(_CHUNK):
                buffer.extend(chunk)
                if len(buffer) > limit:
                    raise AgentError(
                        f"agent {self.name!r}: output exceeds {limit} bytes; the command was killed"
                    )
            return bytes(buffer)

        async def read_errors() -> bytes:
            tail = bytearray()
            while chunk := await stderr.read(_CHUNK):
                tail += chunk
                del tail[:-STDERR_KEPT_BYTES]
            return bytes(tail)

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(feed())
                out = group.create_task(read_output())
                err = group.create_task(read_errors())
        except* AgentError as errors:
            raise errors.exceptions[0] from None
        return out.result(), err.result()


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """Stop the process group — SIGTERM, then SIGKILL after `KILL_GRACE_SECONDS` — and reap the child,
    even while being cancelled (an agent may clean up on SIGTERM; one that ignores it is killed)."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
    # The pipes stay open during the grace period (an agent writing while it cleans up would otherwise
    # die of SIGPIPE). Shielded: the caller is usually being cancelled, and an unreaped child would
    # become a zombie; cancelled again during the grace period, it gets no more grace.
    waiting = asyncio.ensure_future(proc.wait())
    done: set[asyncio.Future[int]] = set()
    try:
        done, _ = await asyncio.shield(asyncio.wait({waiting}, timeout=KILL_GRACE_SECONDS))
    finally:
        if not done:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        # Close our ends of the pipes: asyncio completes wait() only once every pipe is disconnected,
        # and a pipe nobody reads any more is paused, never sees EOF, and would make wait() hang forever.
        transport = getattr(proc, "_transport", None)
        for fd in (0, 1, 2):
            pipe = transport.get_pipe_transport(fd) if transport is not None else None
            if pipe is not None:
                pipe.close()
    with contextlib.suppress(ProcessLookupError):
        await asyncio.shield(waiting)
    # The group may outlive its leader (children that ignore SIGTERM): make sure none are left.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    # Grandchildren that left the group are not ours to chase; the group kill covered the rest.


def _call_key(call: AgentCall) -> str:
    return call.run_id or f"call:{id(call)}"


def _text(stdout: bytes) -> str:
    """stdout as text, one trailing newline removed."""
    out = stdout.decode("utf-8", errors="replace")
    if out.endswith("\n"):
        out = out[:-1]
        if out.endswith("\r"):
            out = out[:-1]
    return out


def _failure_message(program: str, returncode: int | None, stderr: bytes) -> str:
    """The end of stderr (where tracebacks and final errors are), or how the program ended."""
    text = stderr.decode("utf-8", errors="replace").strip()
    if len(text) > STDERR_EXCERPT_CHARS:
        text = "…" + text[-STDERR_EXCERPT_CHARS:]
    if returncode is not None and returncode < 0:
        try:
            how = f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"was killed by signal {-returncode}"
    else:
        how = f"exited with status {returncode}"
    return text or f"{program} {how} (no output on stderr)"
