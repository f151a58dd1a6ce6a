"""The sample domain in datasets/ is what datasets/README.md says it is.

The data is written by scripts/make_sample_domain.py; these tests regenerate it into a temporary
folder and compare, then check the promises the README makes about it: held-out questions never
occur in the chats, every held-out fact is in its reference, planted CPFs and cards are valid,
and the counts in the README are the counts of the files.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
DATA = DATASETS / "sample_domain"
SCRIPT = ROOT / "scripts" / "make_sample_domain.py"

WA_LINE = re.compile(r"^(\d{2}/\d{2}/\d{4} \d{2}:\d{2}) - (.*)$")
WA_MESSAGE = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} - ([^:]+): (.*)$")
FORMATTED_CPF = re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?!\d)")


def load_generator() -> ModuleType:
    """Import the script by path (scripts/ is no package); dataclasses need it in sys.modules."""
    name = "make_sample_domain_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def regenerated(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regen") / "sample_domain"
    assert gen.main(["--out", str(out)]) == 0
    return out


def files_under(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def zip_member(path: Path) -> tuple[zipfile.ZipInfo, bytes]:
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert len(infos) == 1, f"{path.name}: a WhatsApp export holds one .txt"
        return infos[0], zf.read(infos[0])


def whatsapp_texts() -> dict[str, str]:
    return {
        p.name: zip_member(p)[1].decode("utf-8") for p in sorted((DATA / "whatsapp").glob("*.zip"))
    }


def slack_messages() -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for day in sorted((DATA / "slack" / "support").glob("*.json")):
        messages += json.loads(day.read_text(encoding="utf-8"))
    return messages


def heldout() -> list[dict[str, Any]]:
    lines = (DATA / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(folded.casefold().split())


# --------------------------------------------------------------------------------- reproduction


def test_generator_reproduces_committed_files(regenerated: Path) -> None:
    committed, fresh = files_under(DATA), files_under(regenerated)
    assert sorted(committed) == sorted(fresh)
    for rel, path in committed.items():
        if rel.endswith(".zip"):
            # Deflate bytes may differ between zlib builds (zlib-ng on some distributions);
            # the member, its timestamp and its content may not.
            (info_a, data_a), (info_b, data_b) = zip_member(path), zip_member(fresh[rel])
            assert (info_a.filename, info_a.date_time, info_a.compress_type, data_a) == (
                info_b.filename,
                info_b.date_time,
                info_b.compress_type,
                data_b,
            ), rel
        else:
            assert path.read_bytes() == fresh[rel].read_bytes(), f"{rel} differs; rerun the script"


def test_generator_is_byte_identical_between_runs(
    gen: ModuleType, regenerated: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    assert gen.main(["--out", str(again)]) == 0
    first, second = files_under(regenerated), files_under(again)
    assert sorted(first) == sorted(second)
    for rel, path in first.items():  # same interpreter, same zlib: zips too, byte for byte
        assert path.read_bytes() == second[rel].read_bytes(), rel


def test_generator_refuses_to_clear_a_foreign_folder(gen: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SystemExit):
        gen.main(["--out", str(tmp_path)])
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_datasets_hold_no_code() -> None:
    code = [p for p in DATASETS.rglob("*") if p.suffix == ".py" or p.name == "__init__.py"]
    assert code == []


# --------------------------------------------------------------------------------- held-out set


def test_heldout_questions_never_occur_in_the_conversations() -> None:
    chat_text = [*whatsapp_texts().values()]
    chat_text += [str(m.get("text", "")) for m in slack_messages()]
    corpus = normalise("\n".join(chat_text))
    leaked = [row["id"] for row in heldout() if normalise(str(row["question"])) in corpus]
    assert leaked == []


def test_heldout_rows_are_well_formed_and_facts_are_in_references() -> None:
    fact_ids = {f["id"] for f in json.loads((DATA / "facts.json").read_text(encoding="utf-8"))}
    rows = heldout()
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({normalise(str(row["question"])) for row in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "lang", "question", "reference", "facts", "fact_ids"}
        assert row["lang"] in ("pt", "en")
        assert row["facts"] and row["fact_ids"]
        assert set(row["fact_ids"]) <= fact_ids
        for fact in row["facts"]:
            assert fact in row["reference"], (row["id"], fact)


def test_heldout_covers_every_fact() -> None:
    facts = json.loads((DATA / "facts.json").read_text(encoding="utf-8"))
    covered = {fid for row in heldout() for fid in row["fact_ids"]}
    assert {f["id"] for f in facts} <= covered


def test_the_faqs_state_every_fact() -> None:
    faq = {
        lang: (DATA / "docs" / f"faq-{lang}.md").read_text(encoding="utf-8")
        for lang in ("pt", "en")
    }
    for fact in json.loads((DATA / "facts.json").read_text(encoding="utf-8")):
        for lang in ("pt", "en"):
            for value in fact[lang]["facts"]:
                assert value in faq[lang], (fact["id"], lang, value)


# --------------------------------------------------------------------------------- planted PII


def test_planted_cpfs_and_cards_are_valid_and_present(gen: ModuleType) -> None:
    planted = json.loads((DATA / "pii.json").read_text(encoding="utf-8"))
    wa = whatsapp_texts()
    kinds = {p["kind"] for p in planted}
    assert {"cpf", "card", "email", "phone", "address", "contract", "name"} <= kinds
    for item in planted:
        rel = item["file"]
        if rel.startswith("whatsapp/"):  # a contact's name or number is also the file's name
            assert item["value"] in wa[rel.split("/", 1)[1]] or item["value"] in rel, item
        else:
            day = json.loads((DATA / rel).read_text(encoding="utf-8"))
            assert item["value"] in "\n".join(str(m.get("text", "")) for m in day), item
        if item["kind"] == "cpf":
            assert gen.cpf_is_valid(item["value"]), item
        if item["kind"] == "card":
            assert gen.luhn_is_valid(item["value"]), item


def test_every_formatted_cpf_in_the_chats_has_valid_check_digits(gen: ModuleType) -> None:
    text = "\n".join(whatsapp_texts().values())
    text += "\n".join(str(m.get("text", "")) for m in slack_messages())
    found = FORMATTED_CPF.findall(text)
    assert found, "the sample domain is meant to carry CPFs"
    assert [c for c in found if not gen.cpf_is_valid(c)] == []


def test_cpf_and_luhn_helpers_agree_with_known_values(gen: ModuleType) -> None:
    assert gen.cpf_is_valid("529.982.247-25")
    assert not gen.cpf_is_valid("529.982.247-26")
    assert not gen.cpf_is_valid("111.111.111-11")
    assert gen.luhn_is_valid("4111 1111 1111 1111")
    assert not gen.luhn_is_valid("4111 1111 1111 1112")


# --------------------------------------------------------------------------------- the formats


def test_whatsapp_exports_look_like_android_pt_br() -> None:
    for name, text in whatsapp_texts().items():
        base = re.sub(r" \(\d+\)\.zip$|\.zip$", "", name)
        info, _ = zip_member(DATA / "whatsapp" / name)
        assert info.filename == f"{base}.txt"
        lines = text.splitlines()
        assert lines[0].split(" - ", 1)[1].startswith("As mensagens e as ligações são protegidas")
        assert WA_LINE.match(lines[1]), name
        assert text.endswith("\n") and "\r" not in text


def test_slack_threads_are_consistent() -> None:
    messages = slack_messages()
    roots = {str(m["ts"]): m for m in messages if m.get("thread_ts") == m["ts"]}
    for ts, root in roots.items():
        replies = [m for m in messages if m.get("thread_ts") == ts and m is not root]
        assert root["reply_count"] == len(replies)
        assert [r["ts"] for r in root["replies"]] == [m["ts"] for m in replies]
        assert all(m["parent_user_id"] == root["user"] for m in replies)
    assert len({m["ts"] for m in messages}) == len(messages)
    raw = (DATA / "slack" / "users.json").read_text(encoding="utf-8")
    assert "\\/" in raw and not raw.endswith("\n")  # Slack escapes slashes, no final newline


# --------------------------------------------------------------------------------- counts


def counted() -> dict[str, int]:
    """The counts, taken from the files themselves (never from the manifest)."""
    wa = whatsapp_texts()
    wa_messages = sum(
        1 for t in wa.values() for line in t.splitlines()[1:] if WA_MESSAGE.match(line)
    )
    messages = slack_messages()
    rows = heldout()
    return {
        "Facts": len(json.loads((DATA / "facts.json").read_text(encoding="utf-8"))),
        "WhatsApp chats (distinct)": len(set(wa.values())),
        "WhatsApp zip files": len(wa),
        "WhatsApp messages": wa_messages,
        "Slack threads": sum(1 for m in messages if m.get("thread_ts") == m["ts"]),
        "Slack messages in threads": sum(1 for m in messages if "thread_ts" in m),
        "Slack messages in all": len(messages),
        "Slack day files": len(list((DATA / "slack" / "support").glob("*.json"))),
        "Slack users in users.json": len(
            json.loads((DATA / "slack" / "users.json").read_text(encoding="utf-8"))
        ),
        "Documents": len(list((DATA / "docs").glob("*.md"))),
        "Held-out questions": len(rows),
        "Held-out questions (pt)": sum(r["lang"] == "pt" for r in rows),
        "Held-out questions (en)": sum(r["lang"] == "en" for r in rows),
    }


def test_readme_counts_are_the_counts_of_the_files() -> None:
    readme = (DATASETS / "README.md").read_text(encoding="utf-8")
    for label, value in counted().items():
        assert f"| {label} | {value} |" in readme, f"README says otherwise about {label}: {value}"


def test_manifest_counts_agree_with_the_files() -> None:
    counts = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))["counts"]
    seen = counted()
    assert counts["facts"] == seen["Facts"]
    assert counts["whatsapp_chats"] == seen["WhatsApp chats (distinct)"]
    assert counts["whatsapp_zip_files"] == seen["WhatsApp zip files"]
    assert counts["whatsapp_messages"] == seen["WhatsApp messages"]
    assert counts["slack_threads"] == seen["Slack threads"]
    assert counts["slack_thread_messages"] == seen["Slack messages in threads"]
    assert counts["slack_messages"] == seen["Slack messages in all"]
    assert counts["heldout"] == seen["Held-out questions"]


def test_datasets_stay_small() -> None:
    total = sum(p.stat().st_size for p in DATASETS.rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024
