"""Every registered plugin, built-in or not, keeps the contract of its kind."""

from __future__ import annotations

import contextlib
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afina.engine.errors import AfinaError, PluginError
from afina.engine.ingest.contract import HAS_ROLES, READS_TREES, STREAMS, Importer
from afina.engine.ingest.inputs import InputFile, folder_tree, zip_tree
from afina.engine.plugins import KINDS, Plugin, list_plugins, load_plugin
from afina.engine.types import ROLES, Conversation, Repair, Skip, Turn

IMPORTERS = [p.name for p in list_plugins("importer")]
CAPABILITIES = {READS_TREES, STREAMS, HAS_ROLES}


def memory_file(data: bytes, name: str = "input.json") -> InputFile:
    import io

    return InputFile(name, name, len(data), lambda: io.BytesIO(data))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_plugin_loads_and_declares_itself(kind):
    for info in list_plugins(kind):
        cls = load_plugin(kind, info.name)
        assert issubclass(cls, Plugin) and cls.kind == kind
        assert cls.name == info.name, f"{info.target} says its name is {cls.name!r}"
        assert cls.description and "\n" not in cls.description
        for option in cls.options:
            assert option.parse(option.default) == option.default
            if option.type == "choice":
                assert option.default in option.choices
        assert cls.resolve_options({}) == {o.name: o.default for o in cls.options}


def test_unknown_name_lists_installed():
    with pytest.raises(PluginError, match=r"installed: .*sharegpt"):
        load_plugin("importer", "no-such-format")


@pytest.mark.parametrize("name", IMPORTERS)
def test_importer_declares_known_capabilities(name):
    cls = load_plugin("importer", name)
    assert issubclass(cls, Importer)
    assert set(cls.capabilities) <= CAPABILITIES
    assert all(e.startswith(".") and e == e.lower() for e in cls.extensions)


GARBAGE = [
    b"",
    b"\x00\x01\x02\xff" * 64,
    b"\xef\xbb\xbf",
    b"{",
    b"[1, 2, 3]",
    b"null",
    b'{"a": {"b": [null, {}]}}',
    b"hello: world\nfoo: bar\n",
    "ação 🙂\n".encode() * 10,
    b"\xff\xfeh\x00i\x00",
    b"a,b,c\n1,2,3\n",
    b"[01/02/2024, 10:00:00] x\n",
    json.dumps([{"messages": "not a list"}]).encode(),
]


def check_items(items) -> None:
    for it in items:
        assert isinstance(it, (Conversation, Skip, Repair)), it
        if isinstance(it, Conversation):
            for t in it.turns:
                assert isinstance(t, Turn)
                assert isinstance(t.text, str) and isinstance(t.speaker, str) and t.place
                assert t.role is None or t.role in ROLES


def exercise(importer: Importer, item) -> None:
    score = importer.sniff(item)
    assert 0.0 <= float(score) <= 1.0
    # A clear refusal (AfinaError) is a valid answer to garbage; anything else is a bug.
    with contextlib.suppress(AfinaError):
        check_items(importer.read(item, importer.resolve_options({})))


@pytest.mark.parametrize("name", IMPORTERS)
def test_importers_survive_garbage(name, tmp_path):
    importer = load_plugin("importer", name)()
    assert isinstance(importer, Importer)
    if importer.reads_trees():
        folder = tmp_path / "tree"
        folder.mkdir()
        for i, data in enumerate(GARBAGE):
            (folder / f"{i}.json").write_bytes(data)
        (folder / "channels.json").write_bytes(b"[{")
        exercise(importer, folder_tree(folder))
        z = tmp_path / "t.zip"
        with zipfile.ZipFile(z, "w") as zf:
            zf.writestr("users.json", "not json")
        exercise(importer, zip_tree(z))
        return
    for data in GARBAGE:
        exercise(importer, memory_file(data))
        exercise(importer, memory_file(data, "chat.txt"))


@pytest.mark.parametrize(
    "name", [n for n in IMPORTERS if not load_plugin("importer", n).reads_trees()]
)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=2048),
    suffix=st.sampled_from([".json", ".txt", ".csv", ".jsonl", ".yml"]),
)
def test_fuzz_random_bytes(name, data, suffix):
    importer = load_plugin("importer", name)()
    assert isinstance(importer, Importer)
    exercise(importer, memory_file(data, "input" + suffix))


@pytest.mark.parametrize(
    "name", [n for n in IMPORTERS if not load_plugin("importer", n).reads_trees()]
)
@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=600))
def test_fuzz_random_text(name, text):
    importer = load_plugin("importer", name)()
    assert isinstance(importer, Importer)
    exercise(importer, memory_file(text.encode("utf-8", "surrogatepass"), "chat.txt"))


def test_every_real_chatlog_is_claimed_by_at_most_one_confident_importer(chatlogs: Path):
    importers = [load_plugin("importer", n)() for n in IMPORTERS]
    from afina.engine.ingest.inputs import disk_file

    for path in sorted(chatlogs.rglob("*")):
        if not path.is_file() or path.suffix in {".md", ".zip"}:
            continue
        f = disk_file(path)
        confident = [i.name for i in importers if not i.reads_trees() and i.sniff(f) >= 0.5]
        assert len(confident) <= 1 or len({i for i in confident}) == 1, (path.name, confident)
