"""`symbi cron list` stays light: it reads the store and prints a table, so it must not import the
scheduler, the HTTP API, asyncio's network stack or rich (issue 14); and the table counts cells as
rich does, without rich for plain ASCII."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rich.cells import cell_len as rich_cell_len
from symbi_runtime.cli.table import cell_len

JOBS = """\
agent a {
  command: ["echo", "hi"]
}

schedule listed {
  agent: "a"
  cron: "0 0 9 * * *"
}
"""


def test_cron_list_imports_neither_the_scheduler_nor_http_nor_asyncio(tmp_path: Path) -> None:
    (tmp_path / "jobs.symbi").write_text(JOBS)
    db = tmp_path / "symbi.db"
    added = subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "cron", "add", "-f", "jobs.symbi", "--db", str(db)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    probe = (
        "import atexit, sys\nfrom symbi_lang.cli.main import main\n"
        "atexit.register(lambda: print('\\n'.join(sorted(sys.modules)), file=sys.stderr))\n"
        f"main(['cron', 'list', '--db', {str(db)!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "listed" in proc.stdout  # the probe really listed the job
    loaded = set(proc.stderr.split())
    forbidden = {
        "asyncio",
        "ssl",
        "httpx",
        "httpcore",
        "starlette",
        "uvicorn",
        "rich",
        "symbi_runtime.scheduler",
        "symbi_runtime.pipeline",
        "symbi_runtime.api",
        "symbi_runtime.http_api",
        # Listing reads stored next fires: no cron engine, timing, uuid, secrets or fingerprints; no
        # symbi.toml here, so no TOML reader and nothing to resolve; configuration needs the delivery
        # settings, not the channels.
        "symbi_lang.cron",
        "symbi_runtime.timing",
        "uuid",
        "tomllib",
        "symbi_lang.interpolation",
        "secrets",
        "symbi_runtime.store.fingerprint",
        "symbi_runtime.delivery.channel",
        "symbi_runtime.delivery.message",
    }
    assert sorted(m for m in loaded if m in forbidden or m.split(".")[0] in forbidden) == []


def test_cell_counts_match_rich() -> None:
    samples = [
        "",
        "job_1",
        "0 30 2 * * * (America/New_York)",
        "tab\there",
        "naïve",
        "日本語",
        "e\u0301",
        "\x1b[0m",
    ]
    samples += [chr(c) for c in range(0x00, 0x250)]
    for text in samples:
        assert cell_len(text) == rich_cell_len(text), repr(text)
