"""Test helpers: build inputs from bytes, run an importer, find the real chat logs, and
hypothesis strategies that garble a valid document (its structure or its bytes)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from hypothesis import strategies as st

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile, InputItem, disk_file, folder_tree, zip_tree
from afina.engine.types import Conversation, Repair, Skip, Turn

ROOT = Path(__file__).resolve().parent.parent
CHATLOGS = Path(os.environ.get("AFINA_CHATLOGS", ROOT.parent / "shared" / "chatlogs"))


def make_file(tmp_path: Path, name: str, content: bytes | str) -> InputFile:
    """An InputFile on disk with the given content (str is written as UTF-8)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return disk_file(path)


def memory_file(data: bytes, name: str) -> InputFile:
    """An InputFile held in memory (no disk, so usable inside @given tests)."""
    return InputFile(name, name, len(data), lambda: io.BytesIO(data))


def as_item(path: Path) -> InputItem:
    if path.is_dir():
        return folder_tree(path)
    if path.suffix.lower() == ".zip":
        return zip_tree(path)
    return disk_file(path)


class ReadResult:
    """What an importer yielded, with turns materialised (they may be one-shot iterators)."""

    def __init__(self, items: list[Any]) -> None:
        self.conversations: list[Conversation] = []
        self.turns: list[list[Turn]] = []
        self.skips: list[Skip] = []
        self.repairs: list[Repair] = []
        for it in items:
            if isinstance(it, Conversation):
                self.conversations.append(it)
                self.turns.append(list(it.turns))
            elif isinstance(it, Skip):
                self.skips.append(it)
            elif isinstance(it, Repair):
                self.repairs.append(it)
            else:
                raise AssertionError(f"importer yielded {it!r}")


def texts(turns: Iterable[Turn]) -> list[tuple[str | None, str]]:
    """``(role, text)`` of each turn, for assertions that read like the conversation."""
    return [(t.role, t.text) for t in turns]


def read_with(importer_cls: type, item: InputItem, **options: Any) -> ReadResult:
    importer = importer_cls()
    resolved = importer_cls.resolve_options(options)
    out: list[Any] = []
    for it in importer.read(item, resolved):
        if isinstance(it, Conversation):
            # Materialise now: a streaming importer's turns are only valid during iteration.
            it = Conversation(it.key, it.title, it.place, list(it.turns), it.meta)
        out.append(it)
    return ReadResult(out)


def assert_survives(importer_cls: type, f: InputFile) -> None:
    """What any input, however garbled, must give: a sniff in [0, 1], and a read that either
    raises ParseError (the one failure allowed) or yields turns with text and a place."""
    assert 0.0 <= importer_cls().sniff(f) <= 1.0
    try:
        r = read_with(importer_cls, f)
    except ParseError:
        return
    assert all(isinstance(t.text, str) and t.place for ts in r.turns for t in ts)


# --- hypothesis: garbled versions of a valid document ---

DROP = object()  # as the new value of a path: remove that key or element instead


def json_values(
    keys: Sequence[str] = (),
    *,
    floats: bool = False,
    text_size: int = 6,
    key_size: int = 4,
    max_leaves: int = 6,
) -> st.SearchStrategy[Any]:
    """Small JSON values to put in place of a part of a document.

    Object keys are drawn from ``keys`` (the format's own, so mutations reach deep) or are
    short random text.
    """
    scalars = st.none() | st.booleans() | st.integers()
    if floats:
        scalars = scalars | st.floats(allow_nan=False)
    scalars = scalars | st.text(max_size=text_size)
    names = st.text(max_size=key_size)
    if keys:
        names = st.sampled_from(list(keys)) | names
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
        max_leaves=max_leaves,
    )


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indexes), the empty path of the root first."""
    out = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for k, v in items:
        out.extend(json_paths(v, (*prefix, k)))
    return out


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with the part at ``path`` set to ``new`` (removed when ``DROP``)."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    if len(path) == 1 and new is DROP:
        del copy[path[0]]
    else:
        copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


JsonLayout = Literal["json", "indented", "jsonl"]


def dump_json(doc: Any, layout: JsonLayout = "json") -> bytes:
    """``doc`` as a compact or indented JSON document, or as JSON Lines (a list's elements
    one a line; anything else is one line)."""
    if layout == "jsonl":
        lines = doc if isinstance(doc, list) else [doc]
        return "\n".join(json.dumps(x) for x in lines).encode()
    return json.dumps(doc, indent=1 if layout == "indented" else None).encode()


@st.composite
def mutated(
    draw: st.DrawFn,
    valid: Any,
    values: st.SearchStrategy[Any],
    *,
    root: bool = True,
    layouts: Sequence[JsonLayout] = ("json",),
    edits: int = 4,
    drop: bool = True,
) -> bytes:
    """``valid`` (a document, or a strategy drawing one) with one to ``edits`` of its parts
    replaced by ``values`` (or, with ``drop``, removed), written in one of ``layouts``.

    With ``root`` the whole document may be replaced too; without, only its parts are, and
    a document with no parts left becomes ``[]``.
    """
    doc = draw(valid) if isinstance(valid, st.SearchStrategy) else valid
    part = (st.just(DROP) | values) if drop else values
    whole = values if root else st.just([])
    for _ in range(draw(st.integers(1, edits))):
        paths = json_paths(doc)
        path = draw(st.sampled_from(paths if root else paths[1:] or [()]))
        doc = replaced(doc, path, draw(part if path else whole))
    return dump_json(doc, draw(st.sampled_from(list(layouts))))


SOME_BYTES = st.binary(min_size=1, max_size=8)


@st.composite
def garbled(
    draw: st.DrawFn,
    valid: bytes,
    inserts: st.SearchStrategy[bytes] = SOME_BYTES,
) -> bytes:
    """``valid`` with one to six byte edits: a run deleted, ``inserts`` put in, a byte
    replaced, or the rest cut off."""
    buf = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        if not buf:
            break
        i = draw(st.integers(0, len(buf) - 1))
        op = draw(st.sampled_from("dirt"))
        if op == "d":
            del buf[i : i + draw(st.integers(1, 16))]
        elif op == "i":
            buf[i:i] = draw(inserts)
        elif op == "r":
            buf[i] = draw(st.integers(0, 255))
        else:
            del buf[i:]
    return bytes(buf)


@st.composite
def spliced(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with one run of up to 40 bytes replaced by up to 8 random bytes."""
    at = draw(st.integers(0, 10_000)) % len(valid)
    cut = draw(st.integers(0, 40))
    return valid[:at] + draw(st.binary(max_size=8)) + valid[at + cut :]
