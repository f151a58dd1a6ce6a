"""The line grammar of IRC client and bouncer logs: what one line is (a message, an action,
an event, a day marker) and the nick that said it.

Logs differ per program: irssi ("12:00 <nick> text", "-!-" events, "--- Day changed"),
WeeChat ("2024-01-01 12:00:00<TAB>nick<TAB>text"), HexChat ("Jan 01 12:00:00 <nick><TAB>text"),
ZNC and mIRC ("[12:00:00] <nick> text", "***" events) and dircproxy ("[15 Jan 08:42]
<nick!user@host> text", "-->"/"<--"/"---" events, "***" for the proxy's own status).

A nick may come with its hostmask (``nick!user@host``, dircproxy writes it on every
message): the hostmask names a person's account and machine, so it is dropped here, where
the line is read, and never reaches a turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
_STAMP = (
    r"(?:\[(?P<bracket>[^\]\n]{4,40})\]"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}[ T]" + TIME + r")"
    r"|(?P<month>[A-Z][a-z]{2} [ \d]\d " + TIME + r")"
    r"|(?P<time>" + TIME + r"))"
)
_WEECHAT = re.compile(
    r"^(?P<iso>\d{4}-\d{2}-\d{2}[ T]" + TIME + r")\t(?P<prefix>[^\t]*)\t(?P<text>.*)$"
)
_STAMPED = re.compile(r"^" + _STAMP + r"[ \t]+(?P<body>.*)$")
# "!user@host" after a nick: matched so that it can be left out.
_HOSTMASK = r"(?:![^\s>\]]{0,200})?"
_MESSAGE = re.compile(
    r"^<\s*[~&@%+ ]?(?P<nick>[^>\s!]{1,40})" + _HOSTMASK + r">[ \t]?(?P<text>.*)$"
)
_ACTION = re.compile(r"^\*[ \t]+(?P<nick>[^\s*!]{1,40})" + _HOSTMASK + r"[ \t](?P<text>.+)$")
_EVENT = re.compile(r"^(?P<marker>-!-|\*\*\*|\*|---|--|-->|<--)[ \t]+(?P<text>.*)$")
_NOTICE = re.compile(r"^-(?P<nick>[^\s!-]{1,40})(?:![^\s]{0,200}?)?-\s(?P<text>.*)$")
# dircproxy's CTCP lines: "[nick!user@host] VERSION".
_CTCP = re.compile(r"^\[(?P<nick>[^\]\s!]{1,40})![^\]\s]{0,200}\][ \t](?P<text>.*)$")
_MARKER = re.compile(
    r"^(?:---\s+(?:Day changed|Log opened|Log closed)|\*{4}\s+(?:BEGIN|ENDING) LOGGING AT)"
    r"\s*(?P<when>.*)$"
)
_EVENT_KINDS = (
    ("join", ("has joined", "joins:", "joined the channel")),
    ("part", ("has left", "parts:", "has parted", "left the channel")),
    ("quit", ("has quit", "quits:", "left irc")),
    ("nick", ("is now known as", "nick change", "changed nick")),
    ("kick", ("kicked", "kicks:")),
    ("topic", ("topic",)),
    ("mode", ("mode", "sets mode")),
)


@dataclass
class IRCLine:
    """What one IRC log line is: kind "" (not IRC), message, action, event kinds, marker."""

    kind: str
    nick: str = ""
    text: str = ""
    stamp: str = ""  # time or date-time as written
    stamped: bool = False
    when: str = ""  # for markers: the date they announce


def irc_line(line: str) -> IRCLine:
    marker = _MARKER.match(line)
    if marker:
        return IRCLine("marker", when=marker.group("when"))
    weechat = _WEECHAT.match(line)
    if weechat:
        return _weechat(weechat)
    stamped = _STAMPED.match(line)
    if stamped:
        stamp = next(g for g in ("bracket", "iso", "month", "time") if stamped.group(g))
        body = _irc_body(stamped.group("body"))
        body.stamp, body.stamped = stamped.group(stamp), bool(body.kind)
        return body
    return _irc_body(line)


def is_irc(line: str) -> bool:
    """A line only IRC logs have (a bullet "* text" alone does not count)."""
    irc = irc_line(line)
    return irc.kind in ("marker", "message") or irc.stamped


def _weechat(m: re.Match[str]) -> IRCLine:
    prefix, text, stamp = m.group("prefix").strip(), m.group("text"), m.group("iso")
    if prefix == "*":
        nick, _, action = text.partition(" ")
        return IRCLine("action", nick.partition("!")[0], action, stamp, True)
    if prefix in ("-->", "<--", "--", "=!=", ""):
        return IRCLine(event_kind(text, prefix), text=text, stamp=stamp, stamped=True)
    return IRCLine("message", prefix.lstrip("~&@%+").partition("!")[0], text, stamp, True)


def _irc_body(body: str) -> IRCLine:
    m = _MESSAGE.match(body)
    if m:
        return IRCLine("message", m.group("nick"), m.group("text"))
    m = _EVENT.match(body)
    if m:
        marker, text = m.group("marker"), m.group("text")
        # A lone "*" opens both actions ("* nick waves") and HexChat events ("* nick has
        # joined"): only the event's wording tells them apart.
        kind = event_kind(text, "" if marker == "*" else marker)
        if kind:
            return IRCLine(kind, text=text)
    m = _ACTION.match(body)
    if m:
        return IRCLine("action", m.group("nick"), m.group("text"))
    m = _NOTICE.match(body)
    if m:
        return IRCLine("notice", m.group("nick"), m.group("text"))
    m = _CTCP.match(body)
    if m:
        return IRCLine("ctcp", m.group("nick"), m.group("text"))
    return IRCLine("")


def event_kind(text: str, prefix: str = "") -> str:
    """join, part, quit ... from an event's wording; "" when a bare "*" line is no event."""
    low = text.lower()
    for kind, phrases in _EVENT_KINDS:
        if any(p in low for p in phrases):
            return kind
    if prefix == "-->":
        return "join"
    if prefix == "<--":
        return "part"
    if prefix == "***":
        # ZNC and dircproxy put their own state here: "You connected", "Buffer Playback...".
        return "status"
    return "other event" if prefix else ""
