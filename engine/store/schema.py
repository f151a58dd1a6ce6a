"""The schema: ``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: sources, what was noted while reading them, conversations and their turns.
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        importer TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        size INTEGER NOT NULL,
        conversations INTEGER NOT NULL DEFAULT 0,
        turns INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        repaired INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE source_notes (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        kind TEXT NOT NULL CHECK (kind IN ('skip', 'repair')),
        place TEXT NOT NULL,
        message TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX source_notes_source ON source_notes(source_id);
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        importer TEXT NOT NULL,
        key TEXT NOT NULL,
        title TEXT,
        place TEXT NOT NULL,
        meta TEXT,
        UNIQUE (importer, key)
    );
    CREATE INDEX conversations_source ON conversations(source_id);
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        seq INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        key INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        role TEXT CHECK (role IN ('user', 'assistant', 'system', 'tool')),
        text TEXT NOT NULL,
        ts TEXT,
        reply_to TEXT,
        thread TEXT,
        alternatives TEXT,
        meta TEXT,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        place TEXT NOT NULL
    );
    -- Leading with the minute keeps index inserts nearly in order for a chat that is
    -- imported oldest first (random 64-bit keys alone make every insert a random write).
    CREATE UNIQUE INDEX turns_key ON turns(conversation_id, minute, key);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
