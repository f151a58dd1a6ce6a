"""The demo's stages, in order, on the sample domain that ships with afina.

Each stage is a function over a workspace; the UI draws progress: import, curate (rules
accept what passes, since no person reviews a demo), index (the retrieval index of pairs and
documents, built before training so that a run can put retrieved pairs in its prompts),
train (a background job) and evaluate (five assistants on the held-out questions, a report
with intervals).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from afina.engine.actions import curation
from afina.engine.actions.curation import CurateRequest, ExportRequest, ExtractRequest, SplitRequest
from afina.engine.demo.evaluate import demo_eval_units, evaluate_demo
from afina.engine.demo.train import DemoOptions, train_and_follow
from afina.engine.errors import AfinaError
from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import Progress, import_candidates
from afina.engine.paths import shipped_data
from afina.engine.workspace import Workspace


def sample_domain() -> Path:
    """The sample domain's folder, shipped as package data (afina.datasets)."""
    return shipped_data("sample_domain")


@dataclass
class StageResult:
    name: str
    summary: str
    details: dict[str, object] = field(default_factory=dict)


def stage_import(ws: Workspace, progress: Progress, opts: DemoOptions) -> StageResult:
    root = sample_domain()
    paths = [root / "whatsapp", root / "slack"]
    candidates = list(Sniffer().candidates(paths))
    with ws.open_store() as store:
        summaries = import_candidates(store, candidates, ws.config.import_.options, progress)
        counts = store.counts()
    refused = [s for s in summaries if s.status == "refused"]
    if refused:
        raise AfinaError(
            f"the sample domain failed to import: {refused[0].path}: {refused[0].reason}"
        )
    return StageResult(
        "import",
        f"{counts['conversations']} conversations, {counts['turns']} turns from "
        f"{sum(s.status == 'imported' for s in summaries)} files",
        {"files": [s.to_json() for s in summaries], "workspace": counts},
    )


def import_size(ws: Workspace, opts: DemoOptions) -> int:
    root = sample_domain()
    return sum(
        p.stat().st_size
        for d in ("whatsapp", "slack")
        for p in (root / d).rglob("*")
        if p.is_file()
    )


# The name on the company's own WhatsApp account: without it in the allow-list, "Lumiar"
# is scrubbed as a person's first name wherever it is written ("O <NAME_1> 300 custa...").
COMPANY_NAME = "Lumiar Fibra"


def company_contacts() -> tuple[str, ...]:
    """The sample company's own name, phone numbers and e-mail: facts to learn, not
    personal data."""
    facts = json.loads((sample_domain() / "facts.json").read_text(encoding="utf-8"))
    values = {
        v
        for fact in facts
        if fact.get("topic") == "contact"
        for lang in ("pt", "en")
        for v in fact.get(lang, {}).get("values", {}).values()
    }
    return (COMPANY_NAME, *sorted(values))


def stage_curate(ws: Workspace, progress: Progress, opts: DemoOptions) -> StageResult:
    """Extract pairs (agents guessed), scrub, run the rules and dedupe, accept what passes.

    No person reviews the demo, so what passes the rules is accepted; in real use a person
    reviews in the Curate screen or with `afina pairs`.
    """
    allow = company_contacts()
    extracted = curation.extract(ws, ExtractRequest(allow=allow), progress.on_bytes)
    curated = curation.curate(ws, CurateRequest(accept_passing=True)).report
    split = curation.split(ws, SplitRequest(fix_leakage=True))
    out = ws.root / "exports" / "pairs.jsonl"
    result = curation.export(ws, ExportRequest("messages", out, per_split=True, allow=allow)).result
    removed = {k: v for k, v in curated.removed.items() if v}
    removed.update({f"duplicate ({k})": v for k, v in curated.duplicates.items()})
    removed_text = ", ".join(f"{k} {v}" for k, v in removed.items()) or "nothing"
    groups, in_groups = curated.paraphrase_groups, curated.paraphrase_pairs
    paraphrases = f"{groups} paraphrase groups ({in_groups} pairs)"
    return StageResult(
        "curate",
        f"{extracted.added} pairs extracted, {sum(extracted.pii.values())} personal-data values "
        f"scrubbed; removed: {removed_text}; kept {paraphrases}; {curated.accepted} accepted; "
        f"split {dict(result.counts)}, exported to exports/",
        {
            "extracted": extracted.added,
            "pii": dict(extracted.pii),
            "removed": removed,
            "accepted": curated.accepted,
            "paraphrase_groups": curated.paraphrase_groups,
            "paraphrase_pairs": curated.paraphrase_pairs,
            "splits": dict(result.counts),
            "leaks_fixed": split.fixed,
            "exported": [str(p) for p in result.paths],
        },
    )


