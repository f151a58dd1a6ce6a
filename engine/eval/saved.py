"""Evaluation results on disk: one folder per evaluation, kept under the run it evaluated.

    runs/<id>/eval/<stamp>/report.json    the report (build_report's dict, plus context)
    runs/<id>/eval/<stamp>/report.md      the same report for people
    runs/<id>/eval/<stamp>/answers.jsonl  one line per (assistant, example): the question,
                                          the reference, the answer, its sources and scores

An evaluation without a run (base, few-shot and rag only) goes under ``evals/<stamp>/`` in
the workspace. Files are written to a temporary name and renamed, so a killed evaluation
never leaves half a report that a screen would show as finished.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afina.engine.errors import NotFound, ParseError
from afina.engine.paths import write_atomic
from afina.engine.workspace import Workspace

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
ANSWERS = "answers.jsonl"


@dataclass(frozen=True)
class SavedEval:
    folder: Path
    run: str | None  # the run evaluated, None for an evaluation of base assistants only

    @property
    def stamp(self) -> str:
        return self.folder.name

    def report(self) -> dict[str, Any]:
        return _read_json(self.folder / REPORT_JSON)

    def answers(self) -> list[dict[str, Any]]:
        path = self.folder / ANSWERS
        out = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ParseError(f"{path}:{n}", str(e)) from e
        return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise NotFound(f"no report at {path}") from e
    except json.JSONDecodeError as e:
        raise ParseError(str(path), str(e)) from e
    if not isinstance(data, dict):
        raise ParseError(str(path), "expected a JSON object")
    return data


def new_folder(ws: Workspace, run_dir: Path | None) -> Path:
    base = (run_dir / "eval") if run_dir is not None else (ws.root / "evals")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    folder, n = base / stamp, 1
    while folder.exists():  # two evaluations in one second
        n += 1
        folder = base / f"{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def _write(path: Path, text: str) -> None:
    # Synced as well as renamed: after a power cut report.json, which says the folder is
    # complete, must not stand beside answers that never reached the disk.
    write_atomic(path, text)


def save(folder: Path, report: Mapping[str, Any], answers: Iterable[Mapping[str, Any]]) -> None:
    """Answers first and the JSON report last: a folder with report.json is complete."""
    # The report module brings numpy, which the CLI does not load at start-up.
    from afina.engine.eval.report_render import render_json, render_markdown

    _write(
        folder / ANSWERS,
        "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers),
    )
    _write(folder / REPORT_MD, render_markdown(report) + checks_markdown(report))
    _write(folder / REPORT_JSON, render_json(report))


def checks_markdown(report: Mapping[str, Any]) -> str:
    """The evaluation's own sections: what was asked, forgetting, leakage."""
    out = [""]
    ex = report.get("examples") or {}
    settings = report.get("settings") or {}
    if ex:
        out += [
            "## Setup",
            "",
            f"{ex.get('n')} questions from {ex.get('from') or 'a file'}; run "
            f"{report.get('run') or '(none)'}; retrieval k={settings.get('k')} from index "
            f"{settings.get('index')}; at most {settings.get('max_new_tokens')} new tokens, "
            f"greedy; {settings.get('latency', '')}.",
            "",
        ]
    f = report.get("forgetting")
    if f:
        verdict = (
            "little change"
            if f["ratio"] < 1.15
            else "the fine-tune has lost some general fluency"
            if f["ratio"] < 1.5
            else "the fine-tune has forgotten much of its general fluency"
        )
        out += [
            "## Forgetting probe",
            "",
            f"Perplexity of {f['texts']} general-knowledge answers: {f['before']:.2f} with the "
            f"base model, {f['after']:.2f} after the fine-tune (×{f['ratio']:.2f}): {verdict}.",
            "",
        ]
    leak = report.get("leakage")
    if leak:
        flagged = leak.get("flagged") or []
        out += ["## Leakage check", ""]
        against = " and ".join(leak.get("against") or []) or "nothing"
        if not flagged:
            out.append(
                f"None of the {leak['checked']} references sits nearly verbatim in {against}."
            )
        else:
            examples = sorted({x["example"] for x in flagged})
            out.append(
                f"{len(examples)} of {leak['checked']} references sit nearly verbatim (≥80% of "
                f"their 5-word sequences) in {against}; scores on them measure memory more "
                "than generalisation:"
            )
            out.append("")
            out += [
                f"- {x['example']}: {x['where']} {x['key']} ({x['similarity']:.0%})"
                for x in flagged[:20]
            ]
            if len(flagged) > 20:
                out.append(f"- ... and {len(flagged) - 20} more (report.json has them all)")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if len(out) > 1 else ""


def list_evals(ws: Workspace) -> list[SavedEval]:
    """Every finished evaluation in the workspace, newest first."""
    found = [
        SavedEval(f.parent, f.parent.parent.parent.name)
        for f in (ws.root / "runs").glob(f"*/eval/*/{REPORT_JSON}")
    ]
    found += [SavedEval(f.parent, None) for f in (ws.root / "evals").glob(f"*/{REPORT_JSON}")]
    return sorted(found, key=lambda e: e.stamp, reverse=True)


def latest(ws: Workspace, run: str | None = None) -> SavedEval | None:
    for e in list_evals(ws):
        if run is None or e.run == run:
            return e
    return None
