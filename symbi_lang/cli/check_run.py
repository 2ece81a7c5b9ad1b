"""What `symbi check` does, free of the CLI framework: `check_files(...) -> exit code`.

The typer command (symbi_lang.cli.check) and the start-up path that reads the common command lines
without building the typer app (symbi_lang.cli.check_fast) both call it, so they cannot drift apart.
Nothing here imports typer: `fail()` imports it only when there is an error to report.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Set
from datetime import datetime
from pathlib import Path

from symbi_lang.api import Analysis, CheckContext, Source, analyze, collect_sources
from symbi_lang.check_config import CheckConfigError, CheckSettings, check_settings
from symbi_lang.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    STDIN_NAME,
    ColorMode,
    fail,
    is_io_problem,
    load_env,
    parse_now,
    read_stdin,
    sources_map,
    use_color,
)
from symbi_lang.diagnostics import Diagnostic, Severity, sort_diagnostics
from symbi_lang.render import Format, render


def check_files(
    paths: list[str],
    *,
    fmt: Format = Format.TEXT,
    strict: bool = False,
    env_file: Path | None = None,
    stdin_filename: str | None = None,
    color: ColorMode = ColorMode.AUTO,
    config: Path | None = None,
    now: str | None = None,
) -> int:
    """Check `paths`, write the report to standard output, and return the exit code."""
    if paths.count("-") > 1:
        raise fail("`-` (stdin) can be given only once")
    if stdin_filename is not None and "-" not in paths:
        raise fail("--stdin-filename needs `-` among the paths")
    env = load_env(env_file)
    ctx = build_context(env, strict=strict, config=config, now=parse_now(now))
    analysis, sources = run_check(paths, ctx, stdin_filename)
    report = render(
        analysis.diagnostics,
        fmt,
        sources=sources_map(sources),
        color=fmt is Format.TEXT and use_color(color),
        files_checked=len(sources),
        tool_version=_version() if fmt is Format.SARIF else "0",  # reading metadata costs an import
    )
    sys.stdout.write(report)
    sys.stdout.flush()
    return exit_code(analysis.diagnostics, strict=strict)


def build_context(
    env: dict[str, str], *, strict: bool = False, config: Path | None = None, now: datetime | None = None
) -> CheckContext:
    """What checks may know beyond the files: the environment, delivery defaults from `symbi.toml`
    (a Slack default channel makes `slack_channel` optional) and custom channels installed as
    `symbi.delivery` entry points."""
    path = config if config is not None else Path("symbi.toml")
    slack_default = bool(env.get("SYMBI_SLACK_DEFAULT_CHANNEL"))
    settings = CheckSettings()
    if config is not None or path.exists():  # a ./symbi.toml that is a folder is an error too, not ignored
        if path.exists() and not path.is_file():
            raise fail(f"{path}: cannot read configuration: not a file")
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise fail(f"--config {path}: no such file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise fail(f"{path}: cannot read configuration: {e}") from None
        try:
            settings = check_settings(data)
        except CheckConfigError as e:
            raise fail(f"{path}: {e}") from None
    return CheckContext(
        env=env,
        strict=strict,
        custom_channels=InstalledChannels(),
        slack_default_channel=slack_default or settings.slack_default_channel,
        herd_threshold=settings.herd_threshold,
        default_jitter_seconds=settings.default_jitter_seconds,
        now=now,
    )


class InstalledChannels(Set[str]):
    """Names of the delivery channels installed as `symbi.delivery` entry points, looked up on first use.

    Finding entry points imports importlib.metadata and reads every installed distribution; a file that
    names only built-in channels never needs them, so `symbi check` does not pay for it."""

    def __init__(self) -> None:
        self._names: frozenset[str] | None = None

    def _load(self) -> frozenset[str]:
        if self._names is None:
            from importlib.metadata import entry_points

            self._names = frozenset(ep.name for ep in entry_points(group="symbi.delivery"))
        return self._names

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def run_check(
    paths: list[str], ctx: CheckContext, stdin_filename: str | None = None
) -> tuple[Analysis, list[Source]]:
    """Collect sources (files, directories, stdin) and analyse them together."""
    file_paths = [p for p in paths if p != "-"]
    sources, problems = collect_sources(file_paths)
    if "-" in paths:
        source, problem = read_stdin(stdin_filename or STDIN_NAME)
        if source is not None:
            sources.insert(paths.index("-"), source)
        if problem is not None:
            problems.append(problem)
    analysis = analyze(sources, ctx)
    diagnostics: list[Diagnostic] = sort_diagnostics([*problems, *analysis.diagnostics])
    return Analysis(analysis.modules, tuple(diagnostics)), sources


def exit_code(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], *, strict: bool) -> int:
    if any(is_io_problem(d) for d in diagnostics):
        return EXIT_USAGE
    if any(d.is_error for d in diagnostics):
        return EXIT_PROBLEMS
    if strict and any(d.severity is Severity.WARNING for d in diagnostics):
        return EXIT_PROBLEMS
    return EXIT_OK


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("symbi")
    except PackageNotFoundError:
        return "0"
