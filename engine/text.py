"""Unicode normalisation of text, the accent-free forms afina compares text in, and the
form it shows untrusted text in on a terminal.

It sits on the engine's lowest floor because the store normalises every turn it writes (and
must not reach up into ``ingest``, which reads files), and because curation, the personal-data
scrubber and evaluation all compare "Serviço" and "servico" as the same word.
"""

from __future__ import annotations

import re
import unicodedata


def nfc(text: str) -> str:
    """Unicode NFC, skipping the work for text that already is (nearly all of it)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def strip_accents(text: str) -> str:
    """``text`` decomposed (NFKD) with its combining marks dropped: "ação" -> "acao"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lowercase without accents, so chat text typed with and without them compares equal."""
    return strip_accents(text.casefold())


# What a terminal would act on rather than show: C0 controls but tab and newline, DEL and the
# C1 block (ESC [2J clears the screen, OSC 52 writes the clipboard, a C1 CSI does the same
# without ESC on some terminals), and the bidi overrides, embeddings and isolates, which
# reorder what follows them (a file name can read as ending ".pdf" and end ".exe"). A carriage
# return is left alone only before a newline (a Windows line end), where it hides nothing.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\n"  # a lone carriage return would draw the rest of a line over its start
    if code < 0x20:
        return chr(0x2400 + code)  # the control's own picture: ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def printable(text: str) -> str:
    """``text`` safe to print on a terminal or draw in the UI: every control a terminal would
    act on is replaced by a visible stand-in, so chat text and file names from an import can
    only ever be shown, never run. Newline and tab are kept. One character for one, so the
    styles of a rich Text stay where they were when its plain text is replaced."""
    if not _UNSAFE.search(text):
        return text  # nearly all text: no copy
    return _UNSAFE.sub(_shown, text)
