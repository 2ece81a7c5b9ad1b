"""Benchmark for the language server (issue 5). Prints figures; asserts nothing.

    python benchmarks/bench_lsp.py [--runs N]

Target: diagnostics for a 1,000-line file within 150 ms of the change being processed (the debounce
excluded). Two measurements, each on a clean generated file and on one with mistakes (one edit per
run, a new version each time):

1. In process: `Workspace.open` (parse) + `Workspace.analysis` (checks) + conversion to LSP diagnostics,
   i.e. everything the server does between a processed didChange and the publishDiagnostics it sends.
2. End to end: the real server (`python -m symbi_lsp`, stdio, debounce 0) driven by a pygls client;
   time from sending didChange to receiving publishDiagnostics for that version (adds JSON-RPC, the
   pipe and pygls's own change handling).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from symbi_lsp.documents import Workspace
from symbi_lsp.features.diagnostics import lsp_diagnostics

CRONS = ["0 0 9 * * 1-5", "0 */15 * * * *", "0 30 2 * * *", "0 0 0 1 * *", "*/20 * * * * *", "0 0 18 * * FRI"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]


def schedule(i: int) -> str:
    return f"""schedule job_{i} {{
  agent: "worker_{i % 10}"
  cron: "{CRONS[i % len(CRONS)]}"
  timezone: "{ZONES[i % len(ZONES)]}"
  description: "Job number {i} 🕘"
  session_mode: "ephemeral_with_summary"
  delivery: ["stdout", "log_file"]
  policy {{
    require_approval: false
    max_runtime: "5m"
  }}
  heartbeat: {{ enabled: true, context_mode: "fully_ephemeral", max_iterations: 10 }}
}}
"""


def with_mistakes(text: str) -> str:
    """Every sixth schedule gets a five-field cron and an unknown field (diagnostics with fixes)."""
    return text.replace('  cron: "0 0 9 * * 1-5"\n', '  cron: "0 9 * * 1-5"\n  colour: "red"\n')


def big_file(lines: int = 1000) -> str:
    agents = "".join(f'agent worker_{i} {{\n  command: ["cat"]\n}}\n\n' for i in range(10))
    parts = [agents]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(schedule(i) + "\n")
        i += 1
    return "".join(parts)


def edited(text: str, run: int) -> str:
    """The text with one character of the first description changed (a new version per run)."""
    return text.replace("Job number 0", f"Job number {run % 10}", 1)


def in_process(text: str, runs: int) -> list[float]:
    workspace = Workspace(env={})
    uri = Path(tempfile.gettempdir(), "bench.symbi").as_uri()
    workspace.open(uri, text, 0)
    workspace.analysis()
    times = []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        doc = workspace.open(uri, edited(text, run), run)
        diagnostics = lsp_diagnostics(doc, workspace.analysis())
        times.append(time.perf_counter() - started)
        assert isinstance(diagnostics, list)
    return times


async def end_to_end(text: str, runs: int) -> tuple[list[float], int]:
    client = LanguageClient("bench", "1")
    waiting: dict[int, asyncio.Future[types.PublishDiagnosticsParams]] = {}

    def published(params: types.PublishDiagnosticsParams) -> None:
        future = waiting.pop(params.version if params.version is not None else -1, None)
        if future is not None and not future.done():
            future.set_result(params)

    client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(published)

    await client.start_io(sys.executable, "-m", "symbi_lsp")
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory() as root:
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=Path(root).as_uri(),
                initialization_options={"diagnosticsDebounceMs": 0},
            )
        )
        client.initialized(types.InitializedParams())
        uri = (Path(root) / "bench.symbi").as_uri()
        waiting[0] = loop.create_future()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="symbi", version=0, text=text)
            )
        )
        first = await waiting[0] if 0 in waiting else None
        count = len(first.diagnostics) if first else 0
        times = []
        for run in range(1, runs + 1):
            future = waiting[run] = loop.create_future()
            started = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=run),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited(text, run))],
                )
            )
            await future
            times.append(time.perf_counter() - started)
        await client.shutdown_async(None)
        client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    return times, count


def ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[int(0.9 * (len(values) - 1))]
    median = statistics.median(values)
    return f"median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    for label, text in (
        ("clean", big_file(args.lines)),
        ("with mistakes", with_mistakes(big_file(args.lines))),
    ):
        size = f"{text.count(chr(10))} lines, {len(text.encode())} bytes"
        print(f"{label} file: {size}; target <= 150 ms (debounce excluded)")
        print(f"  in process (parse + checks + LSP conversion): {ms(in_process(text, args.runs))}")
        times, count = asyncio.run(end_to_end(text, args.runs))
        print(f"  end to end (didChange sent -> publishDiagnostics received, debounce 0): {ms(times)}")
        print(f"  diagnostics published: {count}")


if __name__ == "__main__":
    main()
