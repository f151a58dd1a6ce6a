"""Pair extraction: a conversation's stored turns -> instruction/response drafts.

The person says who the assistant is, by role (assistant exports) or by speaker names (human
chats, where the support agent is just another name in the log). Everyone else who is not a
system or tool turn is the user. :func:`guess_assistant` offers a sensible default per source.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from afina.engine.curation.detours import detour_at
from afina.engine.errors import ConfigError
from afina.engine.text import fold
from afina.engine.types import PairDraft, StoredTurn

USER = "user"
ASSISTANT = "assistant"


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """How to cut a conversation into pairs.

    ``assistant_role`` and ``assistant_speakers`` say who the assistant is (either matches);
    at least one is needed. ``multi_turn`` keeps up to ``context_turns`` earlier turns as the
    pair's context. ``merge_consecutive`` joins runs of messages by one side with a newline,
    because customers write in several short messages and agents answer in several too; when
    off, each message stands alone and only an assistant message right after a user message
    makes a pair. ``system_prompt`` replaces any system turns of the conversation.
    ``skip_detours`` pairs a question with the answer that follows an identity check (agent
    asks for a CPF, customer gives it) instead of making pairs of the check itself; see
    :mod:`afina.engine.curation.detours`.
    """

    assistant_role: str | None = None
    assistant_speakers: tuple[str, ...] = ()
    multi_turn: bool = False
    context_turns: int = 6
    merge_consecutive: bool = True
    system_prompt: str | None = None
    skip_detours: bool = True

    def __post_init__(self) -> None:
        if not self.assistant_role and not self.assistant_speakers:
            raise ConfigError(
                "pair extraction needs to know who the assistant is",
                "give a role (e.g. assistant) or one or more speaker names",
            )
        if isinstance(self.assistant_speakers, str):
            # A bare string would be read as a tuple of its letters.
            raise ConfigError("assistant_speakers must be a list of names, not one string")
        # A list from afina.toml or the CLI becomes a tuple, so the options stay hashable.
        object.__setattr__(self, "assistant_speakers", tuple(self.assistant_speakers))
        if self.context_turns < 0:
            raise ConfigError(f"context_turns must be 0 or more, not {self.context_turns}")


@dataclass(frozen=True, slots=True)
class _Unit:
    """A user or assistant turn after merging: its text and the stored turns it came from."""

    side: str
    text: str
    ids: tuple[int, ...]
    system: tuple[str, ...]  # system turns seen before this unit, in order


def _side(turn: StoredTurn, options: ExtractOptions, speakers: frozenset[str]) -> str | None:
    """user, assistant, system, or None for a turn that belongs to neither side."""
    role = turn.role
    if role == "tool":
        return None
    if (options.assistant_role and role == options.assistant_role) or turn.speaker in speakers:
        return ASSISTANT
    if role == "system":
        return "system"
    if options.assistant_speakers:
        # In a human chat everyone who is not the agent is the customer.
        return USER
    return USER if role == "user" else None


def _units(turns: Sequence[StoredTurn], options: ExtractOptions) -> list[_Unit]:
    speakers = frozenset(options.assistant_speakers)
    units: list[_Unit] = []
    system: list[str] = []
    for turn in turns:
        side = _side(turn, options, speakers)
        text = turn.text.strip()
        if side is None or not text:
            continue
        if side == "system":
            system.append(text)
            continue
        last = units[-1] if units else None
        if options.merge_consecutive and last is not None and last.side == side:
            units[-1] = _Unit(side, f"{last.text}\n{text}", (*last.ids, turn.id), last.system)
        else:
            units.append(_Unit(side, text, (turn.id,), tuple(system)))
    return units


def _context(units: list[_Unit], end: int, keep: int) -> tuple[tuple[str, str], ...]:
    """Up to ``keep`` units before index ``end``, starting with a user turn.

    Chat templates (and ShareGPT-style exports) expect the user to speak first after the
    system prompt, so a window that would open on the assistant loses that one turn.
    """
    window = units[max(0, end - keep) : end] if keep else []
    while window and window[0].side == ASSISTANT:
        window = window[1:]
    return tuple((u.side, u.text) for u in window)


def extract_pairs(turns: Sequence[StoredTurn], options: ExtractOptions) -> list[PairDraft]:
    """The pairs of one conversation, in order; ``turns`` are its stored turns, ordered.

    A pair is an assistant turn right after a user turn (both merged runs unless
    ``merge_consecutive`` is off); with ``skip_detours`` an identity check between a question
    and its answer is stepped over. Tool turns and turns of neither side are left out; the
    conversation's system turns before the answer become the pair's system unless
    ``options.system_prompt`` is given. ``turn_ids`` lists every stored turn merged into the
    prompt and the response.
    """
    if not turns:
        return []
    units = _units(turns, options)
    conversation_id = turns[0].conversation_id
    pairs = []
    asked, checks = _detour_prompts(units) if options.skip_detours else ({}, set())
    for i in range(1, len(units)):
        at = asked.get(i, i - 1)
        prompt, answer = units[at], units[i]
        if answer.side != ASSISTANT or prompt.side != USER or i in checks:
            continue
        system = options.system_prompt
        if system is None and answer.system:
            system = "\n\n".join(answer.system)
        pairs.append(
            PairDraft(
                conversation_id=conversation_id,
                prompt=prompt.text,
                response=answer.text,
                context=_context(units, at, options.context_turns) if options.multi_turn else (),
                system=system,
                turn_ids=(*prompt.ids, *answer.ids),
            )
        )
    return pairs


def _detour_prompts(units: list[_Unit]) -> tuple[dict[int, int], set[int]]:
    """For the answers that came after an identity check: answer unit -> the unit of the
    question it answers; and the agent's check questions, which make no pair."""
    sides = [u.side for u in units]
    texts = [u.text for u in units]
    prompts: dict[int, int] = {}
    checks: set[int] = set()
    for i in range(len(units)):
        if detour_at(sides, texts, i, USER, ASSISTANT):
            # A second check right after the first still answers the first question.
            prompts[i + 1] = prompts.pop(i - 1, i - 2)
            checks.add(i - 1)
    return prompts, checks


