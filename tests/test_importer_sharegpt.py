from __future__ import annotations

import json

from support import as_item, make_file, read_with

from afina.plugins.importers.sharegpt import ShareGPTImporter


def test_reads_list_with_roles(tmp_path):
    data = [
        {
            "id": "a1",
            "conversations": [
                {"from": "human", "value": "Qual o horário?"},
                {"from": "gpt", "value": "Das 9h às 18h."},
            ],
        },
        {"id": "a2", "conversations": [{"from": "human", "value": 3}]},
    ]
    f = make_file(tmp_path, "sg.json", json.dumps(data))
    assert ShareGPTImporter().sniff(f) >= 0.5
    r = read_with(ShareGPTImporter, f)
    assert [c.key for c in r.conversations] == ["a1"]
    assert [(t.role, t.text) for t in r.turns[0]] == [
        ("user", "Qual o horário?"),
        ("assistant", "Das 9h às 18h."),
    ]
    assert r.turns[0][1].place == "[0].conversations[1]"
    # the bad turn and the then-empty conversation are both counted, not fatal
    assert {s.place for s in r.skips} == {"[1].conversations[0]", "[1]"}


def test_single_object_file(tmp_path):
    f = make_file(
        tmp_path,
        "one.json",
        json.dumps(
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}
        ),
    )
    r = read_with(ShareGPTImporter, f)
    assert len(r.conversations) == 1 and r.conversations[0].place == "$"


def test_does_not_claim_other_json(tmp_path):
    f = make_file(tmp_path, "x.json", json.dumps([{"instruction": "a", "output": "b"}]))
    assert ShareGPTImporter().sniff(f) == 0.0


def test_real_files(chatlogs):
    r = read_with(
        ShareGPTImporter, as_item(chatlogs / "sharegpt" / "fastchat_dummy_conversation.json")
    )
    assert len(r.conversations) == 500
    r = read_with(ShareGPTImporter, as_item(chatlogs / "sharegpt" / "axolotl_conversation.json"))
    assert len(r.conversations) == 1 and len(r.turns[0]) == 12
