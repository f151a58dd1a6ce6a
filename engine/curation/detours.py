"""Identity-check detours in support chats.

An agent who must find the account first asks for it ("Qual o CPF do titular?"), the
customer hands over a CPF, a contract number or an e-mail, and only then comes the answer.
Cut into adjacent pairs, that exchange teaches an assistant to ask for a CPF instead of
answering (it cannot look anyone up) and leaves the real answer behind a prompt made of
personal data. :func:`detour_at` finds the exchange so that extraction can pair the
customer's question with the answer that came after it.
"""

from __future__ import annotations

import re

from afina.engine.curation.pii import PLACEHOLDER
from afina.engine.curation.pii_contacts import email_detector
from afina.engine.curation.pii_detectors import has_digits

# A run of digits with the separators of documents and phone numbers, optionally behind a
# short letter prefix (LF-101041, LP7835688, 123.456.789-00, (48) 99123-4567).
_ID_RUN = re.compile(r"(?<!\w)[A-Za-z]{0,4}[-.]?\(?\d[\d.\-/() ]*\d(?!\w)")
_EMAIL = email_detector()
MIN_ID_DIGITS = 5  # fewer is a plan, a price or a house number, not an identifier
MAX_ASK_WORDS = 30  # an identity question is one short sentence or two
MAX_PLAIN_LINE_WORDS = 8  # a name or a remark beside the identifier; more is a new topic
MAX_ID_LINE_WORDS = 20  # an address with its CEP; more says something else


def has_identifier(line: str) -> bool:
    # a placeholder: the identifier was already scrubbed (pairs of an earlier import)
    if PLACEHOLDER.search(line) or _EMAIL.find(line):
        return True
    return any(has_digits(m.group(0), MIN_ID_DIGITS) for m in _ID_RUN.finditer(line))


def hands_over_identifiers(text: str) -> bool:
    """True for a message that gives identifiers and asks nothing new: at least one line
    holds a CPF, contract number, phone, CEP or e-mail, and every line is short; a line that
    asks (a "?") is one only when very short ("pode mandar no <EMAIL_1>?")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    with_id = [has_identifier(line) for line in lines]
    if not any(with_id):
        return False
    return all(
        len(line.split()) <= (MAX_ID_LINE_WORDS if found else MAX_PLAIN_LINE_WORDS)
        and ("?" not in line or (found and len(line.split()) <= MAX_PLAIN_LINE_WORDS))
        for line, found in zip(lines, with_id, strict=True)
    )


def asks_back(text: str) -> bool:
    """A short agent message that ends in a question."""
    return text.rstrip().endswith("?") and len(text.split()) <= MAX_ASK_WORDS


def detour_at(sides: list[str], texts: list[str], i: int, user: str, assistant: str) -> bool:
    """True when unit ``i`` is the customer handing over identifiers between an agent's
    question and the agent's answer, with the customer's question before that question:
    user question, agent asks, user gives identifiers (``i``), agent answers."""
    if i < 2 or i + 1 >= len(sides):
        return False
    pattern = (sides[i - 2], sides[i - 1], sides[i], sides[i + 1])
    return (
        pattern == (user, assistant, user, assistant)
        and asks_back(texts[i - 1])
        and hands_over_identifiers(texts[i])
    )