def extract_all(
    conversations: Iterable[Sequence[StoredTurn]], options: ExtractOptions
) -> Iterator[PairDraft]:
    """Pairs of many conversations (each a list of its stored turns), lazily."""
    for turns in conversations:
        yield from extract_pairs(turns, options)


# --- guessing who the assistant is ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Guess:
    """Who the assistant probably is in one source, for the UI to offer.

    Either ``role`` (the data has roles) or ``speakers`` (the agents of a human chat, best
    first). ``confidence`` is 0..1; ``runner_up`` is the most agent-like speaker left out, and
    ``scores`` the top speakers with their scores, so a person can pick another.
    """

    role: str | None
    speakers: tuple[str, ...]
    confidence: float
    runner_up: str | None = None
    scores: tuple[tuple[str, float], ...] = ()
    reasons: tuple[str, ...] = ()

    def options(self, **overrides: object) -> ExtractOptions:
        """Extraction options that use this guess; ``overrides`` set the other fields."""
        return ExtractOptions(
            assistant_role=self.role,
            assistant_speakers=self.speakers,
            **overrides,  # type: ignore[arg-type]
        )


# Words that mark a business account in a display name ("Bruno - Lumiar Suporte").
_AGENT_WORDS = frozenset(
    (
        "suporte", "support", "soporte", "atendimento", "atencion", "helpdesk", "service",
        "servico", "servicos", "sac", "team", "equipe", "equipo", "oficial", "official", "bot",
        "agent", "agente", "admin", "staff", "loja", "store", "shop", "care", "noc", "vendas",
        "sales", "comercial",
    )
)  # fmt: skip
# Words by which people save their customers in the phone ("Aline (cliente)").
_CUSTOMER_WORDS = frozenset(("cliente", "client", "customer", "cust", "lead"))
_PHONE = re.compile(r"^[\s\d+()./-]{7,}$")
_WORD = re.compile(r"[^\W\d_]{3,}")

# Weights of the speaker features; they sum to 1 so a score stays in 0..1.
_WEIGHTS = {"presence": 0.3, "answers": 0.2, "name": 0.2, "length": 0.15, "not_opener": 0.15}
_MIN_CONVERSATIONS = 3  # fewer than this and presence says nothing
# A gap of 0.4 between the agents and the best other speaker is as sure as this gets.
_CONFIDENCE_SCALE = 2.5
_ALONE_FLOOR = 0.5  # the least score of a namesake of a lone agent to join it


def _name_tokens(name: str) -> set[str]:
    return set(_WORD.findall(fold(name)))


def _name_signal(name: str) -> float:
    """1 for a business-looking name, 0 for a phone number or a name saved as a customer."""
    if _PHONE.match(name):
        return 0.0  # WhatsApp shows unsaved contacts (customers) by their number
    tokens = _name_tokens(name)
    if tokens & _CUSTOMER_WORDS:
        return 0.0
    if tokens & _AGENT_WORDS or "|" in name:
        return 1.0
    # "Ana (Lumiar)": a parenthesised company is common, but so is "Bruna (vizinha)".
    return 0.6 if "(" in name else 0.4


@dataclass
class _Stats:
    conversations: int = 0
    opened: int = 0
    blocks: int = 0
    chars: int = 0
    replies: int = 0  # blocks right after another speaker's block
    answers: int = 0  # ... of which that block asked a question


def _speaker_blocks(turns: Sequence[StoredTurn]) -> list[tuple[str, str]]:
    """(speaker, text) with consecutive messages by one speaker merged; tool/system left out."""
    blocks: list[tuple[str, str]] = []
    for t in turns:
        if t.role in ("system", "tool") or not t.text.strip():
            continue
        if blocks and blocks[-1][0] == t.speaker:
            blocks[-1] = (t.speaker, f"{blocks[-1][1]}\n{t.text}")
        else:
            blocks.append((t.speaker, t.text))
    return blocks


