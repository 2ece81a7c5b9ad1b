"""Which database a command uses, and the one place that opens it: `--db` > `SYMBI_DB` > `symbi.toml`
`[scheduler] job_store_path` > `.symbi/symbi.db`.

A `postgresql://` or `postgres://` URL means PostgreSQL (several nodes may share it); anything without a
scheme is an SQLite file path; any other scheme is an error (it used to be taken as a path and silently
created a folder named `postgresql:`). A URL may carry a password: `StoreLocation` prints and logs
itself with the password (and any `password=` parameter) replaced by `***`, so only the driver ever
sees it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from symbi_runtime.config import DEFAULT_DB_PATH, Config
from symbi_runtime.store.errors import PermanentStoreError, StoreError
from symbi_runtime.store.protocol import Store

# `scheme:` followed by a slash: a URL (a Windows drive letter has one character, and needs no care here).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")
POSTGRES_SCHEMES = ("postgresql", "postgres")


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class StoreLocationError(StoreError):
    """A `--db`, `SYMBI_DB` or `job_store_path` value that names no database symbi can use."""


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A database to open: an SQLite file or a PostgreSQL URL. `target` may hold a password: show
    `str(location)` (redacted), never `target`."""

    backend: Backend
    target: str

    @property
    def path(self) -> Path:
        """The SQLite file (PostgreSQL locations have none)."""
        if self.backend is not Backend.SQLITE:
            raise StoreLocationError(f"{self} is a PostgreSQL database, not a file")
        return Path(self.target)

    @property
    def is_postgres(self) -> bool:
        return self.backend is Backend.POSTGRESQL

    def exists(self) -> bool:
        """Whether there is something to open without creating it (a server is assumed to exist)."""
        return self.is_postgres or Path(self.target).exists()

    def __str__(self) -> str:
        return redact(self.target) if self.is_postgres else self.target

    def __repr__(self) -> str:
        return f"StoreLocation({self.backend.value}, {str(self)!r})"


def redact(url: str) -> str:
    """`url` with its password (in the authority or a `password=` parameter) replaced by `***`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable database URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}{':***' if sep else ''}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(k.lower() == "password" for k, _ in pairs):
            query = urlencode([(k, "***" if k.lower() == "password" else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_location(value: str | os.PathLike[str]) -> StoreLocation:
    """A location from what the user wrote (see the module doc); a clear error for anything else."""
    text = os.fspath(value)
    if not text.strip():
        raise StoreLocationError("the database location is empty (give a file path or a postgresql:// URL)")
    match = _SCHEME.match(text)
    if match is None:
        return StoreLocation(Backend.SQLITE, text)
    scheme = match.group(1).lower()
    if scheme not in POSTGRES_SCHEMES:
        raise StoreLocationError(
            f"unsupported database URL scheme {scheme!r} in {redact(text)!r}: use a file path (SQLite) "
            "or a postgresql://user@host:5432/dbname URL"
        )
    parts = urlsplit(text)
    if not text.startswith(f"{match.group(1)}://"):
        raise StoreLocationError(
            f"malformed PostgreSQL URL {redact(text)!r}: write postgresql://user@host:5432/dbname"
        )
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise StoreLocationError(
            f"PostgreSQL URL {redact(text)!r} names no database: write postgresql://user@host:5432/dbname"
        )
    return StoreLocation(Backend.POSTGRESQL, text)


def resolve_location(
    cli_db: str | os.PathLike[str] | None, config: Config, env: Mapping[str, str]
) -> StoreLocation:
    """The database a command uses: `--db` > `SYMBI_DB` > `[scheduler] job_store_path` > `.symbi/symbi.db`."""
    if cli_db:
        return parse_location(cli_db)
    if env.get("SYMBI_DB"):
        return parse_location(env["SYMBI_DB"])
    if config.scheduler.job_store_path is not None:
        location = parse_location(config.scheduler.job_store_path)
        if config.scheduler.job_store == Backend.POSTGRESQL and not location.is_postgres:
            raise StoreLocationError(
                "job_store = 'postgresql' needs job_store_path = 'postgresql://user@host:5432/dbname'"
            )
        return location
    if config.scheduler.job_store == Backend.POSTGRESQL:
        raise StoreLocationError(
            "job_store = 'postgresql' needs job_store_path = 'postgresql://user@host:5432/dbname' "
            "(or --db / SYMBI_DB with that URL)"
        )
    return StoreLocation(Backend.SQLITE, str(DEFAULT_DB_PATH))


def open_store(
    location: StoreLocation | str | os.PathLike[str], *, lease_ttl_seconds: float | None = None
) -> Store:
    """Open (creating the schema when needed) the store at `location`. `lease_ttl_seconds` is how long
    a PostgreSQL node stays alive without renewing its lease (SQLite has no nodes)."""
    if not isinstance(location, StoreLocation):
        location = parse_location(location)
    if location.backend is Backend.SQLITE:
        from symbi_runtime.store.sqlite import SqliteStore

        return SqliteStore.open(location.target)
    try:
        # Imported only for PostgreSQL locations: SQLite users need no PostgreSQL driver loaded.
        from symbi_runtime.store.postgres import PostgresStore
    except ImportError as e:
        raise PermanentStoreError(
            f"cannot use {location}: PostgreSQL support is not installed ({e}); "
            "install symbi with its PostgreSQL driver (psycopg, psycopg-pool)"
        ) from None
    return PostgresStore.open(location, lease_ttl_seconds=lease_ttl_seconds)
