"""Lexical and hybrid retrieval (BM25 with accent folding, reciprocal rank fusion), the mode
recorded in an index's metadata, and retrieval hit@k of held-out questions' facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from afina.engine.errors import PluginError, UsageError
from afina.engine.eval.examples import EvalExample, read_examples
from afina.engine.eval.retrieval_hits import Retrieved, from_sources, hit_rates, measure_index
from afina.engine.plugins import load_plugin
from afina.engine.rag.contract import Entry
from afina.engine.rag.embed import HashEmbedder
from afina.engine.rag.index_files import META
from afina.engine.rag.index_query import lexical_text
from afina.engine.rag.lexical import BM25, fuse, words
from afina.engine.rag.workspace_index import build_workspace_index, open_index

FAISS = load_plugin("retriever", "faiss")


def pair(key: str, prompt: str, response: str) -> Entry:
    return Entry(
        key,
        prompt,
        "pairs",
        passage=f"{prompt}\n\n{response}",
        payload={"kind": "pair", "prompt": prompt, "response": response},
    )


PAIRS = [
    pair("p0", "Qual o preço do plano de 300 Mbps?", "O Lumiar 300 custa R$ 99,90 por mês."),
    pair("p1", "Como cancelo o serviço?", "Pelo app: Conta > Cancelar serviço, sem multa."),
    pair("p2", "What are your support hours?", "We answer from 8am to 10pm every day."),
    pair("p3", "Vocês atendem no domingo?", "Sim, o suporte atende todos os dias das 8h às 22h."),
]


def test_words_fold_case_and_accents_and_keep_numbers():
    assert words("Serviço de 300-Mbps, Não!") == ["servico", "de", "300", "mbps", "nao"]


def test_bm25_ranks_an_accent_folded_portuguese_match_first():
    bm25 = BM25(lexical_text(e.record()) for e in PAIRS)
    # typed without accents, as people type in chats; the stored text has them
    top = bm25.top("como faço pra cancelar o servico", 4)
    assert top[0][0] == 1 and top[0][1] > 0
    assert [row for row, _ in bm25.top("preco 300 mbps", 1)] == [0]
    # a word in no text scores nothing, and no shared word means no row at all
    assert bm25.top("xyzzy", 3) == []


def test_bm25_rarer_words_weigh_more_and_long_texts_less():
    bm25 = BM25(["plano fatura", "plano", "plano fatura " + "outra coisa " * 20])
    scores = bm25.scores("plano fatura")
    assert scores[0] > scores[2] > scores[1] > 0  # fatura is rarer; the long text is diluted


def test_fusion_merges_and_dedupes_rows():
    fused = fuse([[3, 1, 2], [1, 4]], k=10)
    rows = [row for row, _ in fused]
    assert rows[0] == 1  # second and first: ahead of any row found by one ranking only
    assert sorted(rows) == [1, 2, 3, 4] and len(rows) == len(set(rows))
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert rows[1:3] == [3, 4]  # equal scores (first in one ranking): the first ranking's first
    assert len(fuse([[3, 1, 2], [1, 4]], k=2)) == 2


def build(tmp_path: Path, **options: Any) -> Path:
    folder = tmp_path / "ix"
    FAISS(options, embedder=HashEmbedder(64)).build(PAIRS, folder)
    return folder


def test_modes_query_and_the_mode_is_recorded(tmp_path: Path):
    folder = build(tmp_path, mode="lexical")
    meta = json.loads((folder / META).read_text("utf-8"))
    assert meta["options"]["mode"] == "lexical"
    r = FAISS.load(folder)  # no embedder given: lexical needs no model
    hits = r.query("cancelar servico", 2)
    assert hits[0].key == "p1" and hits[0].payload["response"].startswith("Pelo app")

    hybrid = FAISS.load(build(tmp_path / "h", mode="hybrid"), embedder=HashEmbedder(64))
    keys = [h.key for h in hybrid.query("cancelar servico", 4)]
    assert keys[0] == "p1" and len(keys) == len(set(keys)) == 4

    with pytest.raises(PluginError, match="mode"):
        FAISS({"mode": "fuzzy"}, embedder=HashEmbedder(64))


def test_an_index_without_a_saved_mode_still_opens_and_answers(tmp_path: Path):
    folder = build(tmp_path, mode="dense")
    meta = json.loads((folder / META).read_text("utf-8"))
    del meta["options"]["mode"]  # what an index built before modes existed holds
    (folder / META).write_text(json.dumps(meta), "utf-8")
    r = FAISS.load(folder, embedder=HashEmbedder(64))
    assert r.settings["mode"] in ("dense", "hybrid", "lexical")
    assert r.query("Qual o preço do plano de 300 Mbps?", 1)[0].key == "p0"


def test_hit_rates_by_language():
    items = [
        Retrieved("pt", ("R$ 99,90",), ("nada aqui", "custa 99,90 reais")),  # hit at 2
        Retrieved("pt", ("Lumiar 300",), ("o lumiar 300",)),  # hit at 1, case folded
        Retrieved("en", ("8am", "10pm"), ("from 8am", "8am to 10pm")),  # both facts: rank 2
        Retrieved("en", ("São José",), ("Sao Jose branch",)),  # accents folded: hit at 1
        Retrieved("en", ("X1",), ("nothing",)),  # a miss
        Retrieved("pt", (), ("no facts: not counted",)),
    ]
    r = hit_rates(items, k=2)
    assert r["overall"]["n"] == 5
    assert (r["overall"]["hits_at_1"], r["overall"]["hits_at_k"]) == (2, 4)
    assert r["by_lang"]["pt"]["hit_at_1"] == 0.5 and r["by_lang"]["pt"]["hit_at_k"] == 1.0
    assert r["by_lang"]["en"]["hits_at_1"] == 1 and r["by_lang"]["en"]["hits_at_k"] == 2
    assert hit_rates(items, k=1)["overall"]["hits_at_k"] == 2


def test_from_sources_reads_report_rows():
    examples = [EvalExample("a", "q?", "r", ("99,90",), ("pt",), "pt"), EvalExample("b", "q", "r")]
    got = from_sources(examples, [[{"text": "x"}, {"text": "R$ 99,90"}], []], k=2)
    assert got is not None and got["by_lang"]["pt"]["hits_at_k"] == 1
    assert got["overall"]["hits_at_1"] == 0
    assert from_sources(examples[1:], [[]], k=2) is None  # no facts anywhere: no section


def test_examples_keep_their_language(tmp_path: Path):
    path = tmp_path / "h.jsonl"
    line = {"id": "x", "lang": "pt", "question": "q?", "reference": "r", "facts": ["r"]}
    path.write_text(json.dumps(line) + "\n", "utf-8")
    (ex,) = read_examples(path)
    assert ex.lang == "pt" and ex.tags == ("pt",) and ex.facts == ("r",)


def test_measure_a_workspace_index_by_mode(curated_ws):
    from afina.engine.demo.stages import sample_domain

    build_workspace_index(curated_ws, options={"embedder": "hash:64", "mode": "dense"})
    examples = read_examples(sample_domain() / "heldout.jsonl")
    results = {
        m: measure_index(curated_ws, examples, k=3, mode=m) for m in ("dense", "lexical", "hybrid")
    }
    for mode, r in results.items():
        assert r["mode"] == mode and r["k"] == 3 and set(r["by_lang"]) == {"en", "pt"}
        o = r["overall"]
        assert o["n"] == sum(e["n"] for e in r["by_lang"].values()) == len(examples)
        assert 0 <= o["hits_at_1"] <= o["hits_at_k"] <= o["n"]
    # BM25 finds more of the facts than hashed words at this size: a real difference, not noise
    assert results["lexical"]["overall"]["hits_at_k"] > results["dense"]["overall"]["hits_at_k"]
    assert open_index(curated_ws).settings["mode"] == "dense"  # measuring changed nothing
    with pytest.raises(UsageError, match="facts"):
        measure_index(curated_ws, [EvalExample("a", "q", "r")])


def test_cli_index_eval(curated_ws, monkeypatch, capsys):
    from afina.engine.demo.stages import sample_domain
    from afina.tui.cli import main

    build_workspace_index(curated_ws, options={"embedder": "hash:64"})
    monkeypatch.chdir(curated_ws.root)
    heldout = str(sample_domain() / "heldout.jsonl")
    code = main(["index", "eval", "--examples", heldout, "--mode", "lexical", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    (result,) = json.loads(out)
    assert result["mode"] == "lexical" and result["by_lang"]["pt"]["n"] > 0
    assert main(["index", "eval", "--examples", heldout]) == 0
    assert "hit@3" in capsys.readouterr().out
