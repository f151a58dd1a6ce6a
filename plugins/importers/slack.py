"""Slack workspace exports: a folder or zip of ``channels.json``, ``users.json`` and one
folder per channel (or DM, private group, multi-person DM) of ``YYYY-MM-DD.json`` day files.

Each thread (a root message and its replies, which may span days) is one conversation keyed
``channel/thread_ts``; the other messages of a channel make one conversation per day keyed
``channel/YYYY-MM-DD``. Slack's markup is turned into what a person saw: ``<@U123>`` becomes
``@name``, ``<url|label>`` becomes ``label (url)``, ``&amp;`` becomes ``&``. Join, leave,
topic and other notices are counted, not imported; a day file that is not valid JSON is a
Skip for that file, never a failed export.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import READS_TREES, Importer, as_tree
from afina.engine.ingest.inputs import InputItem, InputTree
from afina.engine.ingest.jsonio import load_json
from afina.engine.ingest.textio import TextStats, repairs
from afina.engine.types import Conversation, ImportItem, Repair, Turn
from afina.plugins.importers.table_rows import Tally, safe_head

# Listing files at the top of an export, with the kind of folder each describes.
LISTINGS = {"channels.json": "#", "groups.json": "#", "mpims.json": "", "dms.json": ""}
SIGNATURE = frozenset({"channels.json", "users.json", *LISTINGS})
# Subtypes that carry something a person said; every other subtype is a notice.
SPOKEN = frozenset(
    {
        "bot_message",
        "file_share",
        "file_comment",
        "me_message",
        "thread_broadcast",
        "reply_broadcast",
        "file_mention",
    }
)
# A JSON file of the export bigger than this is refused (Slack writes far smaller ones).
FILE_LIMIT = 256 * 1024**2

_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.json$")
_MARKUP = re.compile(r"<([^<>\n]{1,2000})>")
# bot_add notices link the integration: <https://x.slack.com/services/B0JL6RASU|github>
_BOT_LINK = re.compile(r"/services/(B[A-Z0-9]+)\|([^>]+)>")


class SlackImporter(Importer):
    name: ClassVar[str] = "slack"
    description: ClassVar[str] = "Slack workspace export (folder or zip): channels, DMs, threads"
    capabilities: ClassVar[frozenset[str]] = frozenset({READS_TREES})
    extensions: ClassVar[tuple[str, ...]] = (".zip",)

    def sniff(self, item: InputItem) -> float:
        if not isinstance(item, InputTree):
            return 0.0
        layout = _Layout.find(item)
        if layout is None:
            return 0.0
        if layout.has_listing and layout.days:
            return 0.95
        if layout.days:
            # Day files alone: look inside one for Slack's message shape.
            first = item.get(layout.root + layout.days[0][0] + "/" + layout.days[0][1][0])
            head = safe_head(first, 4096) if first is not None else ""
            return 0.6 if head.lstrip()[:1] == "[" and '"ts"' in head else 0.0
        return 0.55 if {"channels.json", "users.json"} <= layout.listings else 0.0

    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        tree = as_tree(item)
        layout = _Layout.find(tree)
        if layout is None:
            raise ParseError(
                "whole export",
                "not a Slack export: expected channels.json or users.json and "
                "channel folders of YYYY-MM-DD.json day files",
            )
        export = _Export(tree, layout.root)
        export.load_listings()
        for folder, days in layout.days:
            yield from export.channel(folder, days)
        yield from export.tally.skips()
        yield from export.repaired.values()


@dataclass
class _Layout:
    """Where the export sits in the tree (a zip may wrap it in a folder) and its day files."""

    root: str
    listings: set[str] = field(default_factory=set)
    folders: dict[str, list[str]] = field(default_factory=dict)  # channel folder -> day files

    @property
    def has_listing(self) -> bool:
        return bool(self.listings)

    @property
    def days(self) -> list[tuple[str, list[str]]]:
        return sorted((f, sorted(d)) for f, d in self.folders.items())

    def score(self) -> tuple[bool, int]:
        return self.has_listing, len(self.folders)

    @classmethod
    def find(cls, tree: InputTree) -> _Layout | None:
        """The best-looking export root: the top of the tree or one folder down, in one pass."""
        layouts: dict[str, _Layout] = {}
        for name in tree.names():
            parts = name.split("/")
            for depth in (0, 1):
                root, rest = "".join(p + "/" for p in parts[:depth]), parts[depth:]
                if len(rest) == 1 and rest[0] in SIGNATURE:
                    layouts.setdefault(root, cls(root)).listings.add(rest[0])
                elif len(rest) == 2 and _DAY_FILE.match(rest[1]):
                    layout = layouts.setdefault(root, cls(root))
                    layout.folders.setdefault(rest[0], []).append(rest[1])
        return max(layouts.values(), key=_Layout.score, default=None)


@dataclass
class _Channel:
    folder: str
    name: str
    id: str = ""
    title: str = ""  # how it is shown: "#general", "DM Ana, Bob"


@dataclass
class _Group:
    """The turns of one conversation while a channel is read."""

    key: str
    title: str
    place: str
    first_ts: float
    turns: list[Turn] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)


class _Export:
    """One export being read: who is who, what each channel is, and what was counted."""

    def __init__(self, tree: InputTree, root: str) -> None:
        self.tree = tree
        self.root = root
        self.users: dict[str, str] = {}
        self.channels: dict[str, _Channel] = {}  # by folder name
        self.channel_names: dict[str, str] = {}  # by channel id, for <#C123> links
        self.bots: dict[str, str] = {}  # bot id -> integration name, from bot_add notices
        self.tally = Tally()
        # per kind of decoding repair (bad bytes, NULs, Windows-1252): the first place, the count
        self.repaired: dict[str, Repair] = {}

    # -- files

    def load(self, name: str) -> tuple[object, str | None]:
        """A JSON file of the export, or None with the reason it could not be read."""
        file = self.tree.get(self.root + name)
        if file is None:
            return None, "missing"
        stats = TextStats()
        try:
            doc = load_json(file, stats, limit=FILE_LIMIT)
        except ParseError as e:
            return None, f"not valid JSON ({e.message})"
        for r in repairs(stats):
            seen = self.repaired.get(r.what)
            place = f"{name} {r.place}"
            self.repaired[r.what] = Repair(
                seen.place if seen else place, r.what, r.count + (seen.count if seen else 0)
            )
        return doc, None

    def load_listings(self) -> None:
        doc, problem = self.load("users.json")
        if problem and problem != "missing":
            self.tally.add(f"users.json {problem}: speakers shown by id", "users.json")
        for user in doc if isinstance(doc, list) else []:
            if isinstance(user, dict) and isinstance(user.get("id"), str):
                self.users[user["id"]] = _user_name(user) or user["id"]
        for listing, prefix in LISTINGS.items():
            doc, problem = self.load(listing)
            if problem and problem != "missing":
                self.tally.add(f"{listing} {problem}", listing)
            for entry in doc if isinstance(doc, list) else []:
                if isinstance(entry, dict):
                    self._add_channel(entry, prefix, listing == "dms.json")

    def _add_channel(self, entry: Mapping[str, Any], prefix: str, is_dm: bool) -> None:
        cid = _str(entry.get("id"))
        name = _str(entry.get("name"))
        folder = cid if is_dm else name
        if not folder:
            return
        title = f"{prefix}{name}" if name else folder
        if is_dm or (prefix == "" and isinstance(entry.get("members"), list)):
            ids = [m for m in _list(entry.get("members")) if isinstance(m, str)]
            members = [self.users.get(m, m) for m in ids]
            title = "DM " + ", ".join(members) if members else title
        self.channels[folder] = _Channel(folder, name or folder, cid, title)
        if cid and name:
            self.channel_names[cid] = name

    # -- channels

    def channel(self, folder: str, days: list[str]) -> Iterator[ImportItem]:
        chan = self.channels.get(folder) or _Channel(folder, folder, title=f"#{folder}")
        messages: list[tuple[str, str, dict[str, Any]]] = []  # (day, place, message)
        for day_file in days:
            doc, problem = self.load(f"{folder}/{day_file}")
            place = f"{folder}/{day_file}"
            if problem:
                self.tally.add(f"day file {problem}", place)
                continue
            if not isinstance(doc, list):
                self.tally.add("day file is not a list of messages", place)
                continue
            day = day_file[:-5]
            messages += [(day, f"{place} [{i}]", m) for i, m in enumerate(doc)]
        groups = self._group(chan, messages)
        for g in sorted(groups.values(), key=lambda g: g.first_ts):
            if g.turns:
                yield Conversation(g.key, g.title, g.place, g.turns, g.meta)

    def _group(
        self, chan: _Channel, messages: list[tuple[str, str, dict[str, Any]]]
    ) -> dict[str, _Group]:
        # Threads are known by their replies, which may come days after the root.
        threaded = {
            _str(m.get("thread_ts")) for _, _, m in messages if isinstance(m, dict) and _is_reply(m)
        }
        groups: dict[str, _Group] = {}
        for day, place, msg in messages:
            turn = self._turn(place, msg)
            if turn is None:
                continue
            thread = _str(msg.get("thread_ts"))
            if thread and (thread in threaded or _declares_replies(msg) or _is_reply(msg)):
                key = f"{chan.folder}/{thread}"
                if key not in groups:
                    meta = self._meta(chan, thread=thread)
                    title = f"{chan.title} thread {thread}"
                    groups[key] = _Group(key, title, place, _ts(thread), meta=meta)
                if not _is_reply(msg):  # the root names the thread
                    groups[key].title = f"{chan.title} thread: {_short(turn.text)}"
                turn = _with_thread(turn, thread, msg)
            else:
                key = f"{chan.folder}/{day}"
                if key not in groups:
                    place_of_day = f"{chan.folder}/{day}.json"
                    first = _ts(_str(msg.get("ts")))
                    meta = self._meta(chan, day=day)
                    groups[key] = _Group(key, f"{chan.title} {day}", place_of_day, first, meta=meta)
            groups[key].turns.append(turn)
        return groups

    def _meta(self, chan: _Channel, **extra: str) -> dict[str, object]:
        meta: dict[str, object] = {"channel": chan.name, **extra}
        if chan.id:
            meta["channel_id"] = chan.id
        return meta

    # -- messages

    def _turn(self, place: str, msg: object) -> Turn | None:
        if not isinstance(msg, dict):
            self.tally.add("message is not an object", place)
            return None
        subtype = _str(msg.get("subtype"))
        if subtype == "bot_add":
            self._learn_bot(msg)
        if subtype and subtype not in SPOKEN:
            self.tally.add(f"{subtype} notice", place)
            return None
        text = self._text(msg)
        if not text.strip():
            self.tally.add("message without text", place)
            return None
        ts = _str(msg.get("ts"))
        bot = (
            subtype == "bot_message"
            or isinstance(msg.get("bot_profile"), dict)
            or (bool(msg.get("bot_id")) and not msg.get("user"))
        )
        return Turn(
            speaker=self._speaker(msg, bot),
            text=text,
            place=place,
            timestamp=_when(ts),
            key=ts or _str(msg.get("client_msg_id")),
            meta={"bot": True} if bot else {},
        )

    def _learn_bot(self, msg: Mapping[str, Any]) -> None:
        found = _BOT_LINK.search(_str(msg.get("text")))
        if found:
            self.bots.setdefault(found.group(1), found.group(2))

    def _speaker(self, msg: Mapping[str, Any], bot: bool) -> str:
        profile = _obj(msg.get("user_profile"))
        bot_profile = _obj(msg.get("bot_profile"))
        comment = _obj(msg.get("comment"))
        file = _obj(msg.get("file"))
        user = _str(msg.get("user")) or _str(comment.get("user")) or _str(file.get("user"))
        if bot:
            candidates = [
                _str(msg.get("username")),
                _str(bot_profile.get("name")),
                self.bots.get(_str(msg.get("bot_id")), ""),
                self.users.get(user, ""),
            ]
        else:
            candidates = [self.users.get(user, ""), _user_name(profile), _str(msg.get("username"))]
        return next((c for c in candidates if c), "") or user or _str(msg.get("bot_id")) or "?"

    def _text(self, msg: Mapping[str, Any]) -> str:
        text = self.render(_str(msg.get("text"), strip=False))
        if not text.strip():
            text = "\n\n".join(self.render(a) for a in _attachment_texts(msg.get("attachments")))
        files = [msg.get("file"), *_list(msg.get("files"))]
        names = [_str(f.get("name")) or _str(f.get("title")) for f in files if isinstance(f, dict)]
        notes = [f"[file: {n}]" for n in names if n]
        return "\n".join(p for p in (text, *notes) if p.strip())

    def render(self, text: str) -> str:
        """Slack markup as shown: mentions, channel links, URLs, then the three escapes."""
        if "<" in text:
            text = _MARKUP.sub(self._markup, text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def _markup(self, m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (self.users.get(target[1:]) or label or target[1:])
        if target.startswith("#"):
            return "#" + (label or self.channel_names.get(target[1:]) or target[1:])
        if target.startswith("!"):
            # <!here>, <!channel|channel>, <!subteam^ID|@team>, <!date^...|fallback>
            special = target[1:].split("^", 1)[0]
            if special in ("here", "channel", "everyone"):
                return "@" + special
            return label or "@" + special
        if not label or label == target:
            return target
        if target.split(":", 1)[-1] == label:  # <mailto:a@b|a@b>, <tel:123|123>
            return label
        return f"{label} ({target})"


# ---------------------------------------------------------------- helpers


def _attachment_texts(value: object) -> Iterator[str]:
    """What a message made only of attachments (integrations, bots) shows as text."""
    for a in value if isinstance(value, list) else []:
        if not isinstance(a, dict):
            continue
        shown = [_str(a.get("pretext")), _str(a.get("text"))]
        text = "\n".join(s for s in shown if s) or _str(a.get("fallback")) or _str(a.get("title"))
        if text:
            yield text


def _is_reply(msg: Mapping[str, Any]) -> bool:
    thread = msg.get("thread_ts")
    return isinstance(thread, str) and bool(thread) and thread != msg.get("ts")


def _declares_replies(msg: Mapping[str, Any]) -> bool:
    count = msg.get("reply_count")
    replies = msg.get("replies")
    return (isinstance(count, int) and count > 0) or (isinstance(replies, list) and bool(replies))


def _with_thread(turn: Turn, thread: str, msg: Mapping[str, Any]) -> Turn:
    return Turn(
        speaker=turn.speaker,
        text=turn.text,
        place=turn.place,
        role=turn.role,
        timestamp=turn.timestamp,
        key=turn.key,
        reply_to=thread if _is_reply(msg) else None,
        thread=thread,
        meta=turn.meta,
    )


def _user_name(user: Mapping[str, Any]) -> str:
    profile = _obj(user.get("profile"))
    for value in (
        user.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("display_name"),
        user.get("name"),
    ):
        if _str(value):
            return _str(value)
    return ""


def _ts(ts: str) -> float:
    try:
        return float(ts)
    except ValueError:
        return float("inf")


def _when(ts: str) -> str | None:
    """Slack's ts ("1452837318.000002", a unix time plus a sequence) as ISO 8601 UTC."""
    seconds = ts.split(".", 1)[0]
    if not (seconds.isascii() and seconds.isdigit()) or len(seconds) > 11:
        return None
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).isoformat()


def _short(text: str, n: int = 60) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= n else line[: n - 1] + "…"


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _str(value: object, strip: bool = True) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value
