"""SQL on a test's store from outside it (damaging rows, seeding history), on either backend."""

from __future__ import annotations

import sqlite3
from typing import Any

from symbi_runtime.store import parse_location
from symbi_runtime.store.sqlite import to_us


def execute(location: str, sql: str, rows: list[tuple[Any, ...]] | None = None) -> list[tuple[Any, ...]]:
    """Run `sql` (qmark placeholders) on the store at `location`: once with `rows[0]`-style parameter
    tuples for each row, or as a query; datetimes in rows become the backend's time values."""
    from datetime import datetime

    if parse_location(location).is_postgres:
        import psycopg

        with psycopg.connect(location) as pg:
            cur = pg.cursor()
            if rows is not None:
                cur.executemany(sql.replace("?", "%s"), rows)
                return []
            cur.execute(sql.replace("?", "%s"))
            return cur.fetchall() if cur.description else []
    with sqlite3.connect(location) as conn:
        if rows is not None:
            conn.executemany(
                sql, [tuple(to_us(v) if isinstance(v, datetime) else v for v in r) for r in rows]
            )
            return []
        return conn.execute(sql).fetchall()
