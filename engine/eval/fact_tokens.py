"""Canonical tokens of fact matching: the patterns that recognize e-mails, URLs, phones,
dates, times, money and numbers, and the comparison form they are reduced to.

How a fact is found in an answer (``match_facts``): both texts become a stream of canonical
tokens and the fact's tokens must occur in the answer's stream contiguously. Canonical tokens:

- case and accents do not matter (``Nômade`` = ``nomade``);
- numbers compare by value, in Brazilian or English notation: ``99,90`` = ``99.90`` =
  ``99.9``; ``1.000`` = ``1,000`` = ``1000`` (one separator followed by exactly three digits is
  a thousands separator); currency symbols are dropped, so ``R$ 99,90`` is found in
  "99,90 reais" (the amount is the fact);
- times compare as a clock reading: ``9h`` = ``9:00`` = ``09:00`` = ``9 horas`` = ``9am``, and
  ``18h`` = ``6pm``. A bare ``9`` is not a time: "das 9 às 18h" does not contain ``9h``;
- dates compare day/month(/year) as written (``11/6`` = ``11/06`` = ``11 de junho``), never
  reordered between day-first and month-first;
- units have one name across both languages and spellings: ``Mbps`` = ``mega`` = ``megas``;
  ``dias`` = ``days``; ``dias úteis`` = ``business days``; ``meses`` = ``months``; ``horas`` =
  ``hours`` = ``h``; ``segundos`` = ``seconds``; ``minutos`` = ``minutes``;
- small function words (articles, "de", "às", "to", "and", "ou" ...) are skipped, so
  ``8h às 12h`` is found in "8:00 to 12:00" and in "das 8h às 12h", and ``5, 10, 15 ou 20`` in
  "5, 10, 15 e 20"; punctuation is skipped, so ``Conta > Cancelar serviço`` is found in
  "Conta, Cancelar serviço";
- a phone number is found when one number's digits end with the other's and the shorter has
  at least 8 digits, so ``(48) 3000-5821`` is found in "+55 48 3000 5821".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

# Aliased: this module's own fold adds NFKC and recomposes, for fact matching.
from afina.engine.text import fold as fold_accents
from afina.engine.text import nfc

# --- patterns shared by extraction and canonical tokens --------------------------------------

_TLDS = "com|org|net|br|io|gov|edu|info|app|dev|co|me|pt|uk|us|eu|ai|tv|site|online|store|tech"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_URL = (
    r"(?:https?://|www\.)[^\s<>\"')\]]+"
    rf"|\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"')\]]*)?"
)
_IP = r"\b\d{1,3}(?:\.\d{1,3}){3}\b"
_PHONE = (
    r"(?:\+\d{1,3}\s?)?(?:\(\d{2,3}\)\s?|\b\d{2,3}[\s.-])\d{4,5}[-.\s]?\d{4}\b"
    r"|\b\d{4,5}-?\d{4}\b"
)
_NUM = r"\d+(?:[.,]\d+)*"
_MONTHS_PT = (
    "janeiro",
    "fevereiro",
    "marco",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
_MONTHS_EN = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_PT = "|".join(_MONTHS_PT).replace("marco", "mar[cç]o")
_EN = "|".join(_MONTHS_EN)
_DATE = (
    r"\b(?P<d1>\d{1,2})/(?P<m1>\d{1,2})(?:/(?P<y1>\d{4}|\d{2}))?\b(?!/)"
    r"|\b(?P<y2>\d{4})-(?P<m2>\d{2})-(?P<d2>\d{2})\b"
    rf"|\b(?P<d3>\d{{1,2}})\s+de\s+(?P<m3>{_PT})(?:\s+de\s+(?P<y3>\d{{4}}))?\b"
    rf"|\b(?P<m4>{_EN})\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y4>\d{{4}})\b)?"
    rf"|\b(?P<d5>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m5>{_EN})\b(?:,?\s+(?P<y5>\d{{4}})\b)?"
)
_HOUR_WORD = r"(?:h|hs|hrs?|horas?|hours?)"
_TIME = (
    r"\b(?P<h1>\d{1,2}):(?P<n1>\d{2})(?:\s?(?P<p1>[ap])\.?m\b\.?)?(?!\d)"
    rf"|\b(?P<h2>\d{{1,2}})\s?{_HOUR_WORD}(?:\s?(?P<n2>\d{{2}})(?:\s?min)?)?\b"
    r"|\b(?P<h3>\d{1,2})\s?(?P<p3>[ap])\.?m\b\.?"
)
_PERCENT = rf"(?<![\w.,]){_NUM}\s?(?:%|(?:por\s+cento|percent|per\s+cent)\b)"
_CURRENCY = r"R\$|US\$|U\$|\$|€|£|\b(?:BRL|USD|EUR)\b"
_MONEY = (
    rf"(?:{_CURRENCY})\s?{_NUM}(?![\w])"
    rf"|(?<![\w.,]){_NUM}\s?(?:reais|real|d[oó]lares|d[oó]lar|dollars?|euros?)\b"
)

# Units that belong to the number before them, in every spelling the canonical form merges.
_UNITS: dict[str, str] = {
    **dict.fromkeys(("mbps", "mb", "mega", "megas", "megabit", "megabits", "mbit"), "mbps"),
    **dict.fromkeys(("gbps", "gb", "giga", "gigas", "gigabit", "gigabits", "gbit"), "gbps"),
    **dict.fromkeys(("dia", "dias", "day", "days"), "dia"),
    **dict.fromkeys(("mes", "meses", "month", "months"), "mes"),
    **dict.fromkeys(("ano", "anos", "year", "years"), "ano"),
    **dict.fromkeys(("semana", "semanas", "week", "weeks"), "semana"),
    **dict.fromkeys(("hora", "horas", "hour", "hours", "h", "hr", "hrs", "hs"), "h"),
    **dict.fromkeys(("minuto", "minutos", "minute", "minutes", "min", "mins"), "min"),
    **dict.fromkeys(("segundo", "segundos", "second", "seconds", "seg", "sec", "secs"), "seg"),
    **dict.fromkeys(("util", "uteis", "business", "working"), "util"),
}
_UNIT_WORDS = (
    r"(?:business|working)\s+days?"
    r"|(?:mbps|mb|megas?|megabits?|mbit|gbps|gb|gigas?|gigabits?|gbit|ghz|mhz|tb|kb"
    r"|dias?|days?|m[eê]s|meses|months?|anos?|years?|semanas?|weeks?|horas?|hours?|hrs?"
    r"|minutos?|minutes?|mins?|segundos?|seconds?|secs?|vezes|times|parcelas|installments"
    r"|pontos|points|metros|meters|km|kg|gigas?)(?:\s+(?:[úu]teis|[úu]til|corridos))?"
)
_NUMBER = rf"(?<![^\W\d_])(?<![\d.,]){_NUM}(?:\s?(?:{_UNIT_WORDS})\b|(?![^\W_]))"


def wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words skipped when matching, in both languages (after case and accent folding).
_CONNECTORS = wordset(
    """a o as os ao aos de da do das dos e ou em no na nos nas para pra por ate um uma
    to from and or the of in on at an until till by per"""
)

_FLAGS = re.IGNORECASE
FACT_PATTERNS = {
    "email": re.compile(_EMAIL, _FLAGS),
    "url": re.compile(_URL, _FLAGS),
    "ip": re.compile(_IP),
    "phone": re.compile(_PHONE),
    "date": re.compile(_DATE, _FLAGS),
    "time": re.compile(_TIME, _FLAGS),
    "percent": re.compile(_PERCENT, _FLAGS),
    "money": re.compile(_MONEY, _FLAGS),
    "number": re.compile(_NUMBER, _FLAGS),
}
_CANON = re.compile(
    rf"(?P<email>{_EMAIL})|(?P<url>{_URL})|(?P<ip>{_IP})|(?P<phone>{_PHONE})"
    rf"|(?P<date>{_DATE})|(?P<time>{_TIME})|(?P<pct>{_NUM}\s?(?:%|(?:por\s+cento|percent|per\s+cent)\b))"
    rf"|(?P<cur>{_CURRENCY})|(?P<num>{_NUM})|(?P<word>[^\W\d_]+)",
    _FLAGS,
)


# --- canonical forms -------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC, casefolded, without accents: the comparison form of fact matching."""
    return nfc(fold_accents(unicodedata.normalize("NFKC", text)))


