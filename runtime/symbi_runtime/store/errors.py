"""What went wrong in the store, in terms a caller can act on, whatever the backend.

Three kinds, all `StoreError` (so `except StoreError` still catches every store failure):

- `StoreError` itself: the request cannot be carried out (no such job, a run not awaiting approval, a
  location that is not a database URL or path). Show the message; retrying changes nothing.
- `TransientStoreError`: the database could not answer now — busy or locked, the disk full, the
  connection lost. Retry later (the scheduler backs off a tick; a run's final write retries).
- `PermanentStoreError`: this database cannot be used by this symbi — read-only, a schema newer than
  this symbi, not a symbi database, cannot be opened. Stop with the message; retrying never helps.

The backends translate their driver's exceptions into these (no caller catches `sqlite3` or `psycopg`
errors itself), keeping the driver's text in the message for the operator.
"""

from __future__ import annotations


class StoreError(Exception):
    """A store request that cannot be carried out; the message says why in the user's words."""

    transient: bool = False


class TransientStoreError(StoreError):
    """The database could not answer now (busy, disk full, connection lost): the same request may
    succeed if retried later."""

    transient = True


class PermanentStoreError(StoreError):
    """The database cannot be used by this symbi (read-only, schema too new, not a symbi database,
    cannot be opened): retrying never helps; stop and tell the user."""
