"""`symbi lsp [--tcp] [--host H] [--port N]`: run the language server (stdio unless `--tcp`)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command(name="lsp")
def lsp_command(
    tcp: Annotated[
        bool, typer.Option("--tcp", help="Listen on TCP instead of stdio (for debugging).")
    ] = False,
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Use stdio (the default; accepted because many clients pass it).")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="TCP host to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on.", min=1, max=65535)] = 2087,
    log_file: Annotated[
        str | None, typer.Option("--log-file", help="Write the server's log to this file.")
    ] = None,
) -> None:
    """Run the symbi language server (stdio by default)."""
    if tcp and stdio:
        raise typer.BadParameter("give --tcp or --stdio, not both")
    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO)
    from symbi_lsp.server import create_server

    server = create_server()
    if tcp:
        server.start_tcp(host, port)
    else:
        server.start_io()


if __name__ == "__main__":
    app()