def canonical_number(raw: str) -> str:
    """``"99,90"`` and ``"99.90"`` → ``"99.9"``; ``"1.000"`` and ``"1,000"`` → ``"1000"``."""
    s = raw
    if "." in s and "," in s:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        s = s.replace("," if dec == "." else ".", "").replace(dec, ".")
    elif "," in s or "." in s:
        parts = s.split("," if "," in s else ".")
        if len(parts) > 2 or (len(parts[-1]) == 3 and parts[0] not in ("0", "")):
            s = "".join(parts)
        else:
            s = parts[0] + "." + parts[1]
    try:
        text = format(Decimal(s), "f")
    except InvalidOperation:
        return raw
    return text.rstrip("0").rstrip(".") if "." in text else text


def _clock(hour: str, minute: str | None, ampm: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if ampm:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if ampm.lower() == "p" else 0)
    if h > 24 or m > 59:
        return None
    return f"t{h:02d}:{m:02d}"


def _month_number(name: str) -> int:
    name = fold(name)
    for months in (_MONTHS_PT, _MONTHS_EN):
        if name in months:
            return months.index(name) + 1
    return 0


def date_token(m: re.Match[str]) -> str | None:
    g = m.groupdict()
    for i in "12345":
        if g.get(f"d{i}") is None:
            continue
        day = int(g[f"d{i}"])
        raw_month = g[f"m{i}"]
        month = int(raw_month) if raw_month.isdigit() else _month_number(raw_month)
        year = g.get(f"y{i}")
        if not (1 <= day <= 31 and 1 <= month <= 12):
            return None
        out = f"d{day:02d}/{month:02d}"
        if year:
            out += f"/{int(year) + 2000 if len(year) == 2 else int(year)}"
        return out
    return None


