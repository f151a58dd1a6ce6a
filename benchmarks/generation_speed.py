"""Generation speed: time to first token and tokens per second of afina's streaming path, for
each assistant kind, against a bare ``model.generate`` loop on the same model and prompts.

    .venv/bin/python benchmarks/generation_speed.py [--model smollm2-135m-instruct]
        [--kinds base,rag,ft] [--questions 3] [--max-new-tokens 48] [--repeat 2]
        [--threads N] [--workspace DIR] [--json] [--out FILE]

The questions are the first ``--questions`` held-out questions of the sample domain (shipped
with afina, in Portuguese and English alternately). Each assistant kind builds its prompt
the way afina does (``build_messages``; few-shot, rag and ft+rag with the ``k`` sources
retrieved from the workspace's index); retrieval happens once, before any clock starts, so
both runs time generation only. Then, for every kind and question:

  afina  ``Assistant.stream(messages, max_new_tokens, base=...)`` iterated to the end: the
         path ``afina chat``, ``afina compare`` and the TUI take (a generation thread, a
         lock, ``TextIteratorStreamer`` decoding pieces, a cancel check each step).
  bare   ``tokenizer.apply_chat_template`` + ``model.generate(...)`` called directly with
         the same greedy settings (afina's repetition penalty of 1.2, which spares number
         tokens; the same stop tokens), on the calling thread, with a streamer that only
         notes the time of the first new token.
  thread the bare run inside a new thread, as afina's generation runs: on a CPU the thread
         that calls torch can change its speed (OpenMP's worker team and its spin-waiting
         belong to the calling thread), so afina / thread is afina's own cost and
         afina / bare what a person sees against the loop they would write.

Time to first token (TTFT) is from the call to the first new token id leaving ``generate``
(prefill plus one step); afina's first *text* is also reported: the streamer holds text back
until a word is complete, so it comes a token or two after. Tokens per second are all new
tokens (the end-of-turn token included) over the whole generation time. Both runs must give
the same text (``same_text``), so they did the same work.

The ft kinds need an adapter: with ``--run DIR`` a finished run's, otherwise a fresh LoRA
adapter (r=8 on q_proj and v_proj, afina's default shape), which costs what a trained one of
that shape costs. The base kinds then run with the adapter switched off, as in afina.

Without ``--workspace`` a temporary workspace is made from the sample domain (import and
curate, about 10 s, not timed) with an index of its pairs under the model-free ``hash:64``
embedder: retrieval quality does not matter here, only the length of the prompts it makes.
Runs are interleaved and their order swapped every repeat; per question the fastest repeat
is kept (other processes on the machine only ever slow a run down). Nothing here is a test;
no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("afina", "torch", "transformers", "peft")
KINDS = ("base", "few-shot", "rag", "ft", "ft+rag")
TUNED = {"ft", "ft+rag"}


def questions(n: int) -> list[str]:
    from afina.engine.demo.stages import sample_domain

    path = sample_domain() / "heldout.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    # Alternate languages so a short run still has both.
    pt = [r["question"] for r in rows if r.get("lang") == "pt"]
    en = [r["question"] for r in rows if r.get("lang") != "pt"]
    mixed = [q for pair in zip(pt, en, strict=False) for q in pair]
    return mixed[:n]


def sample_workspace(folder: Path) -> Any:
    """The sample domain imported and curated, with a hash-embedded index of its pairs."""
    from afina.engine.demo.stages import STAGES, DemoOptions
    from afina.engine.ingest.run import Progress
    from afina.engine.rag.workspace_index import build_workspace_index
    from afina.engine.workspace import init_workspace

    ws, _ = init_workspace(folder)
    for name, stage, _size, _unit in STAGES:
        if name in ("import", "curate"):
            stage(ws, Progress(), DemoOptions(steps=0))
    build_workspace_index(ws, options={"embedder": "hash:64"})
    return ws


def load_assistant(model_name: str, run: Path | None, tuned: bool) -> Any:
    from afina.engine.chat.generate import Assistant, load_run
    from afina.engine.models import load_causal_lm, load_tokenizer, quiet_transformers

    quiet_transformers()
    if run is not None:
        return load_run(run)
    model = load_causal_lm(model_name)
    if tuned:
        from peft import LoraConfig, get_peft_model

        config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])
        model = get_peft_model(model, config)
    model.eval()
    return Assistant(model, load_tokenizer(model_name), adapter=tuned)


class FirstToken:
    """A streamer for the bare run that only notes when the first new token comes."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.calls = 0
        self.first_s: float | None = None

    def put(self, value: Any) -> None:
        self.calls += 1
        if self.calls == 2:  # the first call hands over the prompt
            self.first_s = time.perf_counter() - self.started

    def end(self) -> None:
        pass


