#!/usr/bin/env python3
"""Write one of afina's two evaluation domains, shaped differently from the sample domain.

* ``clinic``: Clínica Vet Aurora, a FICTIONAL veterinary clinic. Question/answer pairs as
  Alpaca JSONL (``train.jsonl``), about 70% English and 30% Portuguese: each fact asked in
  several wordings, answers drawn from two templates (so paraphrases share one answer), and
  some questions repeated with only a greeting or filler changed (true near duplicates).
* ``bakery``: Padaria Sol de Minas, a FICTIONAL bakery and caterer. Support chats as ShareGPT
  JSON (``train.json``), mostly English, 2-3 exchanges each with greetings and small talk
  around the facts.

Each domain folder also holds ``heldout.jsonl`` (questions worded apart from every training
question, in the sample domain's schema), ``docs/`` (Markdown pages for the RAG index) and
``facts.json`` and ``manifest.json`` (the planted near duplicates, as [question, twin]
pairs). One seeded RNG, no wall-clock reads: the same bytes on every run.

    python benchmarks/make_domains.py --domain clinic --out /tmp/clinic

Standard library only; the facts live in ``domain_facts.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from domain_facts import DOMAINS, Fact

SEED = 20261207

# Greetings and fillers make the near duplicates: the same question, nothing else changed.
GREETINGS = {
    "en": ("Hi! ", "Hello, ", "Good morning! ", "Hey there, ", "Hi, quick question: "),
    "pt": ("Oi! ", "Olá, ", "Bom dia! ", "Boa tarde, ", "Oi, tudo bem? "),
}
FILLERS = {"en": (" Thanks!", " thank you", " :)"), "pt": (" Obrigado!", " obg", " :)")}

SMALL_TALK = {
    "en": {
        "hello": ("Hi there!", "Good morning!", "Hello!", "Hey, good afternoon"),
        "hello_reply": ("Hello! How can I help you today?", "Hi! What can I do for you?"),
        "thanks": (
            "Great, thanks a lot!",
            "Perfect, thank you!",
            "ok thanks, that helps",
            "Awesome, cheers!",
        ),
        "thanks_reply": (
            "You're welcome! Have a lovely day.",
            "Happy to help! See you soon at the bakery.",
        ),
    },
    "pt": {
        "hello": ("Oi!", "Bom dia!", "Boa tarde!", "Olá, tudo bem?"),
        "hello_reply": ("Olá! Como posso ajudar?", "Oi! Em que posso ajudar hoje?"),
        "thanks": ("Obrigada!", "Perfeito, obrigado!", "show, valeu"),
        "thanks_reply": ("Por nada! Tenha um ótimo dia.", "Imagina! Até logo na padaria."),
    },
}


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _lower(s: str) -> str:
    return s[:1].lower() + s[1:] if not s[:2].isupper() else s


def questions(fact: Fact, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(lang, question, answer, twin_of) for one fact: its asks, and near duplicates of a few
    (``twin_of`` is the question a duplicate repeats, empty for the others)."""
    out: list[tuple[str, str, str, str]] = []
    for lang in ("en", "pt"):
        text = fact.lang(lang)
        for ask in text.asks:
            out.append((lang, ask, fact.render(rng.choice(text.answers)), ""))
        # One or two asks again with only a greeting or filler added: duplicates to drop.
        n_dupes = 1 + (rng.random() < 0.35) if lang == "en" else int(rng.random() < 0.4)
        for lang_, ask, answer, _ in rng.sample(out[-len(text.asks) :], n_dupes):
            if rng.random() < 0.7:
                twin = rng.choice(GREETINGS[lang_]) + _lower(ask)
            else:
                twin = ask + rng.choice(FILLERS[lang_])
            out.append((lang_, twin, answer, ask))
    return out


def heldout(facts: tuple[Fact, ...]) -> list[dict]:
    rows: list[dict] = []
    for lang in ("en", "pt"):
        n = 0
        for fact in facts:
            text = fact.lang(lang)
            for q in text.heldout:
                n += 1
                rows.append(
                    {
                        "id": f"{lang}-{n:03d}",
                        "lang": lang,
                        "question": q,
                        "reference": fact.render(text.answers[0]),
                        "facts": fact.facts,
                        "fact_ids": [fact.id],
                    }
                )
    return rows


