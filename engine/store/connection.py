"""The store's SQLite connection: a busy or damaged database becomes an error a person can act on.

SQLite says "database is locked" when another process held the write lock for longer than
the busy timeout, and "database disk image is malformed" or "file is not a database" when
the file is damaged; either can come from any statement or any row fetched. Raised as they
are, they surfaced as "importer failed" or "internal error ... a bug in afina". Every cursor
of the connection turns them into :class:`WorkspaceBusy` and :class:`WorkspaceDamaged`
where they happen, so no caller has to remember to.
"""

from __future__ import annotations

import shlex
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

from afina.engine.errors import WorkspaceBusy, WorkspaceDamaged

# Primary result codes (the low byte of an extended code such as SQLITE_BUSY_SNAPSHOT).
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_DAMAGED = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def is_busy(e: sqlite3.Error) -> bool:
    return (getattr(e, "sqlite_errorcode", 0) & 0xFF) in _BUSY


def is_damaged(e: sqlite3.Error) -> bool:
    if (getattr(e, "sqlite_errorcode", 0) & 0xFF) in _DAMAGED:
        return True
    text = str(e)
    return "malformed" in text or "not a database" in text


def damaged(path: Path, detail: str) -> WorkspaceDamaged:
    """The error for a corrupt database, with the commands that save what it still holds."""
    db = shlex.quote(str(path))
    saved = shlex.quote(str(path.with_name("recovered.db")))
    return WorkspaceDamaged(
        f"{path}: the workspace database is damaged ({detail})",
        f'recover what it holds with: sqlite3 {db} ".recover" | sqlite3 {saved}; then move '
        f"{path.name} and its -wal and -shm files aside and rename recovered.db to {path.name}",
    )


class Connection(sqlite3.Connection):
    """A connection whose cursors raise afina's errors for a busy or damaged database.

    ``busy_note`` says what the process holding the workspace is doing (None: unknown).
    """

    path: Path
    busy_note: Callable[[], str | None]

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or Cursor)

    # sqlite3's own execute shortcuts make a plain cursor; these go through ours.
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any:
        return self.cursor().executemany(sql, parameters)

    def translate(self, e: sqlite3.Error) -> Exception:
        if is_busy(e):
            what = self.busy_note()
            if what:
                return WorkspaceBusy(f"workspace busy: {what}", "try again when it has finished")
            return WorkspaceBusy(
                "workspace busy: another afina command is writing to it", "try again in a moment"
            )
        if is_damaged(e):
            return damaged(self.path, str(e))
        return e


class Cursor(sqlite3.Cursor):
    def _fail(self, e: sqlite3.Error) -> NoReturn:
        connection = self.connection
        translated = connection.translate(e) if isinstance(connection, Connection) else e
        if translated is e:
            raise e
        raise translated from e

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as e:
            self._fail(e)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.DatabaseError as e:
            self._fail(e)

    # A damaged page can be met on any row, not only on the first.
    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as e:
            self._fail(e)

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as e:
            self._fail(e)

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as e:
            self._fail(e)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except sqlite3.DatabaseError as e:
            self._fail(e)


def connect(path: Path, busy_seconds: float, busy_note: Callable[[], str | None]) -> Connection:
    db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, factory=Connection)
    assert isinstance(db, Connection)
    db.path = path
    db.busy_note = busy_note
    return db
