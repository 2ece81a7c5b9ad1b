"""Which job store a `symbi cron` command opens, and how: without typer, so the typer commands and the
typer-free `cron list` path (`symbi_runtime.cli.cron_list_fast`) open it alike.

Only `create` (`cron add`) makes a new database (and its directory); for every other command a missing
one is an I/O error, never an empty store. `read_only` commands open it read-only, so they work on a
database in a read-only directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symbi_runtime.store import Store, StoreLocation


def open_command_store(
    db: str | None,
    config: Path | None,
    env: Mapping[str, str],
    *,
    create: bool = False,
    read_only: bool = False,
) -> Store:
    """The store of `--db`, `SYMBI_DB` or the configuration (symbi_runtime.store.resolve_location).

    Raises ConfigError for a bad configuration, StoreLocationError and PermanentStoreError for a store
    that cannot be opened or does not exist."""
    return open_store_at(command_location(db, config, env), create=create, read_only=read_only)


def command_location(db: str | None, config: Path | None, env: Mapping[str, str]) -> StoreLocation:
    """Where the command's store is (the configuration is read, and must be valid, even with `--db`)."""
    from symbi_runtime.config import load_config
    from symbi_runtime.store import resolve_location

    return resolve_location(db, load_config(config, env), env)


def open_store_at(location: StoreLocation, *, create: bool = False, read_only: bool = False) -> Store:
    """Open the store at `location`; a missing SQLite file is an error unless `create`."""
    from symbi_runtime.store import PermanentStoreError, open_store

    if not location.is_postgres:
        path = location.path
        if path.exists() and path.is_dir():
            raise PermanentStoreError(f"{path} is a directory, not a job store file")
        if not create and not path.exists():
            raise PermanentStoreError(
                f"no job store at {path} (add jobs with 'symbi cron add' or run 'symbi up')"
            )
    return open_store(location, read_only=read_only)


def environment() -> Mapping[str, str]:
    """The process environment, as the runtime reads it."""
    return dict(os.environ)