def run_bare(assistant: Any, messages: list[dict[str, str]], n: int, base: bool) -> dict:
    """model.generate as a person writes it by hand (no afina code on the timed path)."""
    import torch

    from afina.engine.chat.penalty import SparingPenalty
    from afina.engine.rag.context import tidy_answer
    from afina.engine.training.data import stop_token_ids

    model, tok = assistant.model, assistant.tokenizer
    started = time.perf_counter()
    enc = tok.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    width = enc["input_ids"].shape[1]
    first = FirstToken(started)
    off = model.disable_adapter() if base and assistant.adapter else nullcontext()
    with off, torch.inference_mode():
        out = model.generate(
            **enc,
            max_new_tokens=n,
            do_sample=False,
            # afina's decoding: the penalty on the answer's tokens only, numbers spared
            logits_processor=[SparingPenalty(1.2, width, tok)],
            eos_token_id=sorted(stop_token_ids(tok)),
            pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
            streamer=first,
        )
    seconds = time.perf_counter() - started
    new = out[0][enc["input_ids"].shape[1] :]
    return {
        "ttft_s": first.first_s,
        "seconds": seconds,
        "tokens": int(new.shape[0]),
        # afina's streams leave out the reference block's scaffolding; so does this text
        "text": tidy_answer(str(tok.decode(new, skip_special_tokens=True))),
        "prompt_tokens": int(enc["input_ids"].shape[1]),
    }


def run_bare_thread(assistant: Any, messages: list[dict[str, str]], n: int, base: bool) -> dict:
    import threading

    box: list[dict] = []
    worker = threading.Thread(target=lambda: box.append(run_bare(assistant, messages, n, base)))
    worker.start()
    worker.join()
    if not box:
        raise RuntimeError("the bare generation failed in its thread")
    return box[0]


def run_afina(assistant: Any, messages: list[dict[str, str]], n: int, base: bool) -> dict:
    started = time.perf_counter()
    first_text = None
    pieces = []
    with assistant.stream(messages, n, base=base) as stream:
        for piece in stream:
            if first_text is None and piece.strip():
                first_text = time.perf_counter() - started
            pieces.append(piece)
    return {
        "ttft_s": stream.first_token_s,
        "first_text_s": first_text,
        "seconds": time.perf_counter() - started,
        "tokens": stream.tokens,
        "text": "".join(pieces).strip(),
    }


