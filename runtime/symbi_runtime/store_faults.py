"""Which failures of the job store can pass by themselves, and which need a person.

The scheduler keeps retrying a write that failed because the disk was full, another connection held
the lock past the busy timeout, or the I/O layer hiccupped: those pass, and the outcome waiting in
memory is written once they do. A database that is read-only, missing, corrupt or not SQLite at all
never heals by waiting: `symbi up` refuses to start on one (exit 2) instead of saying "running" while
nothing fires.
"""

from __future__ import annotations

import sqlite3

# SQLite primary result codes (https://sqlite.org/rescode.html) of failures that pass with time.
_TRANSIENT_CODES = frozenset(
    {
        5,  # SQLITE_BUSY: another connection holds the lock past busy_timeout
        6,  # SQLITE_LOCKED
        7,  # SQLITE_NOMEM
        10,  # SQLITE_IOERR (includes a full disk seen while writing the WAL)
        13,  # SQLITE_FULL: database or disk is full
        15,  # SQLITE_PROTOCOL: a WAL lock race
    }
)


def is_transient(error: BaseException) -> bool:
    """True when retrying the same write later can succeed (busy, full, I/O); False for permanent
    problems (read-only, cannot open, corrupt, not a database) and for errors that are not SQLite's."""
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int):
            return (code & 0xFF) in _TRANSIENT_CODES
        text = str(error).lower()
        return any(k in text for k in ("locked", "busy", "disk is full", "disk i/o error"))
    if isinstance(error, OSError):
        import errno

        return error.errno in (errno.ENOSPC, errno.EAGAIN, errno.EBUSY, errno.EIO)
    cause = error.__cause__ or error.__context__
    return cause is not None and cause is not error and is_transient(cause)


# Failures no retry cures: the database is read-only, cannot be opened, is corrupt or is not a database.
_PERMANENT_CODES = frozenset({3, 8, 11, 14, 23, 26})  # PERM, READONLY, CORRUPT, CANTOPEN, AUTH, NOTADB


def is_permanent(error: BaseException) -> bool:
    """True when the database itself cannot be written any more (read-only, corrupt, gone): the
    scheduler stops and says so instead of retrying a tick that can never succeed."""
    if isinstance(error, sqlite3.DatabaseError):
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int):
            return (code & 0xFF) in _PERMANENT_CODES
        text = str(error).lower()
        return any(k in text for k in ("readonly", "malformed", "not a database", "unable to open"))
    return False