def _collect(conversations: Iterable[Sequence[StoredTurn]]) -> dict[str, _Stats]:
    stats: dict[str, _Stats] = defaultdict(_Stats)
    for turns in conversations:
        blocks = _speaker_blocks(turns)
        if not blocks:
            continue
        stats[blocks[0][0]].opened += 1
        for speaker in {s for s, _ in blocks}:
            stats[speaker].conversations += 1
        for i, (speaker, text) in enumerate(blocks):
            st = stats[speaker]
            st.blocks += 1
            st.chars += len(text)
            if i:
                st.replies += 1
                st.answers += "?" in blocks[i - 1][1]
    return stats


def _base_scores(stats: Mapping[str, _Stats], conversations: int) -> dict[str, float]:
    most = max(s.conversations for s in stats.values())
    longest = max(s.chars / s.blocks for s in stats.values())
    # Presence tells agents from customers only across several conversations; in one chat
    # everybody is present, so there it would lift the customer as much as the agent.
    weights = dict(_WEIGHTS)
    if conversations < _MIN_CONVERSATIONS:
        del weights["presence"]
    total = sum(weights.values())
    scores = {}
    for name, s in stats.items():
        features = {
            "presence": s.conversations / most,
            "answers": s.answers / s.replies if s.replies else 0.0,
            "name": _name_signal(name),
            "length": (s.chars / s.blocks) / longest if longest else 0.0,
            "not_opener": 1 - s.opened / s.conversations,
        }
        scores[name] = sum(w * features[k] for k, w in weights.items()) / total
    return scores


def _core(ranked: Sequence[tuple[str, float]]) -> int:
    """How many of the best-ranked speakers lie above the widest gap between scores."""
    if len(ranked) < 2:
        return len(ranked)
    gaps = [ranked[i][1] - ranked[i + 1][1] for i in range(len(ranked) - 1)]
    return gaps.index(max(gaps)) + 1


def _colleagues(
    core: Sequence[str], stats: Mapping[str, _Stats], scores: Mapping[str, float]
) -> list[str]:
    """Speakers outside the core who carry the team's name and mostly reply.

    Agents of one company tend to carry its name ("Ana (Lumiar)", "Carla | Lumiar Fibra"); a
    colleague who answers rarely ("Rafa - NOC (Lumiar)") scores low on presence but still
    belongs to the team. A status bot with the company name opens its own posts, so
    replying is required too.
    """
    counts = Counter(t for name in core for t in _name_tokens(name))
    # With one agent we cannot tell its company word from its first name, so a namesake
    # must also look like an agent on its own.
    team = {t for t, n in counts.items() if n >= 2 or len(core) == 1}
    floor = _ALONE_FLOOR if len(core) == 1 else 0.0
    found = []
    for name, s in stats.items():
        replies_mostly = s.opened * 2 <= s.conversations
        if (
            name not in core
            and replies_mostly
            and scores[name] >= floor
            and _name_tokens(name) & team
        ):
            found.append(name)
    return found


def guess_assistant(turns_by_conversation: Mapping[int, Sequence[StoredTurn]]) -> Guess:
    """Guess who the assistant is in the conversations of one source.

    With roles in the data the answer is role "assistant". Otherwise each speaker is scored
    on: speaking in many of the source's conversations, answering messages that ask a
    question, writing longer messages, rarely opening a conversation, and a business-like
    name. The agents are the speakers above the widest gap between scores, plus colleagues
    who carry the same company word in their names.
    """
    conversations = list(turns_by_conversation.values())
    if any(t.role == ASSISTANT for turns in conversations for t in turns):
        return Guess(ASSISTANT, (), 1.0, reasons=("the data has assistant turns",))
    stats = _collect(conversations)
    if not stats:
        return Guess(None, (), 0.0, reasons=("no messages to judge",))
    scores = _base_scores(stats, len(conversations))
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    size = _core(ranked)
    core = [n for n, _ in ranked[:size]]
    chosen = core + sorted(_colleagues(core, stats, scores), key=lambda n: (-scores[n], n))
    rest = [(n, s) for n, s in ranked if n not in chosen]
    margin = ranked[size - 1][1] - ranked[size][1] if size < len(ranked) else 0.0
    return Guess(
        role=None,
        speakers=tuple(chosen),
        confidence=round(max(0.0, min(1.0, margin * _CONFIDENCE_SCALE)), 3),
        runner_up=rest[0][0] if rest else None,
        scores=tuple((n, round(s, 3)) for n, s in ranked[:10]),
        reasons=_reasons(chosen, stats),
    )


def _reasons(chosen: Sequence[str], stats: Mapping[str, _Stats]) -> tuple[str, ...]:
    """A short why, for the UI: where the agents speak and how often they answer."""
    return tuple(
        f"{n}: in {stats[n].conversations} conversation(s), answers {stats[n].answers} question(s)"
        for n in chosen
    )


__all__ = [
    "ASSISTANT",
    "USER",
    "ExtractOptions",
    "Guess",
    "extract_all",
    "extract_pairs",
    "guess_assistant",
]
