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
    # 1 -> 2: pairs extracted from conversations, their review state and the append-only log
    # of every review change (batches undo and redo as a whole), rule hits, personal data
    # found (the values themselves only in pii_values, which no export reads), splits.
    """
    CREATE TABLE pairs (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        key INTEGER NOT NULL UNIQUE,
        prompt TEXT NOT NULL,
        response TEXT NOT NULL,
        context TEXT,
        system TEXT,
        turn_ids TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX pairs_conversation ON pairs(conversation_id);
    CREATE TABLE pair_state (
        pair_id INTEGER PRIMARY KEY REFERENCES pairs(id),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'accepted', 'rejected')),
        prompt TEXT,
        response TEXT,
        tags TEXT NOT NULL DEFAULT '',
        note TEXT
    );
    CREATE INDEX pair_state_status ON pair_state(status);
    CREATE TABLE review_batches (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('do', 'undo', 'redo')),
        ref INTEGER REFERENCES review_batches(id),
        action TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE review_ops (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES review_batches(id),
        pair_id INTEGER NOT NULL REFERENCES pairs(id),
        field TEXT NOT NULL CHECK (field IN ('status', 'prompt', 'response', 'tags', 'note')),
        before TEXT,
        after TEXT
    );
    CREATE INDEX review_ops_batch ON review_ops(batch_id);
    CREATE TABLE rule_hits (
        pair_id INTEGER NOT NULL REFERENCES pairs(id),
        rule TEXT NOT NULL,
        field TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX rule_hits_pair ON rule_hits(pair_id);
    CREATE INDEX rule_hits_rule ON rule_hits(rule);
    CREATE TABLE pii_values (
        conversation_id INTEGER NOT NULL REFERENCES conversations(id),
        placeholder TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (conversation_id, placeholder)
    );
    CREATE TABLE splits (
        conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
        split TEXT NOT NULL CHECK (split IN ('train', 'validation', 'test'))
    );
    """,
    # 2 -> 3: blind votes between two assistants' answers to one prompt. answers and sources
    # are JSON keyed by assistant name, so a vote keeps what was judged even after a run or an
    # index is deleted. tags use the ",a,b," form of pair_state.tags (one instr() filters).
    # run and session are free text, not foreign keys: runs live in folders, not tables.
    """
    CREATE TABLE votes (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        prompt TEXT NOT NULL,
        left_assistant TEXT NOT NULL,
        right_assistant TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad')),
        answers TEXT NOT NULL,
        sources TEXT,
        tags TEXT NOT NULL DEFAULT '',
        run TEXT,
        session TEXT,
        CHECK (left_assistant <> right_assistant)
    );
    CREATE INDEX votes_run ON votes(run);
    CREATE INDEX votes_session ON votes(session);
    CREATE INDEX votes_at ON votes(at);
    """,
    # 3 -> 4: an import commits in batches so other commands get turns at the database; its
    # source is written with complete = 0, which every reader skips (with its conversations
    # and turns), and becomes 1 only at the end, so a file still counts as all or nothing.
    # A stopped or crashed import leaves complete = 0 rows for the next one to delete. Its
    # turns all have ids above turns_after (the largest turn id when it began), so they are
    # found by a range of the table's own key: an index on turns(source_id) would do it too,
    # but costs every import about 7% of its time.
    """
    ALTER TABLE sources ADD COLUMN complete INTEGER NOT NULL DEFAULT 1
        CHECK (complete IN (0, 1));
    ALTER TABLE sources ADD COLUMN turns_after INTEGER;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
