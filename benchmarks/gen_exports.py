"""Deterministic generators of large chat exports for the import benchmarks (stdlib only).

The same seed and size always give the same bytes, so runs on different days or machines read
the same input. Texts are drawn from a fixed pool of fragments: cheap to produce a million
lines, yet varied enough (fragment pairs, emoji, accents) that no parser sees a toy file.

    python benchmarks/gen_exports.py whatsapp /tmp/chat.txt --lines 1000000
    python benchmarks/gen_exports.py chatgpt /tmp/conversations.json --messages 200000
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

SEED = 20240613

_WORD_TEXT = (
    "ok yes no maybe sure thanks obrigado valeu gracias hey hi hello bom dia boa noite tarde "
    "today tomorrow yesterday tonight later now soon already again still just really very "
    "meeting lunch dinner coffee beer party trip beach office school class train bus car "
    "flight hotel ticket price money bill rent invoice report draft deck slides email call "
    "phone photo video link file document address location map weather rain sun cold hot "
    "i you we they he she it this that these those here there what when where why how who "
    "is are was were be been have has had do does did will would can could should must "
    "go come see look send get take make know think want need like love hate wait check "
    "done ready late early busy free home work gym park store market doctor kids mom dad "
    "amanhã hoje ontem depois agora já ainda também então porque quando onde você nós "
    "mañana hoy ayer después ahora también entonces porque cuando dónde usted nosotros "
    "the a an and or but so if then of to in on at for with about from by up down out "
    "great good bad nice cool awesome perfect sorry please congrats happy birthday lol haha"
)
WORDS = tuple(_WORD_TEXT.split())
EMOJI = ("😂", "👍", "❤️", "🙏", "😅", "🎉", "😊", "🔥", "👀", "🤔")
ENDINGS = ("", "", "", ".", "!", "?", "!!", "...", " haha", " kkk")
FRAGMENT_POOL = 50_000


def fragments(rng: random.Random, count: int, max_words: int) -> list[str]:
    """A pool of short chat phrases; messages are built from one to three of them."""
    pool = []
    for _ in range(count):
        words = rng.choices(WORDS, k=rng.randint(1, max_words))
        text = " ".join(words) + rng.choice(ENDINGS)
        if rng.random() < 0.05:
            text += " " + rng.choice(EMOJI)
        pool.append(text[0].upper() + text[1:] if rng.random() < 0.6 else text)
    return pool


# -- WhatsApp (Android) ------------------------------------------------------------------

PARTICIPANTS = (
    "Ana Souza",
    "Bruno Lima",
    "Carla Mendes",
    "Daniel Ortiz",
    "Inês Rocha",
    "José Almeida",
    "Marta Kowalska",
    "+44 7700 900123",
)
ENCRYPTION_NOTICE = (
    "Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more."
)
SYSTEM_EVENTS = (
    "{a} added {b}",
    "{a} left",
    "{a} changed this group's icon",
    "{a} changed the group description",
    "{a} removed {b}",
)
MEDIA = "<Media omitted>"
START_DAY = date(2019, 3, 13)  # a day over 12 in the first line settles day-first at once
P_MEDIA = 0.015
P_SYSTEM = 0.0005
P_MULTILINE = 0.0252  # with 1-3 extra lines each, about 4.8% of lines are continuations


@dataclass(frozen=True)
class WhatsAppStats:
    path: Path
    lines: int
    messages: int  # header lines with a sender: what every parser should count as messages
    media: int
    system_lines: int
    multiline_messages: int
    bytes: int


class _Clock:
    """Message times that move forward by minutes; date texts are formatted once per day."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._minute = 8 * 60
        self._dates: dict[int, str] = {}

    def tick(self) -> str:
        r = self._rng.random()
        if r < 0.45:
            pass  # bursts: many messages share a minute
        elif r < 0.995:
            self._minute += 1 + int(self._rng.expovariate(0.25))
        else:
            self._minute += self._rng.randint(6 * 60, 30 * 60)  # a quiet night or two
        day, minute = divmod(self._minute, 1440)
        text = self._dates.get(day)
        if text is None:
            text = (START_DAY + timedelta(days=day)).strftime("%d/%m/%Y")
            self._dates = {day: text}  # days only move forward: keep one
        return f"{text}, {minute // 60:02d}:{minute % 60:02d} - "


def _message_text(rng: random.Random, pool: list[str]) -> str:
    r = rng.random()
    n = 1 if r < 0.6 else 2 if r < 0.9 else 3
    return " ".join(pool[rng.randrange(len(pool))] for _ in range(n))


def _whatsapp_lines(rng: random.Random, target: int, tally: dict[str, int]) -> Iterator[str]:
    """Exactly ``target`` lines of an Android export, newline-terminated."""
    pool = fragments(rng, FRAGMENT_POOL, 10)
    clock = _Clock(rng)
    yield f"{clock.tick()}{ENCRYPTION_NOTICE}\n"
    tally["system_lines"] += 1
    left = target - 1
    while left > 0:
        head = clock.tick()
        r = rng.random()
        if r < P_SYSTEM:
            a, b = rng.sample(PARTICIPANTS, 2)
            yield head + rng.choice(SYSTEM_EVENTS).format(a=a, b=b) + "\n"
            tally["system_lines"] += 1
            left -= 1
            continue
        sender = PARTICIPANTS[min(int(rng.expovariate(0.45)), len(PARTICIPANTS) - 1)]
        tally["messages"] += 1
        if r < P_SYSTEM + P_MEDIA:
            yield f"{head}{sender}: {MEDIA}\n"
            tally["media"] += 1
            left -= 1
            continue
        extra = min(rng.randint(1, 3), left - 1) if r > 1 - P_MULTILINE else 0
        lines = [_message_text(rng, pool) for _ in range(extra + 1)]
        yield f"{head}{sender}: " + "\n".join(lines) + "\n"
        tally["multiline_messages"] += extra > 0
        left -= extra + 1


