"""`symbi run AGENT`: one agent, once, through the real `symbi` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer

PY = json.dumps(sys.executable)


def symbi(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "symbi_lang.cli.main", "run", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        input=stdin,
        timeout=60,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


AGENTS = f"""
agent shout {{
  command: [{PY}, "-c", "import sys; print(sys.stdin.read().upper())"]
}}

agent broken {{
  command: [{PY}, "-c", "import sys; sys.stderr.write('model quota exhausted'); sys.exit(2)"]
}}

agent sleepy {{
  command: [{PY}, "-c", "import time; time.sleep(60)"]
}}

agent local {{
  handler: "symbi_run_cli_handler:answer"
}}
"""


def project(tmp_path: Path) -> Path:
    d = tmp_path / "project"
    d.mkdir()
    write(d / "agents.symbi", AGENTS)
    write(
        d / "symbi_run_cli_handler.py",
        "async def answer(call):\n    return f'{call.agent_id} answered {call.input!r}'\n",
    )
    return d


def test_runs_a_command_agent_and_prints_its_output(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("shout", "--input", "hello", "--file", str(d / "agents.symbi"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "HELLO\n"
    assert result.stderr == ""


def test_files_default_to_the_working_directory_and_stdin_input(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("shout", "--input", "-", cwd=d, stdin="from stdin")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "FROM STDIN\n"


def test_handler_module_is_found_next_to_the_symbi_file(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("local", "-i", "ping", "-f", str(d / "agents.symbi"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "local answered 'ping'\n"


def test_json_format(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("shout", "--input", "x", "--format", "json", cwd=d)
    doc = json.loads(result.stdout)
    assert (doc["agent"], doc["output"]) == ("shout", "X")
    assert isinstance(doc["duration_seconds"], float)


def test_agent_failure_is_one_line_exit_1(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("broken", cwd=d)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "symbi run: agent 'broken' failed: model quota exhausted\n"


def test_timeout_kills_the_agent(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("sleepy", "--timeout", "0.5", cwd=d)
    assert result.returncode == 1
    assert result.stderr == "symbi run: agent 'sleepy' did not finish within 0.5s\n"


def test_unknown_agent_lists_the_known_ones(tmp_path: Path) -> None:
    d = project(tmp_path)
    result = symbi("ghost", "--file", str(d / "agents.symbi"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("symbi run: no agent named 'ghost' in ")
    assert result.stderr.rstrip().endswith("(agents defined: broken, local, shout, sleepy)")


def test_agent_without_executor_is_a_clear_error(tmp_path: Path) -> None:
    f = write(tmp_path / "bare.symbi", 'agent thinker {\n  model: "m"\n}\n')
    result = symbi("thinker", "--file", str(f), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "symbi run: agent 'thinker' has no executor: define handler/command/endpoint or register it\n"
    )


def test_file_with_errors_prints_diagnostics(tmp_path: Path) -> None:
    f = write(tmp_path / "broken.symbi", "agent a {\n  command: [\n")
    result = symbi("a", "--file", str(f), cwd=tmp_path)
    assert result.returncode == 1
    assert "error[SYM" in result.stderr and "broken.symbi" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_files_is_a_usage_error(tmp_path: Path) -> None:
    result = symbi("x", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "symbi run: no .symbi files in the working directory; pass --file\n"


def test_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    d = project(tmp_path)
    write(d / "bad.toml", "[scheduler]\nmax_concurrent_jobs = 'many'\n")
    result = symbi("shout", "--config", str(d / "bad.toml"), cwd=d)
    assert result.returncode == 2
    assert result.stderr.startswith("symbi run: ") and "max_concurrent_jobs" in result.stderr


def test_endpoint_agent_against_a_loopback_server(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/v1/chat/completions",
        method="POST",
        headers={"Authorization": "Bearer k-123"},
        json={
            "model": "small",
            "messages": [
                {"role": "system", "content": "Answer in one word."},
                {"role": "user", "content": "status?"},
            ],
        },
    ).respond_with_json({"choices": [{"message": {"role": "assistant", "content": "green"}}]})
    f = write(
        tmp_path / "llm.symbi",
        "agent oracle {\n"
        '  model: "small"\n'
        '  system_prompt: "Answer in one word."\n'
        f'  endpoint: "{httpserver.url_for("/v1")}"\n'
        '  api_key_env: "ORACLE_KEY"\n'
        "}\n",
    )
    result = symbi(
        "oracle", "--input", "status?", "--file", str(f), cwd=tmp_path, env={"ORACLE_KEY": "k-123"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "green\n"
    missing = symbi("oracle", "--file", str(f), cwd=tmp_path, env={"ORACLE_KEY": ""})
    assert missing.returncode == 1
    assert "environment variable ORACLE_KEY" in missing.stderr and "k-123" not in missing.stderr
