#!/usr/bin/env python3
"""The plain hand-written baseline: LoRA on every training pair, greedy answers, afina's metrics.

No curation, no splits, no afina pipeline: SmolLM2-135M-Instruct in fp32, LoRA r=16 alpha=32 on
all linear layers, AdamW lr 5e-4, batch 8, 100 steps, loss on the answer tokens only; greedy
decoding, 64 new tokens. RAG puts the 3 nearest training pairs (MiniLM over question + answer)
into the system message. Four assistants: base, ft, rag, ft+rag, scored with afina's ROUGE-L,
token F1 and facts on the domain's ``heldout.jsonl``; a record is appended to the results file.

    python benchmarks/plain_baseline.py --domain-dir /tmp/clinic
    python benchmarks/plain_baseline.py --domain-dir /tmp/clinic --questions 12 --steps 10
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
from pathlib import Path

from domain_eval import DEFAULT_RESULTS, append_record, git_commit, spread_examples, train_file

from afina.engine.eval.metrics import fact_coverage, rouge_l, token_f1
from afina.engine.models import load_causal_lm, load_tokenizer, quiet_transformers
from afina.engine.rag.embed import load_embedder

MODEL = "smollm2-135m-instruct"
RAG_HEAD = "Use these reference answers from our knowledge base:"


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """Alpaca JSONL (instruction [+ input] -> output) or ShareGPT (each human turn -> the gpt
    turn after it)."""
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        return [
            ("\n\n".join(p for p in (r["instruction"], r.get("input", "")) if p), r["output"])
            for r in rows
        ]
    pairs = []
    for chat in json.loads(path.read_text(encoding="utf-8")):
        turns = chat["conversations"]
        for a, b in itertools.pairwise(turns):
            if a["from"] == "human" and b["from"] == "gpt":
                pairs.append((a["value"], b["value"]))
    return pairs


def messages(system: str, question: str, answer: str | None = None) -> list[dict[str, str]]:
    out = [{"role": "system", "content": system}, {"role": "user", "content": question}]
    return out + ([{"role": "assistant", "content": answer}] if answer is not None else [])


def encode(tok, chat: list[dict[str, str]], **kw) -> list[int]:  # type: ignore[no-untyped-def]
    text = tok.apply_chat_template(chat, tokenize=False, **kw)
    return list(tok(text, add_special_tokens=False)["input_ids"])


def finetune(model, tok, pairs, system: str, steps: int, seed: int):  # type: ignore[no-untyped-def]
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear")
    model = get_peft_model(model, config)
    examples = []
    for q, a in pairs:
        prompt = encode(tok, messages(system, q), add_generation_prompt=True)
        full = encode(tok, messages(system, q, a))
        examples.append((full, [-100] * len(prompt) + full[len(prompt) :]))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    rng = random.Random(seed)
    order: list[int] = []
    model.train()
    for step in range(1, steps + 1):
        if len(order) < 8:
            order += rng.sample(range(len(examples)), len(examples))
        batch = [examples[order.pop()] for _ in range(8)]
        width = max(len(ids) for ids, _ in batch)
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        ids = torch.tensor([x + [pad] * (width - len(x)) for x, _ in batch])
        labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step == 1 or step % 10 == 0:
            print(f"  step {step}/{steps} loss {loss.item():.3f}", file=sys.stderr, flush=True)
    model.eval()
    return model


def answer_all(model, tok, prompts: list[list[dict[str, str]]], name: str) -> list[str]:  # type: ignore[no-untyped-def]
    import torch

    print(f"  answering as {name}", file=sys.stderr, flush=True)

    tok.padding_side = "left"
    out = []
    for at in range(0, len(prompts), 8):
        texts = [
            tok.apply_chat_template(m, add_generation_prompt=True, tokenize=False)
            for m in prompts[at : at + 8]
        ]
        enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            gen = model.generate(
                **enc,
                max_new_tokens=64,
                do_sample=False,
                pad_token_id=tok.pad_token_id or tok.eos_token_id,
            )
        out += tok.batch_decode(gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
    return [a.strip() for a in out]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--domain-dir", type=Path, required=True)
    ap.add_argument("--company", help="default: facts.json's company")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--questions", type=int, help="evaluate N held-out questions, spread evenly")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--label", default="plain-script")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    args = ap.parse_args(argv)
    domain = args.domain_dir.resolve()
    company = args.company or json.loads((domain / "facts.json").read_text("utf-8"))["company"]
    system = (
        f"You are the customer support assistant of {company}. "
        "Answer the customer's question briefly and accurately."
    )
    pairs = read_pairs(train_file(domain))
    scratch = Path("/tmp/afina-plain-baseline")
    scratch.mkdir(exist_ok=True)
    heldout = spread_examples(domain / "heldout.jsonl", args.questions, scratch)
    rows = [json.loads(x) for x in heldout.read_text("utf-8").splitlines() if x.strip()]

    quiet_transformers()
    embedder = load_embedder()
    keys = embedder.encode([f"{q}\n{a}" for q, a in pairs])
    near = (embedder.encode([r["question"] for r in rows]) @ keys.T).argsort(axis=1)[:, ::-1]
    rag_systems = [
        system
        + "\n\n"
        + RAG_HEAD
        + "\n"
        + "\n".join(f"Q: {pairs[j][0]}\nA: {pairs[j][1]}" for j in near[i, :3])
        for i in range(len(rows))
    ]
    plain = [messages(system, r["question"]) for r in rows]
    with_rag = [messages(s, r["question"]) for s, r in zip(rag_systems, rows, strict=True)]

    tok = load_tokenizer(MODEL)
    model = load_causal_lm(MODEL)
    answers = {
        "base": answer_all(model, tok, plain, "base"),
        "rag": answer_all(model, tok, with_rag, "rag"),
    }
    t0 = time.perf_counter()
    model = finetune(model, tok, pairs, system, args.steps, args.seed)
    train_secs = time.perf_counter() - t0
    answers["ft"] = answer_all(model, tok, plain, "ft")
    answers["ft+rag"] = answer_all(model, tok, with_rag, "ft+rag")

    means = {}
    for name, preds in answers.items():
        found = [fact_coverage(p, facts=r["facts"]) for p, r in zip(preds, rows, strict=True)]
        scores = {
            "rouge_l": [rouge_l(p, r["reference"]) for p, r in zip(preds, rows, strict=True)],
            "token_f1": [token_f1(p, r["reference"]) for p, r in zip(preds, rows, strict=True)],
            "facts": [f / t for f, t in found if t],
        }
        means[name] = {m: round(sum(v) / len(v), 4) for m, v in scores.items()}
    print(
        f"\n{domain.name}: {len(pairs)} train pairs, {args.steps} steps in {train_secs:.0f} s, "
        f"{len(rows)} questions"
    )
    print(f"{'assistant':10}" + "".join(f"{m:>10}" for m in ("rouge_l", "token_f1", "facts")))
    for name, ms in means.items():
        print(f"{name:10}" + "".join(f"{v:10.3f}" for v in ms.values()))
    record = {
        "domain": domain.name,
        "label": args.label,
        "commit": git_commit(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "train_pairs": len(pairs),
        "settings": {
            "lr": 5e-4,
            "batch_size": 8,
            "steps": args.steps,
            "r": 16,
            "alpha": 32,
            "target_modules": "all-linear",
            "max_new_tokens": 64,
        },
        "train_seconds": round(train_secs, 1),
        "questions": args.questions or "all",
        "eval": {"assistants": means},
        "samples": {name: preds[:3] for name, preds in answers.items()},
    }
    append_record(args.results, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
