#!/usr/bin/env python3
"""Run afina's new-user path on a domain folder and record what it scored.

The path is the CLI's, one subprocess per verb, as a user would type it:

    afina init WS; afina import TRAIN; afina pairs extract; afina curate;
    afina pairs accept --status pending; afina split; afina index build --docs DOCS;
    afina train --follow; afina eval --examples heldout.jsonl

A domain folder is what ``make_domains.py`` writes (or any folder with ``train.jsonl`` or
``train.json``, ``heldout.jsonl`` and optionally ``docs/``). One JSON record per run is
printed and appended to the results file: the settings the run used (its ``spec.toml``), the
curate report, the train pair count and time, and per assistant the means of ROUGE-L, token F1
and facts with their intervals and the paired differences the report gives.

    python benchmarks/make_domains.py --domain clinic --out /tmp/clinic
    python benchmarks/domain_eval.py --domain-dir /tmp/clinic --label defaults
    python benchmarks/domain_eval.py --domain-dir /tmp/clinic --label lr5e-4 \\
        --set learning_rate=5e-4 --option r=16
    python benchmarks/domain_eval.py --domain-dir /tmp/clinic --reuse-workspace --label prompts

``--reuse-workspace`` keeps a workspace that already holds a finished run and only evaluates
again (for changes to prompts or decoding). A failed verb prints its stderr and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = Path("/tmp/afina-domain-results.jsonl")
METRICS = ("rouge_l", "token_f1", "facts")
STATE_FILE = "harness.json"  # what the first pass measured, for --reuse-workspace


class VerbFailed(Exception):
    pass


def afina_exe() -> str:
    local = ROOT / ".venv" / "bin" / "afina"
    if local.exists():
        return str(local)
    found = shutil.which("afina")
    if not found:
        sys.exit("no afina found: run scripts/setup.sh first")
    return found


def run_verb(ws: Path | None, *args: str) -> Any:
    """One CLI verb in the workspace; its JSON output parsed (or its text when not JSON)."""
    cmd = [afina_exe(), *(["-w", str(ws)] if ws else []), *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    secs = time.perf_counter() - t0
    print(f"  afina {' '.join(args)}  ({secs:.1f} s)", file=sys.stderr, flush=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise VerbFailed(f"afina {' '.join(args)} exited {proc.returncode}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        return proc.stdout


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    return env


def train(ws: Path, args: list[str]) -> tuple[dict[str, Any], float]:
    """``afina train --follow``; a run stopped from outside (a stray SIGTERM on a shared
    machine) is resumed once from its checkpoint rather than thrown away."""
    final, secs = follow(ws, ["train", "--follow", "--json", *args])
    if final.get("type") == "stopped":
        run = latest_run(ws).name
        print(f"  run {run} was stopped from outside; resuming it once", file=sys.stderr)
        final, more = follow(ws, ["jobs", "resume", run, "--follow", "--json"])
        final["resumed"] = True
        secs += more
    if final.get("type") != "finished":
        raise VerbFailed(f"afina train ended with {final.get('type')}: {json.dumps(final)}")
    return final, secs


def follow(ws: Path, args: list[str]) -> tuple[dict[str, Any], float]:
    """A verb that streams training events as JSON lines; the last event says how it ended
    (the CLI exits 0 on a failed run in JSON mode, so the event decides)."""
    cmd = [afina_exe(), "-w", str(ws), *args]
    print(f"  afina {' '.join(args)}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    last: dict[str, Any] = {}
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("type") == "heartbeat":
                continue
            last = event
            if event.get("type") == "step" and (event["step"] % 10 == 0 or event["step"] == 1):
                print(
                    f"    step {event['step']}/{event.get('total')} loss {event.get('loss')}"
                    f" ({event.get('s_per_step')} s/step)",
                    file=sys.stderr,
                    flush=True,
                )
        stderr = proc.stderr.read()
    secs = time.perf_counter() - t0
    if proc.returncode != 0 or last.get("type") not in ("finished", "stopped"):
        sys.stderr.write(stderr[-4000:] + "\n" + json.dumps(last) + "\n")
        raise VerbFailed(f"afina {args[0]} ended with {last.get('type')} (exit {proc.returncode})")
    print(f"    {last['type']} after {secs:.0f} s: {json.dumps(last)[:300]}", file=sys.stderr)
    return last, secs


def latest_run(ws: Path) -> Path:
    runs = [p.parent for p in (ws / "runs").glob("*/spec.toml")]
    if not runs:
        raise VerbFailed(f"no run in {ws / 'runs'}")
    return max(runs, key=lambda p: p.name)  # run ids start with their creation time


def spread_examples(src: Path, n: int | None, dest_dir: Path) -> Path:
    """The whole file, or ``n`` questions spread evenly over it (both languages, all topics)."""
    if not n:
        return src
    rows = [line for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    picked = [rows[i * len(rows) // n] for i in range(min(n, len(rows)))]
    dest = dest_dir / f"heldout.spread-{n}.jsonl"
    dest.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return dest


def train_file(domain: Path) -> Path:
    for name in ("train.jsonl", "train.json"):
        if (domain / name).is_file():
            return domain / name
    raise SystemExit(f"{domain} has no train.jsonl or train.json")


def build(args: argparse.Namespace, ws: Path) -> dict[str, Any]:
    """Workspace to finished run; what each step reported, for the record."""
    state: dict[str, Any] = {}
    ws.parent.mkdir(parents=True, exist_ok=True)
    run_verb(None, "init", str(ws), "--json")
    imported = run_verb(ws, "import", str(train_file(args.domain_dir)), "--json")
    totals = imported["totals"]
    if totals["refused"] or totals["skipped"] or not totals["imported"]:
        raise VerbFailed(f"import did not take the file: {json.dumps(imported['files'])}")
    state["imported_conversations"] = totals["conversations"]
    state["extract"] = run_verb(ws, "pairs", "extract", "--json", *args.extract_arg)
    state["curate"] = run_verb(ws, "curate", "--json", *args.curate_arg)
    run_verb(ws, "pairs", "accept", "--status", "pending", "--json")
    state["split"] = run_verb(ws, "split", "--json", *args.split_arg)
    docs = args.domain_dir / "docs"
    index_args = ["--docs", str(docs)] if docs.is_dir() else []
    index = run_verb(ws, "index", "build", "--json", *index_args, *args.index_arg)
    state["index"] = {k: index.get(k) for k in ("count", "pairs", "chunks", "seconds")}
    train_args = [f"--set={kv}" for kv in args.set] + [f"--option={kv}" for kv in args.option]
    final, secs = train(ws, train_args)
    state["train_seconds"] = round(secs, 1)
    state["train_final"] = final
    (ws / STATE_FILE).write_text(json.dumps(state, indent=1), encoding="utf-8")
    return state


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """Means with intervals per assistant and metric, the paired differences, and ROUGE-L by
    tag (language)."""
    out: dict[str, Any] = {"baseline": report.get("baseline"), "assistants": {}, "paired": {}}
    for name, entry in report.get("assistants", {}).items():
        out["assistants"][name] = {
            m: _rounded(entry["metrics"][m], "mean") for m in METRICS if m in entry["metrics"]
        }
    for name, diffs in report.get("paired", {}).items():
        out["paired"][name] = {m: _rounded(diffs[m], "diff") for m in METRICS if m in diffs}
    out["rouge_l_by_tag"] = {
        tag: {a: round(v["rouge_l"]["mean"], 3) for a, v in by_a.items() if "rouge_l" in v}
        for tag, by_a in report.get("tags", {}).items()
    }
    for key in ("verdict", "findings", "goals", "retrieval", "hit_at_k", "hits"):
        if report.get(key):
            out[key] = report[key]
    return out


def _rounded(iv: dict[str, Any], key: str) -> dict[str, Any]:
    return {key: round(iv[key], 4), "lo": round(iv["lo"], 4), "hi": round(iv["hi"], 4)}


def git_commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *a], capture_output=True, text=True
        ).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain") else "")


def append_record(results: Path, record: dict[str, Any]) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    with results.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"appended to {results}")


def print_table(record: dict[str, Any]) -> None:
    ev = record["eval"]
    print(
        f"\n{record['domain']} / {record['label']} ({record['commit']}), "
        f"{record['train_pairs']} train pairs, train {record['train_seconds']} s"
    )
    print(f"{'assistant':10} " + " ".join(f"{m:>9}" for m in METRICS) + "   paired rouge_l")
    for name, ms in ev["assistants"].items():
        cells = " ".join(f"{ms[m]['mean']:9.3f}" if m in ms else f"{'-':>9}" for m in METRICS)
        p = ev["paired"].get(name, {}).get("rouge_l")
        paired = f"{p['diff']:+.3f} [{p['lo']:+.3f}, {p['hi']:+.3f}]" if p else ""
        print(f"{name:10} {cells}   {paired}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--domain-dir", type=Path, required=True)
    ap.add_argument("--workdir", type=Path, help="workspace (default /tmp/afina-domain/NAME)")
    ap.add_argument("--label", default="defaults")
    ap.add_argument("--set", action="append", default=[], metavar="K=V", help="a [train] value")
    ap.add_argument("--option", action="append", default=[], metavar="K=V", help="method option")
    ap.add_argument("--questions", type=int, help="evaluate N held-out questions, spread evenly")
    ap.add_argument("--assistants", default="base,few-shot,rag,ft,ft+rag")
    ap.add_argument("--max-tokens", type=int)
    ap.add_argument("-k", type=int, dest="k")
    ap.add_argument(
        "--forgetting", action="store_true", help="run eval's forgetting probe (slow: off)"
    )
    ap.add_argument("--reuse-workspace", action="store_true", help="only evaluate again")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    for verb in ("extract", "curate", "split", "index", "eval"):
        ap.add_argument(
            f"--{verb}-arg",
            action="append",
            default=[],
            metavar="ARG",
            help=f"extra argument for the {verb} verb (e.g. --{verb}-arg=--json)",
        )
    args = ap.parse_args(argv)
    args.domain_dir = args.domain_dir.resolve()
    ws = (args.workdir or Path("/tmp/afina-domain") / args.domain_dir.name).resolve()

    try:
        if args.reuse_workspace and (ws / STATE_FILE).is_file():
            print(f"reusing {ws}", file=sys.stderr)
            state = json.loads((ws / STATE_FILE).read_text(encoding="utf-8"))
        else:
            if ws.exists():
                if not (ws / "afina.toml").is_file():
                    sys.exit(f"{ws} exists and is not an afina workspace; choose --workdir")
                shutil.rmtree(ws)
            state = build(args, ws)
        run_dir = latest_run(ws)
        examples = spread_examples(args.domain_dir / "heldout.jsonl", args.questions, ws)
        eval_args = ["--run", run_dir.name, "--examples", str(examples), "--json"]
        eval_args += ["--assistants", args.assistants]
        if args.max_tokens:
            eval_args += ["--max-tokens", str(args.max_tokens)]
        if not args.forgetting:  # 20 more general questions per tuned assistant
            eval_args.append("--no-forgetting")
        if args.k:
            eval_args += ["-k", str(args.k)]
        t0 = time.perf_counter()
        evaluated = run_verb(ws, "eval", *eval_args, *args.eval_arg)
        eval_secs = time.perf_counter() - t0
    except VerbFailed as e:
        print(f"domain_eval: {e}", file=sys.stderr)
        return 1

    spec = tomllib.loads((run_dir / "spec.toml").read_text(encoding="utf-8"))
    record = {
        "domain": args.domain_dir.name,
        "label": args.label,
        "commit": git_commit(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "run": run_dir.name,
        "workspace": str(ws),
        "overrides": {"set": args.set, "option": args.option},
        "settings": {"train": spec.get("train", {}), "method_options": spec.get("method_options")},
        "train_pairs": spec.get("run", {}).get("examples"),
        "split": state["split"].get("accepted_pairs"),
        "train_seconds": state["train_seconds"],
        "train_final": {
            k: state["train_final"].get(k)
            for k in ("steps", "train_loss", "eval_loss", "train_runtime", "resumed")
        },
        "curate": state["curate"],
        "index": state["index"],
        "questions": args.questions or "all",
        "eval_seconds": round(eval_secs, 1),
        "eval_folder": evaluated.get("folder"),
        "eval": summarize(evaluated["report"]),
    }
    print_table(record)
    append_record(args.results, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
