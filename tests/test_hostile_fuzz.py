"""Property tests of the limits on hostile files: JSON nesting, zip archives, YAML aliases.

Each says exactly when a file is refused (and that nothing else ever goes wrong), for
random documents on either side of the limit.
"""

from __future__ import annotations

import itertools
import json
import random
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from support import memory_file, read_with

from afina.engine.errors import ParseError
from afina.engine.ingest import inputs, jsonio
from afina.engine.ingest.jsonio import DepthGuard, iter_json_items, iter_jsonl, load_json
from afina.engine.ingest.textio import TextStats
from afina.plugins.importers.chatterbot import ChatterBotImporter

FEW = settings(max_examples=60, deadline=None)
LIMIT = jsonio.MAX_JSON_DEPTH

# ---------------------------------------------------------------- JSON nesting

# Text that looks like structure, to catch brackets counted inside strings.
TRICKY = st.text(alphabet='[]{}"\\ab\n\u00e9', max_size=6)
SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | TRICKY
SHALLOW = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=4,
)


def depth(value: Any) -> int:
    """How many containers deep a JSON value is: 0 for a scalar, 1 for [] or {}."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@st.composite
def nested(draw: st.DrawFn, levels: st.SearchStrategy[int]) -> Any:
    """A JSON value about ``levels`` deep: a chain of lists and objects (which is which, one
    bit a level) with shallow siblings put in at a few levels."""
    n = draw(levels)
    kinds = draw(st.integers(0, 2**64 - 1))  # level i takes bit i % 64
    extras: dict[int, list[Any]] = {}
    for level, sibling in draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), SHALLOW))):
        extras.setdefault(level, []).append(sibling)
    key = draw(TRICKY) + "!"  # the chain's key in objects: never a sibling's "k0", "k1"...
    value: Any = draw(SCALARS)
    for level in range(n):
        siblings = extras.get(level, [])
        if kinds >> (level % 64) & 1:
            value = [*siblings, value] if level % 3 else [value, *siblings]
        else:
            value = {f"k{i}": v for i, v in enumerate(siblings)} | {key: value}
    return value


# Half of them at the limit give or take a few levels, where an off-by-one would show.
AROUND_LIMIT = st.sampled_from([*range(6), *range(LIMIT - 5, LIMIT + 6)])


def dumped(value: Any, indent: int | None) -> bytes:
    return json.dumps(value, indent=indent, ensure_ascii=False).encode()


@FEW
@given(nested(AROUND_LIMIT), st.sampled_from([None, 1]))
def test_whole_document_is_refused_iff_deeper_than_the_limit(value, indent):
    f = memory_file(dumped(value, indent), "doc.json")
    event("too deep" if depth(value) > LIMIT else "within the limit")
    try:
        assert load_json(f, TextStats()) == value
    except ParseError as e:
        assert depth(value) > LIMIT and e.problem.startswith("JSON nested deeper than")
    else:
        assert depth(value) <= LIMIT


@FEW
@given(nested(AROUND_LIMIT))
def test_streamed_array_is_refused_iff_deeper_than_the_limit(value):
    doc = [value, "after"]
    event("too deep" if depth(doc) > LIMIT else "within the limit")
    f = memory_file(dumped(doc, None), "doc.json")
    with mock.patch.object(jsonio, "WHOLE_LIMIT", 0):  # every array streams
        try:
            items = [v for _, v in iter_json_items(f)]
        except ParseError as e:
            assert depth(doc) > LIMIT and e.problem.startswith("JSON nested deeper than")
        else:
            assert depth(doc) <= LIMIT and items == doc


@FEW
@given(st.lists(nested(AROUND_LIMIT), min_size=1, max_size=3))
def test_json_lines_too_deep_are_errors_for_their_line_only(values):
    data = "\n".join(json.dumps(v) for v in values).encode()
    out = list(iter_jsonl(memory_file(data, "doc.jsonl"), TextStats()))
    assert [place for place, _ in out] == [f"line {i + 1}" for i in range(len(values))]
    for (place, got), value in zip(out, values, strict=True):
        if depth(value) > LIMIT:
            assert isinstance(got, ParseError) and got.place == place
        else:
            assert got == value


@FEW
@given(
    nested(st.integers(0, 30)),
    st.integers(0, 30),
    st.lists(st.integers(0, 10_000), max_size=6),
    st.sampled_from([None, 1]),
)
def test_depth_guard_gives_the_same_verdict_however_the_text_is_cut(value, limit, cuts, indent):
    data = dumped(value, indent)
    event("too deep" if depth(value) > limit else "within the limit")
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    guard = DepthGuard(limit)
    try:
        for start, end in itertools.pairwise(bounds):
            guard.feed(data[start:end])
    except ParseError as e:
        assert depth(value) > limit and e.place.startswith("line ")
    else:
        assert depth(value) <= limit
        assert guard.depth == 0 and not guard.in_string


# ---------------------------------------------------------------- zip archives

MEMBER = st.tuples(st.integers(0, 4096), st.booleans())  # size, compressible


def content(size: int, compressible: bool) -> bytes:
    return b"a" * size if compressible else random.Random(size).randbytes(size)


@FEW
@given(
    st.lists(MEMBER, max_size=12),
    st.booleans(),
    st.integers(0, 10),
    st.integers(0, 40_000),
    st.integers(1, 30),
)
def test_zip_is_refused_iff_over_a_limit_on_the_whole_archive(
    members, hidden, max_members, max_bytes, ratio
):
    expected = {f"m{i}.txt": content(*m) for i, m in enumerate(members)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in expected.items():
                zf.writestr(name, data)
            if hidden:  # a member, but never read, so its bytes do not count
                zf.writestr("__MACOSX/._m0.txt", b"x" * 1000)
        total = sum(len(data) for data in expected.values())
        over = (
            len(members) + hidden > max_members
            or total > max_bytes
            or (total > 1024 and total > ratio * path.stat().st_size)
        )
        event("over a limit" if over else "within the limits")
        limits = {"MAX_MEMBERS": max_members, "MAX_ARCHIVE_BYTES": max_bytes}
        limits |= {"MAX_RATIO": ratio, "ARCHIVE_RATIO_FLOOR": 1024}
        with mock.patch.multiple(inputs, **limits):
            try:
                tree = inputs.zip_tree(path)
            except ParseError as e:
                assert over and e.place == "zip directory", e
            else:
                assert not over
                assert {f.name: f.read_bytes() for f in tree.files()} == expected


# ---------------------------------------------------------------- YAML aliases

WORDS = st.text(alphabet="abcdefghij ", min_size=1, max_size=8).filter(str.strip)


@st.composite
def corpus(draw: st.DrawFn) -> tuple[str, list[list[str]], int | None]:
    """A ChatterBot corpus in flow style, one conversation a line, some utterances and
    conversations anchored and maybe aliased: (text, utterances, line of the first alias)."""
    anchors: dict[str, Any] = {}
    lines = ["categories: [fuzz]", "conversations:"]
    conversations: list[list[str]] = []
    first_alias = None
    for i in range(draw(st.integers(1, 5))):
        if anchors and draw(st.integers(0, 4)) == 0:
            name = draw(st.sampled_from(sorted(anchors)))
            lines.append(f"- *{name}")
            first_alias = first_alias or len(lines)
            continue
        texts, parts = [], []
        for j in range(draw(st.integers(1, 4))):
            if anchors and draw(st.integers(0, 5)) == 0:
                name = draw(st.sampled_from(sorted(anchors)))
                parts.append(f"*{name}")
                first_alias = first_alias or len(lines) + 1
                continue
            text = draw(WORDS)
            anchor = f"&u{i}_{j} " if draw(st.booleans()) else ""
            anchors |= {f"u{i}_{j}": text} if anchor else {}
            parts.append(anchor + json.dumps(text))
            texts.append(text)
        anchor = f"&c{i} " if draw(st.booleans()) else ""
        anchors |= {f"c{i}": texts} if anchor else {}
        lines.append(f"- {anchor}[{', '.join(parts)}]")
        conversations.append(texts)
    return "\n".join(lines) + "\n", conversations, first_alias


@FEW
@given(corpus())
def test_yaml_is_refused_iff_it_has_an_alias_and_anchors_alone_are_fine(doc):
    text, conversations, first_alias = doc
    f = memory_file(text.encode(), "corpus.yml")
    event("aliased" if first_alias else "anchored" if "&" in text else "plain")
    if first_alias is None:
        result = read_with(ChatterBotImporter, f)
        assert [[t.text for t in turns] for turns in result.turns] == conversations
        return
    with pytest.raises(ParseError) as caught:
        read_with(ChatterBotImporter, f)
    assert caught.value.place.startswith(f"line {first_alias} column ")
    assert "YAML alias" in caught.value.problem
