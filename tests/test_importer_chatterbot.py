from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support import as_item, assert_survives, garbled, make_file, memory_file, read_with

from afina.engine.errors import ParseError
from afina.plugins.importers.chatterbot import ChatterBotImporter

CORPUS = """\
categories:
- conversas
- saudações
conversations:
- - Bom dia, como você está?
  - Eu estou bem, e você?
  - Eu também.
- - Você gosta de música?
  - Gosto de ver filmes
    e de ouvir jazz.
"""


def test_alternating_speakers(tmp_path):
    f = make_file(tmp_path, "conversas.yml", CORPUS)
    assert ChatterBotImporter().sniff(f) >= 0.5
    r = read_with(ChatterBotImporter, f)
    assert not r.skips and not r.repairs
    assert [c.place for c in r.conversations] == ["conversations[0]", "conversations[1]"]
    assert r.conversations[0].meta == {"categories": ["conversas", "saudações"]}
    assert [(t.speaker, t.role) for t in r.turns[0]] == [
        ("user", "user"),
        ("bot", "assistant"),
        ("user", "user"),
    ]
    assert r.turns[1][1].text == "Gosto de ver filmes e de ouvir jazz."  # folded YAML scalar
    assert r.turns[0][2].place == "conversations[0][2]"


def test_bad_entries_keep_the_alternation(tmp_path):
    corpus = (
        "conversations:\n"
        "- - oi\n  - {a: 1}\n  - tudo bem?\n  - Yes\n  - 42\n"
        "- just a string\n"
        "- []\n"
    )
    r = read_with(ChatterBotImporter, make_file(tmp_path, "c.yaml", corpus))
    turns = r.turns[0]
    # the skipped mapping at [1] does not shift who says "tudo bem?"
    assert [(t.text, t.role) for t in turns] == [
        ("oi", "user"),
        ("tudo bem?", "user"),
        ("yes", "assistant"),
        ("42", "user"),
    ]
    assert [s.place for s in r.skips] == [
        "conversations[0][1]",
        "conversations[1]",
        "conversations[2]",
    ]
    assert [(p.place, p.count) for p in r.repairs] == [("conversations[0][3]", 2)]


@pytest.mark.parametrize(
    "content",
    [
        "conversations: [[a, b]\n",  # unclosed flow sequence
        "- just\n- a list\n",
        "conversations: hello\n",
        "categories: [x]\n",
        "",
    ],
)
def test_unreadable_files_raise(tmp_path, content):
    with pytest.raises(ParseError):
        read_with(ChatterBotImporter, make_file(tmp_path, "c.yml", content))


def test_yaml_error_names_the_line(tmp_path):
    with pytest.raises(ParseError) as e:
        read_with(
            ChatterBotImporter, make_file(tmp_path, "c.yml", "conversations:\n- - a\n - : [\n")
        )
    assert e.value.place.startswith("line ")


def test_python_tags_are_refused_not_run(tmp_path):
    evil = "conversations:\n- - !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(ParseError):
        read_with(ChatterBotImporter, make_file(tmp_path, "c.yml", evil))


def test_latin1_text_is_read_as_windows_1252(tmp_path):
    # A lone Latin-1 byte is legacy 8-bit text, not corruption: its accent is kept.
    raw = b"conversations:\n- - caf\xe9\n  - sim\n"
    r = read_with(ChatterBotImporter, make_file(tmp_path, "c.yml", raw))
    assert r.turns[0][0].text == "café" and r.repairs[0].count == 1


OTHER_FORMATS = {
    "sharegpt": ("s.json", '[{"id": "a", "conversations": [{"from": "human", "value": "oi"}]}]'),
    "openai": ("o.jsonl", '{"messages": [{"role": "user", "content": "oi"}]}\n'),
    "alpaca": ("a.json", '[{"instruction": "a", "input": "", "output": "b"}]'),
    "squad": ("sq.json", '{"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": []}]}]}'),
    "other-yaml": ("config.yml", "name: ci\non: push\njobs:\n  build: {}\n"),
    "yaml-named-txt": ("c.txt", "conversations:\n- - oi\n  - olá\n"),
    "csv": ("c.csv", "speaker,text\nana,oi\n"),
    "whatsapp": ("w.txt", "12/01/2020 10:00 - Ana: oi\n"),
}


@pytest.mark.parametrize("fmt", sorted(OTHER_FORMATS))
def test_does_not_claim_other_formats(tmp_path, fmt):
    name, content = OTHER_FORMATS[fmt]
    assert ChatterBotImporter().sniff(make_file(tmp_path, name, content)) < 0.5


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"\xff\xfe\x00"])
def test_sniff_survives_garbage(tmp_path, content):
    assert ChatterBotImporter().sniff(make_file(tmp_path, "g.yml", content)) < 0.5


def test_real_file(chatlogs):
    item = as_item(chatlogs / "portuguese" / "chatterbot_corpus_pt_conversations.yml")
    assert ChatterBotImporter().sniff(item) >= 0.5
    r = read_with(ChatterBotImporter, item)
    assert len(r.conversations) == 27 and not r.skips and not r.repairs
    assert sum(map(len, r.turns)) == 145
    roles = [t.role for ts in r.turns for t in ts]
    assert (roles.count("user"), roles.count("assistant")) == (77, 68)
    assert [(t.text, t.role) for t in r.turns[1][:2]] == [("Olá", "user"), ("Oi", "assistant")]
    # a long utterance wrapped over two lines in the YAML reads back as one line
    assert "pedir um homem mascarado que é." in r.turns[5][5].text


# --- garbled input: sniff never raises, read succeeds or raises ParseError only ---

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["conversations", "categories"]) | st.text(max_size=4),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@st.composite
def mutated_yaml(draw: st.DrawFn) -> bytes:
    conversations = draw(st.lists(st.lists(SCALARS, max_size=4) | YAML_VALUES, max_size=4))
    doc = {"categories": draw(YAML_VALUES), "conversations": conversations}
    if draw(st.booleans()):
        doc = draw(YAML_VALUES)
    return yaml.safe_dump(doc, allow_unicode=True).encode()


@settings(max_examples=100, deadline=None)
@given(
    data=mutated_yaml()
    | garbled(
        CORPUS.encode(),
        st.binary(min_size=1, max_size=8)
        | st.sampled_from([b"!!python/name:os.system ", b"&a ", b"*a", b": ", b"- "]),
    )
)
def test_garbled_input_never_crashes(data):
    assert_survives(ChatterBotImporter, memory_file(data, "c.yml"))