def curate_size(ws: Workspace, opts: DemoOptions) -> int:
    with ws.open_store() as store:
        return store.counts()["conversations"]


def stage_train(ws: Workspace, progress: Progress, opts: DemoOptions) -> StageResult:
    """Fine-tune the embedded model on the curated pairs in a background job, followed here."""
    if opts.steps == 0:
        return StageResult("train", "skipped (--steps 0)")
    summary, details = train_and_follow(ws, opts, progress, company_contacts())
    return StageResult("train", summary, details)


def train_size(ws: Workspace, opts: DemoOptions) -> int:
    from afina.engine.demo.train import demo_run

    return 0 if opts.steps == 0 else int(demo_run(ws, opts)[0].max_steps)


def stage_index(ws: Workspace, progress: Progress, opts: DemoOptions) -> StageResult:
    """The retrieval index of the accepted train pairs and the company's documents."""
    from afina.engine.rag.workspace_index import build_workspace_index

    done = 0

    def on_progress(stage: str, n: int, total: int) -> None:
        nonlocal done
        if stage == "embed" and n > done:
            progress.on_bytes(n - done)
            done = n

    options = {"embedder": opts.embedder} if opts.embedder else None
    built = build_workspace_index(
        ws, docs=sample_domain() / "docs", options=options, progress=on_progress
    )
    return StageResult(
        "index",
        f"{built.pairs} pairs and {built.chunks} document chunks indexed "
        f"({built.report.kind}, {built.report.embedder})",
        {"pairs": built.pairs, "chunks": built.chunks},
    )


def index_size(ws: Workspace, opts: DemoOptions) -> int:
    from afina.engine.rag.workspace_index import DocsSettings, doc_entries, pair_entries

    docs = DocsSettings(sample_domain() / "docs")  # the defaults the index stage builds with
    return len(pair_entries(ws)) + len(doc_entries(docs))


def stage_evaluate(ws: Workspace, progress: Progress, opts: DemoOptions) -> StageResult:
    """Base, few-shot, RAG, FT and FT+RAG answer the held-out questions; the report says who
    does better, with intervals."""
    if opts.steps == 0:
        return StageResult("evaluate", "skipped (no fine-tune to evaluate)")
    summary, details = evaluate_demo(ws, opts, progress.on_bytes)
    return StageResult("evaluate", summary, details)


def evaluate_size(ws: Workspace, opts: DemoOptions) -> int:
    return 0 if opts.steps == 0 else demo_eval_units(opts)


Stage = Callable[[Workspace, Progress, DemoOptions], StageResult]
# name, the stage, its amount of work, and the unit that amount is counted in
STAGES: tuple[tuple[str, Stage, Callable[[Workspace, DemoOptions], int], str], ...] = (
    ("import", stage_import, import_size, "bytes"),
    ("curate", stage_curate, curate_size, "conversations"),
    ("index", stage_index, index_size, "texts"),
    ("train", stage_train, train_size, "steps"),
    ("evaluate", stage_evaluate, evaluate_size, "answers"),
)

__all__ = ["STAGES", "DemoOptions", "StageResult", "sample_domain"]