def time_token(m: re.Match[str]) -> str | None:
    g = m.groupdict()
    if g.get("h1") is not None:
        return _clock(g["h1"], g["n1"], g["p1"])
    if g.get("h2") is not None:
        return _clock(g["h2"], g["n2"], None)
    if g.get("h3") is not None:
        return _clock(g["h3"], None, g["p3"])
    return None


def _url(raw: str) -> str:
    u = fold(raw).rstrip(".,;:!?")
    u = re.sub(r"^(?:https?://)?(?:www\.)?", "", u)
    return "url:" + u.rstrip("/")


def _words(text: str) -> list[str]:
    out: list[str] = []
    for w in re.findall(r"[^\W\d_]+|\d+(?:[.,]\d+)*", text):
        out.append(canonical_number(w) if w[0].isdigit() else w)
    return out


def fact_tokens(text: str) -> list[str]:
    """The canonical token stream of a text, as fact matching compares it (module docstring)."""
    folded = fold(text)
    raw: list[str] = []
    for m in _CANON.finditer(folded):
        kind = m.lastgroup
        s = m.group(0)
        if kind == "email":
            raw.append(s.rstrip("."))
        elif kind == "url":
            raw.append(_url(s))
        elif kind == "ip":
            raw.append("ip:" + s)
        elif kind == "phone":
            raw.append("tel:" + re.sub(r"\D", "", s))
        elif kind in ("date", "time"):  # the inner groups (d1, h1 ...) are this match's own
            value = date_token(m) if kind == "date" else time_token(m)
            raw.extend([value] if value else _words(s))
        elif kind == "pct":
            raw.extend([_words(s)[0], "%"])
        elif kind == "cur":
            continue
        elif kind == "num":
            raw.append(canonical_number(s))
        else:
            raw.append(s)
    out: list[str] = []
    for tok in raw:
        tok = _UNITS.get(tok, tok)
        if tok in _CONNECTORS:
            continue
        if tok == "dia" and out and out[-1] == "util":  # "business days" → "dias úteis"
            out[-1] = "dia"
            tok = "util"
        out.append(tok)
    return out


def _same(fact_tok: str, answer_tok: str) -> bool:
    if fact_tok == answer_tok:
        return True
    if fact_tok.startswith("tel:") and answer_tok.startswith("tel:"):
        a, b = fact_tok[4:], answer_tok[4:]
        short, long_ = sorted((a, b), key=len)
        return len(short) >= 8 and long_.endswith(short)
    return False


def contains_tokens(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether ``needle`` occurs contiguously in ``haystack`` (phone numbers by suffix)."""
    n = len(needle)
    if n == 0:
        return True
    return any(
        all(_same(needle[j], haystack[i + j]) for j in range(n))
        for i in range(len(haystack) - n + 1)
    )