def summarize(runs: list[dict]) -> dict[str, Any]:
    """Over questions: median TTFT, tokens per second over all of them."""
    tokens = sum(r["tokens"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    out = {
        "ttft_ms": round(statistics.median(r["ttft_s"] for r in runs) * 1000, 1),
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "tokens_per_s": round(tokens / seconds, 2) if seconds else None,
    }
    texts = [r["first_text_s"] for r in runs if r.get("first_text_s") is not None]
    if "first_text_s" in runs[0]:
        out["first_text_ms"] = round(statistics.median(texts) * 1000, 1) if texts else None
    return out


def ratios(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
    return {
        "ttft": round(a["ttft_ms"] / b["ttft_ms"], 3) if b["ttft_ms"] else None,
        "tokens_per_s": round(a["tokens_per_s"] / b["tokens_per_s"], 3)
        if b["tokens_per_s"]
        else None,
    }


def fastest(a: dict | None, b: dict) -> dict:
    return b if a is None or b["seconds"] < a["seconds"] else a


def machine() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {}
    for p in PACKAGES:
        try:
            packages[p] = version(p)
        except PackageNotFoundError:
            packages[p] = None
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "torch_threads": torch.get_num_threads(),
        "packages": packages,
    }


def load_now() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def report_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        "## Generation speed: afina's streaming path against bare `model.generate`",
        "",
        f"Recorded {res['when']} with `{res['command']}`.",
        "",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), torch threads {m['torch_threads']}, "
        f"Python {m['python']}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v),
        f"- Model: {res['model']} ({res['adapter']}); {len(res['questions'])} held-out "
        f"questions, at most {res['max_new_tokens']} new tokens, greedy, repetition penalty "
        f"1.2, k = {res['k']}; fastest of {res['repeat']} interleaved runs per question",
        f"- Load average before {res['load_before']}, after {res['load_after']}",
        "",
        "| Kind | Prompt tokens | Run | TTFT ms (median) | First text ms | Tokens | s | Tokens/s "
        "| Same text |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for k in res["kinds"]:
        for who in ("bare", "thread", "afina"):
            r = k[who]
            lines.append(
                f"| {k['kind']} | {k['prompt_tokens']} | {who} | {r['ttft_ms']} | "
                f"{r.get('first_text_ms') or ''} | {r['tokens']} | {r['seconds']} | "
                f"{r['tokens_per_s']} | {k['same_text'] if who == 'afina' else ''} |"
            )
    lines += [
        "",
        "| Kind | afina / bare: TTFT | tokens/s | afina / thread: TTFT | tokens/s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for k in res["kinds"]:
        b, t = k["ratios"]["afina/bare"], k["ratios"]["afina/thread"]
        lines.append(
            f"| {k['kind']} | {b['ttft']} | {b['tokens_per_s']} | {t['ttft']} | "
            f"{t['tokens_per_s']} |"
        )
    lines.append("")
    lines.append("TTFT: lower is better; tokens/s: higher is better.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--model", default="smollm2-135m-instruct", help="name or folder")
    ap.add_argument("--kinds", default="base,rag,ft", help=f"of {', '.join(KINDS)}")
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement, fastest kept")
    ap.add_argument("--k", type=int, default=3, help="sources for the retrieving kinds")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--run", type=Path, default=None, help="a finished run for the ft kinds")
    ap.add_argument("--workspace", type=Path, default=None, help="with an index (else sample)")
    ap.add_argument("--index", default="default")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = ap.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from afina.engine.chat.assistants import Assistants
    from afina.engine.chat.prompts import RETRIEVES, build_messages
    from afina.engine.workspace import open_workspace

    load_before = load_now()
    tmp = None
    try:
        if args.workspace is not None:
            ws = open_workspace(args.workspace)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="afina-gen-bench-"))
            say("making the sample workspace (not timed)")
            ws = sample_workspace(tmp / "ws")
        team = Assistants(ws, index=args.index, k=args.k)
        asked = questions(args.questions)
        prompts = {}
        for kind in kinds:
            sources = [team.sources(q) for q in asked] if kind in RETRIEVES else [[]] * len(asked)
            prompts[kind] = [
                build_messages(kind, q, s) for q, s in zip(asked, sources, strict=True)
            ]

        say(f"loading {args.model}")
        assistant = load_assistant(args.model, args.run, any(k in TUNED for k in kinds))
        warm = [{"role": "user", "content": "hello"}]
        for fn in RUNS.values():  # first-call costs (lazy init) left out of all
            fn(assistant, warm, 4, False)

        best: dict[tuple[str, int, str], dict] = {}
        for rep in range(args.repeat):
            for kind in kinds:
                base = kind not in TUNED
                for i, messages in enumerate(prompts[kind]):
                    # Interleaved, the order swapped each repeat: a noisy neighbour hurts both.
                    for who in list(RUNS)[:: 1 if rep % 2 == 0 else -1]:
                        got = RUNS[who](assistant, messages, args.max_new_tokens, base)
                        best[kind, i, who] = fastest(best.get((kind, i, who)), got)
                say(f"{kind}: repeat {rep + 1}/{args.repeat} done")

        results = []
        for kind in kinds:
            n = range(len(asked))
            runs = {who: [best[kind, i, who] for i in n] for who in RUNS}
            stats = {who: summarize(r) for who, r in runs.items()}
            texts = {who: [r["text"] for r in rs] for who, rs in runs.items()}
            prompt_tokens = statistics.mean(r["prompt_tokens"] for r in runs["bare"])
            results.append(
                {
                    "kind": kind,
                    "prompt_tokens": round(prompt_tokens),
                    **stats,
                    "same_text": texts["afina"] == texts["bare"] == texts["thread"],
                    "ratios": {
                        f"afina/{who}": ratios(stats["afina"], stats[who])
                        for who in ("bare", "thread")
                    },
                }
            )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    res = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python", "benchmarks/generation_speed.py", *(argv or sys.argv[1:])]),
        "machine": machine(),
        "model": args.model,
        "adapter": (
            f"run {args.run.name}"
            if args.run
            else "fresh LoRA r=8 on q/v for the ft kinds"
            if any(k in TUNED for k in kinds)
            else "no adapter"
        ),
        "questions": asked,
        "max_new_tokens": args.max_new_tokens,
        "k": args.k,
        "repeat": args.repeat,
        "load_before": load_before,
        "load_after": load_now(),
        "kinds": results,
    }
    text = report_markdown(res)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    if args.json:
        sys.stdout.write(json.dumps(res, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text)
    return 0


RUNS = {"bare": run_bare, "thread": run_bare_thread, "afina": run_afina}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
