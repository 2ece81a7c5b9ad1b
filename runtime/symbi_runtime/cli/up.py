"""`symbi up [PATHS…]`: load schedules into the job store and run the scheduler in the foreground.

Loading is idempotent (upsert by name) and all-or-nothing: a file with errors prints its diagnostics
and exits 1 without starting. Then a short summary of every job and its next fire is printed, and
the scheduler runs until SIGINT/SIGTERM, when it stops claiming fires, gives in-flight runs
`shutdown_timeout_seconds`, cancels what is left and exits 0.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from symbi_lang.cli.common import is_io_problem
from symbi_runtime.cli.common import (
    DB_HELP,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    configure_logging,
    environment,
    fail,
    load_cli_config,
)
from symbi_runtime.config import Config, ConfigError
from symbi_runtime.runtime import LoadError, Runtime
from symbi_runtime.store import StoreError

if TYPE_CHECKING:
    from symbi_runtime.api.settings import ApiSettings

logger = logging.getLogger("symbi_runtime")

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def up(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Schedule files or directories (*.symbi) to load first.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="symbi.toml to use (default: ./symbi.toml if present).")
    ] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus metrics on this port (0: any free)."),
    ] = None,
    environment_name: Annotated[
        str | None, typer.Option("--environment", help="The runtime's environment for allowed_environments.")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
    api: Annotated[
        bool, typer.Option("--api", help="Serve the HTTP API (/api/v1/…); needs SYMBI_API_TOKEN.")
    ] = False,
    api_host: Annotated[str, typer.Option("--api-host", help="Address for the HTTP API.")] = "127.0.0.1",
    api_port: Annotated[int, typer.Option("--api-port", help="Port for the HTTP API (0: any free).")] = 8080,
    api_tls_cert: Annotated[
        Path | None,
        typer.Option("--api-tls-cert", help="Serve the API over HTTPS with this PEM certificate."),
    ] = None,
    api_tls_key: Annotated[
        Path | None, typer.Option("--api-tls-key", help="The PEM private key for --api-tls-cert.")
    ] = None,
) -> None:
    """Load schedules and run the scheduler in the foreground until Ctrl-C or SIGTERM."""
    env = environment()
    cfg = load_cli_config("up", config, env)
    if environment_name:
        cfg = dataclasses.replace(
            cfg, scheduler=dataclasses.replace(cfg.scheduler, environment=environment_name)
        )
    if metrics_port is not None and not 0 <= metrics_port <= 65535:
        fail("up", f"--metrics-port must be between 0 and 65535, got {metrics_port}")
    api_opts: ApiOptions | None = None
    if api:
        api_opts = _api_options(cfg, env, api_host, api_port, api_tls_cert, api_tls_key)
    elif api_tls_cert or api_tls_key:
        fail("up", "--api-tls-cert/--api-tls-key need --api")
    configure_logging(log_level)
    # The log file goes beside the store: attached once the store proved writable (a read-only folder is
    # then one clear refusal, not also a complaint about the log).
    log_file = functools.partial(_write_log_file, db, cfg, env, log_level)
    code = asyncio.run(_serve(cfg, db, list(paths or []), metrics_port, api_opts, log_file=log_file))
    raise typer.Exit(code)


@dataclasses.dataclass(frozen=True)
class ApiOptions:
    host: str
    port: int
    settings: ApiSettings
    tls_cert: Path | None
    tls_key: Path | None


def _api_options(
    cfg: Config, env: Mapping[str, str], host: str, port: int, cert: Path | None, key: Path | None
) -> ApiOptions:
    """Tokens from `[api]` in symbi.toml plus SYMBI_API_TOKEN (the single-admin shortcut)."""
    from symbi_runtime.api.settings import MIN_TOKEN_CHARS, load_api_settings

    shortcut = (env.get("SYMBI_API_TOKEN") or env.get("SYMBI_API_KEY") or "").strip()
    if shortcut and len(shortcut) < MIN_TOKEN_CHARS:
        fail(
            "up",
            "SYMBI_API_TOKEN is too short: use at least 16 random characters (e.g. `openssl rand -hex 24`)",
        )
    try:
        settings = load_api_settings(cfg.source, env, shortcut=shortcut or None)
    except ConfigError as e:
        fail("up", str(e))
    if not settings.tokens:
        fail(
            "up",
            "--api needs a bearer token: set SYMBI_API_TOKEN or add [[api.tokens]] to symbi.toml "
            "(clients send `Authorization: Bearer …`)",
        )
    if not 0 <= port <= 65535:
        fail("up", f"--api-port must be between 0 and 65535, got {port}")
    if (cert is None) != (key is None):
        fail("up", "give both --api-tls-cert and --api-tls-key")
    for path in (cert, key):
        if path is not None and not path.is_file():
            fail("up", f"{path}: no such file")
    return ApiOptions(host, port, settings, cert, key)


async def _serve(
    cfg: Config,
    db: str | None,
    paths: list[Path],
    metrics_port: int | None,
    api: ApiOptions | None = None,
    *,
    log_file: Callable[[], None] | None = None,
) -> int:
    try:
        rt = Runtime(cfg, db_path=db)
        rt.open()
    except StoreError as e:
        fail("up", str(e))
    try:
        if not await _wait_until_writable(rt):
            return EXIT_USAGE
        if log_file is not None:
            log_file()
        if paths:
            empty = [p for p in paths if p.is_dir() and not any(p.rglob("*.symbi"))]
            if empty:
                shown = ", ".join(str(p) for p in empty)
                typer.echo(f"symbi up: no .symbi files found under {shown}; not started", err=True)
                return EXIT_USAGE
            try:
                loaded = rt.load_paths(paths, require_agents=True)
            except LoadError as e:
                if e.diagnostics:
                    typer.echo(e.rendered.rstrip("\n"), err=True)
                typer.echo(f"symbi up: not started: {e}", err=True)
                errors = [d for d in e.diagnostics if d.is_error]
                io_only = bool(errors) and all(is_io_problem(d) for d in errors)
                return EXIT_USAGE if io_only else EXIT_PROBLEMS
            if rt.load_warnings:  # the same warnings `symbi cron add` prints for these files
                from symbi_runtime.cli.output import render_diagnostics

                typer.echo(render_diagnostics(rt.load_warnings), err=True)
            for unbound in rt.unbound_agents:
                typer.echo(f"symbi up: warning: {unbound.message()}", err=True)
            counts = {
                o: sum(1 for j in loaded if j.outcome == o) for o in ("created", "updated", "unchanged")
            }
            typer.echo(
                f"loaded {len(loaded)} schedule(s) from {', '.join(str(p) for p in paths)}: "
                + ", ".join(f"{n} {o}" for o, n in counts.items())
            )
        _print_summary(rt)
        port = metrics_port
        if port is None and cfg.scheduler.enable_metrics:
            port = cfg.scheduler.metrics_port
        if port is not None:
            try:
                server = rt.serve_metrics(port)
            except (OSError, RuntimeError) as e:
                fail("up", f"cannot serve metrics on port {port}: {e}")
            typer.echo(f"metrics: http://127.0.0.1:{server.port}/metrics")
        api_server = None
        if api is not None:
            from symbi_runtime.api import API_PREFIX, serve_api

            try:
                api_server = await serve_api(
                    rt,
                    settings=api.settings,
                    host=api.host,
                    port=api.port,
                    tls_cert=api.tls_cert,
                    tls_key=api.tls_key,
                )
            except (OSError, ValueError) as e:
                fail("up", f"cannot serve the HTTP API: {e}")
            who = ", ".join(t.principal for t in api.settings.tokens)
            typer.echo(f"api: {api_server.url}{API_PREFIX} (tokens: {who})")
        # Handlers go in before we say we are running, so a signal sent on that line is handled gracefully.
        installed = _install_signal_handlers(rt)
        try:
            typer.echo(f"symbi up: running on {rt.location} (Ctrl-C to stop)")
            try:
                await rt.run()
            except StoreError as e:
                typer.echo(f"symbi up: error: the job store cannot be used: {e}", err=True)
                return EXIT_USAGE
        finally:
            loop = asyncio.get_running_loop()
            for sig in installed:
                loop.remove_signal_handler(sig)
            if api_server is not None:
                await api_server.close()
        typer.echo("symbi up: stopped")
        return 0
    finally:
        rt.close()


def _write_log_file(db: str | None, cfg: Config, env: Mapping[str, str], log_level: str) -> None:
    """Also log to the rotating file beside the store that `symbi logs` reads; without it, say so."""
    from symbi_runtime import logfile
    from symbi_runtime.store import resolve_location

    try:
        path = logfile.log_path_for(resolve_location(db, cfg, env))
    except StoreError:
        return  # a bad --db: opening the store reports it in a moment
    try:
        logfile.attach(path, logging.getLevelName(log_level.upper()))
    except OSError as e:
        typer.echo(f"symbi up: not writing {path}: {e}", err=True)


async def _wait_until_writable(rt: Runtime) -> bool:
    """Probe the store with a real write before saying "running". A read-only or broken database is
    refused (False: exit 2); a busy or full one is waited for, since those pass."""
    delay = 1.0
    while True:
        try:
            probe = getattr(rt.store, "check_writable", None)  # backends with files to check
            if probe is not None:
                probe()
            return True
        except StoreError as e:
            if not e.transient:
                typer.echo(f"symbi up: {e}; not started", err=True)
                return False
            logger.warning("%s; retrying in %gs", e, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)


def _install_signal_handlers(rt: Runtime) -> list[signal.Signals]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        logger.info("received %s: shutting down gracefully", sig.name)
        rt.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signal support
            continue
        installed.append(sig)
    return installed


def _print_summary(rt: Runtime) -> None:
    jobs = rt.store.list_jobs()
    if not jobs:
        typer.echo("no jobs in the store: pass schedule files to load, or add jobs with `symbi cron add`")
        return
    width = max(len(j.name) for j in jobs)
    for j in jobs:
        nxt = j.next_fire_at.isoformat() if j.next_fire_at and j.status == "active" else "—"
        typer.echo(f"  {j.name:<{width}}  {j.status:<11}  next fire {nxt}")


if __name__ == "__main__":
    app()