def docs(company: str, facts: tuple[Fact, ...]) -> dict[str, str]:
    """Three pages: an English FAQ, a Portuguese one, and the facts grouped by topic."""
    faq_en = [f"# {company}: frequently asked questions\n"]
    faq_pt = [f"# {company}: perguntas frequentes\n"]
    topics: dict[str, list[str]] = {}
    for fact in facts:
        faq_en.append(f"## {_cap(fact.en.asks[0])}\n\n{fact.render(fact.en.answers[1])}\n")
        faq_pt.append(f"## {_cap(fact.pt.asks[0])}\n\n{fact.render(fact.pt.answers[1])}\n")
        topics.setdefault(fact.topic, []).append(fact.render(fact.en.answers[0]))
    guide = [f"# {company}: services, prices and policies\n"]
    for topic, lines in topics.items():
        guide.append(f"## {_cap(topic)}\n")
        guide.extend(f"- {line}" for line in lines)
        guide.append("")
    return {
        "faq-en.md": "\n".join(faq_en),
        "faq-pt.md": "\n".join(faq_pt),
        "services-and-policies.md": "\n".join(guide),
    }


def clinic_train(facts: tuple[Fact, ...], rng: random.Random) -> tuple[str, list[list[str]]]:
    rows = [q for fact in facts for q in questions(fact, rng)]
    rng.shuffle(rows)
    lines = [
        json.dumps({"instruction": q, "input": "", "output": a}, ensure_ascii=False)
        for _, q, a, _ in rows
    ]
    return "\n".join(lines) + "\n", [[twin_of, q] for _, q, _, twin_of in rows if twin_of]


def bakery_train(facts: tuple[Fact, ...], rng: random.Random) -> tuple[str, list[list[str]]]:
    """Chats of 2-3 exchanges: a factual question or two, with a greeting or thanks around."""
    by_lang: dict[str, list[tuple[str, str]]] = {"en": [], "pt": []}
    twins: list[list[str]] = []
    for fact in facts:
        for lang, q, a, twin_of in questions(fact, rng):
            by_lang[lang].append((q, a))
            if twin_of:
                twins.append([twin_of, q])
    chats: list[dict] = []
    for lang in ("en", "pt"):
        talk = SMALL_TALK[lang]
        items = by_lang[lang]
        rng.shuffle(items)
        while items:
            n_facts = 2 if len(items) > 1 and rng.random() < 0.3 else 1
            turns: list[tuple[str, str]] = [items.pop() for _ in range(n_facts)]
            room = 3 - n_facts
            if rng.random() < 0.6:
                turns.insert(0, (rng.choice(talk["hello"]), rng.choice(talk["hello_reply"])))
                room -= 1
            if room > 0 or len(turns) < 2:
                turns.append((rng.choice(talk["thanks"]), rng.choice(talk["thanks_reply"])))
            conv = []
            for human, gpt in turns:
                conv += [{"from": "human", "value": human}, {"from": "gpt", "value": gpt}]
            chats.append({"conversations": conv})
    rng.shuffle(chats)
    for i, chat in enumerate(chats, 1):
        chat["id"] = f"chat-{i:04d}"
    return json.dumps(chats, ensure_ascii=False, indent=1) + "\n", twins


def facts_table(company: str, facts: tuple[Fact, ...]) -> str:
    rows = [
        {
            "id": f.id,
            "topic": f.topic,
            "values": dict(f.values),
            "en": f.render(f.en.answers[0]),
            "pt": f.render(f.pt.answers[0]),
        }
        for f in facts
    ]
    return json.dumps({"company": company, "facts": rows}, ensure_ascii=False, indent=2) + "\n"


def write_domain(name: str, out: Path) -> dict[str, int]:
    company, facts = DOMAINS[name]
    rng = random.Random(f"{SEED}-{name}")
    out.mkdir(parents=True, exist_ok=True)
    if name == "clinic":
        train_name, (train, twins) = "train.jsonl", clinic_train(facts, rng)
    else:
        train_name, (train, twins) = "train.json", bakery_train(facts, rng)
    (out / train_name).write_text(train, encoding="utf-8")
    held = heldout(facts)
    (out / "heldout.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in held), encoding="utf-8"
    )
    (out / "docs").mkdir(exist_ok=True)
    for page, text in docs(company, facts).items():
        (out / "docs" / page).write_text(text, encoding="utf-8")
    (out / "facts.json").write_text(facts_table(company, facts), encoding="utf-8")
    # The planted near duplicates, so that a dedupe can be scored on what it should drop.
    manifest = {"seed": SEED, "train_file": train_name, "heldout": len(held), "twins": twins}
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return {"facts": len(facts), "heldout": len(held)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--domain", choices=sorted(DOMAINS), required=True)
    ap.add_argument("--out", type=Path, required=True, help="folder to write the domain to")
    args = ap.parse_args(argv)
    counts = write_domain(args.domain, args.out)
    print(f"{args.domain}: {counts['facts']} facts, {counts['heldout']} held-out -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
