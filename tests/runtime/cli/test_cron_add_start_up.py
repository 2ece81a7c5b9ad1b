"""`symbi cron add` stays light: it checks, lowers and stores jobs, so it must not import the scheduler,
the run pipeline, the agents, the HTTP stack or rich (issue 14: those imports were a tenth of reloading
10,000 unchanged jobs) — and it still adds, then reports the jobs unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JOBS = """\
agent a {
  command: ["echo", "hi"]
}

schedule added {
  agent: "a"
  cron: "0 0 9 * * *"
}
"""

FORBIDDEN = {
    "asyncio",
    "ssl",
    "httpx",
    "httpcore",
    "starlette",
    "uvicorn",
    "rich",
    "prometheus_client",
    "symbi_runtime.runtime",
    "symbi_runtime.scheduler",
    "symbi_runtime.pipeline",
    "symbi_runtime.agents",
    "symbi_runtime.api",
    "symbi_runtime.http_api",
}


def test_cron_add_imports_neither_the_scheduler_nor_agents_nor_http(tmp_path: Path) -> None:
    (tmp_path / "jobs.symbi").write_text(JOBS)
    db = tmp_path / "symbi.db"
    probe = (
        "import atexit, sys\nfrom symbi_lang.cli.main import main\n"
        "atexit.register(lambda: print('\\n'.join(sorted(sys.modules)), file=sys.stderr))\n"
        f"main(['cron', 'add', '-f', 'jobs.symbi', '--db', {str(db)!r}])\n"
    )
    for outcome in ("created", "unchanged"):
        proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(f"{outcome:<9} added  (next run: ")
        loaded = set(proc.stderr.split())
        assert "symbi_runtime.store.sqlite" in loaded  # the probe really stored through the store
        heavy = sorted(m for m in loaded if m in FORBIDDEN or any(m.startswith(f + ".") for f in FORBIDDEN))
        assert heavy == []