def write_whatsapp(path: Path, lines: int, seed: int = SEED) -> WhatsAppStats:
    """An Android WhatsApp export (``DD/MM/YYYY, HH:MM - Name: text``) of exactly ``lines``."""
    tally = {"messages": 0, "media": 0, "system_lines": 0, "multiline_messages": 0}
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        _write_buffered(f, _whatsapp_lines(rng, lines, tally))
    return WhatsAppStats(path, lines, bytes=path.stat().st_size, **tally)


def _write_buffered(f: TextIO, parts: Iterator[str], every: int = 20_000) -> None:
    """Join parts into large writes: one ``write`` call per part would dominate the time."""
    buffer: list[str] = []
    for part in parts:
        buffer.append(part)
        if len(buffer) >= every:
            f.write("".join(buffer))
            buffer.clear()
    f.write("".join(buffer))


# -- ChatGPT conversations.json ------------------------------------------------------------

T0 = 1_700_000_000.0
MESSAGES_PER_CONVERSATION = 20
MODEL = "gpt-4o"


@dataclass(frozen=True)
class ChatGPTStats:
    path: Path
    conversations: int
    messages: int  # user and assistant messages on the branch shown: the turns to store
    bytes: int


def _ids(rng: random.Random) -> Callable[[], str]:
    return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _message(
    new_id: str, role: str, text: str, created: float | None, meta: dict[str, Any]
) -> dict[str, Any]:
    """A message node's ``message`` with the fields a real export carries."""
    return {
        "id": new_id,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": created,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 0.0 if role == "system" else 1.0,
        "metadata": meta,
        "recipient": "all",
        "channel": None,
    }


def _assistant_text(rng: random.Random, sentences: list[str]) -> str:
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        paragraphs.append(" ".join(rng.choices(sentences, k=rng.randint(1, 4))))
    if rng.random() < 0.15:
        paragraphs.append("```python\nfor item in items:\n    print(item)\n```")
    return "\n\n".join(paragraphs)


def _conversation(
    rng: random.Random, sentences: list[str], messages: int, index: int
) -> dict[str, Any]:
    """One conversation: root, the hidden system message, then user/assistant alternating."""
    new_id = _ids(rng)
    root, system = new_id(), new_id()
    mapping: dict[str, dict[str, Any]] = {
        root: {"id": root, "message": None, "parent": None, "children": [system]},
        system: {
            "id": system,
            "message": _message(
                system, "system", "", None, {"is_visually_hidden_from_conversation": True}
            ),
            "parent": root,
            "children": [],
        },
    }
    created = T0 + index * 3600.0
    parent = system
    for i in range(messages):
        node_id = new_id()
        created += rng.uniform(5, 120)
        if i % 2 == 0:
            text = " ".join(rng.choices(sentences, k=rng.randint(1, 3)))
            msg = _message(node_id, "user", text, created, {"request_id": new_id()})
        else:
            meta = {
                "model_slug": MODEL,
                "default_model_slug": MODEL,
                "parent_id": parent,
                "finish_details": {"type": "stop", "stop_tokens": [200002]},
                "citations": [],
                "content_references": [],
                "request_id": new_id(),
            }
            msg = _message(node_id, "assistant", _assistant_text(rng, sentences), created, meta)
        mapping[parent]["children"].append(node_id)
        mapping[node_id] = {"id": node_id, "message": msg, "parent": parent, "children": []}
        parent = node_id
    conv_id = new_id()
    return {
        "title": " ".join(rng.choices(WORDS, k=rng.randint(2, 6))).capitalize(),
        "create_time": T0 + index * 3600.0,
        "update_time": created,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_id": conv_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": MODEL,
        "id": conv_id,
    }


def write_chatgpt(
    path: Path,
    messages: int,
    per_conversation: int = MESSAGES_PER_CONVERSATION,
    seed: int = SEED,
) -> ChatGPTStats:
    """A ChatGPT ``conversations.json`` with ``messages`` user/assistant messages in all."""
    rng = random.Random(seed)
    sentences = [s[0].upper() + s[1:] for s in fragments(rng, 5_000, 24)]
    sizes = [per_conversation] * (messages // per_conversation)
    if messages % per_conversation:
        sizes.append(messages % per_conversation)
    parts = (
        ("[\n" if i == 0 else ",\n")
        + json.dumps(_conversation(rng, sentences, n, i), ensure_ascii=False)
        for i, n in enumerate(sizes)
    )
    with path.open("w", encoding="utf-8", newline="\n") as f:
        _write_buffered(f, parts, every=200)
        f.write("\n]\n" if sizes else "[]\n")
    return ChatGPTStats(path, len(sizes), messages, path.stat().st_size)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("kind", choices=("whatsapp", "chatgpt"))
    ap.add_argument("path", type=Path)
    ap.add_argument("--lines", type=int, default=1_000_000, help="WhatsApp: lines to write")
    ap.add_argument("--messages", type=int, default=200_000, help="ChatGPT: messages to write")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    if args.kind == "whatsapp":
        print(write_whatsapp(args.path, args.lines, args.seed))
    else:
        print(write_chatgpt(args.path, args.messages, seed=args.seed))


if __name__ == "__main__":
    main()
