"""The SQLite store of a workspace: schema, migrations, and the only code in afina that writes SQL.

One database per workspace (``.afina/afina.db``) in WAL mode, so the TUI and a CLI command can
work on it at once. The schema version lives in ``PRAGMA user_version``; ``MIGRATIONS[i]``
takes a database from version ``i`` to ``i + 1``.
"""

from afina.engine.store.db import Store
from afina.engine.store.schema import SCHEMA_VERSION
from afina.engine.store.writer import SourceExists, SourceWriter, Stopped

__all__ = ["SCHEMA_VERSION", "SourceExists", "SourceWriter", "Stopped", "Store"]
