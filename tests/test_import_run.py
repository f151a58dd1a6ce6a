"""Discovery and import runs: transactions, idempotence, bad input that loses nothing."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from afina.engine.ingest.discover import Sniffer
from afina.engine.ingest.run import Progress, import_candidates
from afina.engine.workspace import init_workspace


def sharegpt(n: int, start: int = 0) -> str:
    return json.dumps(
        [
            {
                "id": f"c{i}",
                "conversations": [
                    {"from": "human", "value": f"question {i}"},
                    {"from": "gpt", "value": f"answer {i}"},
                ],
            }
            for i in range(start, start + n)
        ]
    )


def run(ws, *paths: Path, fmt: str | None = None):
    with ws.open_store() as store:
        summaries = import_candidates(store, Sniffer(fmt).candidates(list(paths)))
        return summaries, store.counts(), store.integrity_check()


def test_reimport_is_idempotent_and_overlap_adds_only_new(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    a = tmp_path / "a.json"
    a.write_text(sharegpt(3))
    [s1], counts, _ = run(ws, a)
    assert (s1.status, s1.conversations, s1.turns) == ("imported", 3, 6)
    [s2], counts2, _ = run(ws, a)
    assert s2.status == "unchanged" and counts2 == counts
    b = tmp_path / "b.json"
    b.write_text(sharegpt(5))  # a later export: the same three and two more
    [s3], counts3, _ = run(ws, b)
    assert (s3.status, s3.turns, s3.duplicates) == ("imported", 4, 6)
    assert counts3 == {"sources": 2, "conversations": 5, "turns": 10}


def test_bad_files_are_refused_and_lose_nothing(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    good = tmp_path / "good.json"
    good.write_text(sharegpt(2))
    run(ws, good)
    truncated = tmp_path / "trunc.json"
    truncated.write_text(sharegpt(4)[:-40])
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 40)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    other = tmp_path / "notes.txt"
    other.write_text("# Shopping list\n\n- milk\n- bread\n")
    summaries, counts, integrity = run(
        ws, truncated, binary, empty, other, tmp_path / "missing.json"
    )
    by_name = {Path(s.path).name: s for s in summaries}
    assert {s.status for s in summaries} == {"refused"}
    assert (
        "invalid JSON" in by_name["trunc.json"].reason
        and "line 1 column" in by_name["trunc.json"].reason
    )
    assert by_name["blob.bin"].reason == "binary file, not a chat export"
    assert by_name["empty.json"].reason == "empty file"
    assert "not a chat export afina recognises" in by_name["notes.txt"].reason
    assert by_name["missing.json"].reason == "no such file or folder"
    assert counts == {"sources": 1, "conversations": 2, "turns": 4}
    assert integrity == "ok"


def test_walked_files_nobody_reads_are_skipped_not_refused(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "chat.json").write_text(sharegpt(1))
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 100)
    (folder / ".hidden.json").write_text(sharegpt(1))
    summaries, _, _ = run(ws, folder)
    assert sorted((Path(s.path).name, s.status) for s in summaries) == [
        ("chat.json", "imported"),
        ("photo.jpg", "skipped"),
    ]


def test_zip_members_are_imported_with_their_place(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner/chat.json", sharegpt(2))
        zf.writestr("__MACOSX/inner/._chat.json", "junk")
    [s], counts, _ = run(ws, z)
    assert s.status == "imported" and s.path == f"{z}!inner/chat.json"
    assert counts["turns"] == 4


def test_zip_bomb_is_refused(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.json", b"[" + b" " * (64 * 1024**2) + b"]")
    [s], counts, _ = run(ws, z)
    assert s.status == "refused" and "zip bomb" in s.reason
    assert counts["sources"] == 0


def test_lying_zip_member_size_is_caught_while_reading(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    z = tmp_path / "liar.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("chat.json", sharegpt(3))
    data = bytearray(z.read_bytes())
    # Shrink the declared size in the central directory; the stream must still stop there.
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("chat.json")
    real = info.file_size
    marker = real.to_bytes(4, "little")
    cd = data.rfind(b"PK\x01\x02")
    pos = data.index(marker, cd + 24)
    data[pos : pos + 4] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    [s], counts, integrity = run(ws, z)
    assert s.status == "refused" and "corrupt zip data" in s.reason
    assert counts["sources"] == 0 and integrity == "ok"


def test_forced_format_applies_to_named_files(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    f = tmp_path / "data.txt"
    f.write_text(sharegpt(1))
    [s], _, _ = run(ws, f, fmt="sharegpt")
    assert (s.importer, s.status) == ("sharegpt", "imported")


def test_huge_single_line_file_is_refused_without_reading_it_all(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.write(b'[{"conversations": [{"from": "human", "value": "')
        chunk = b"x" * (1024 * 1024)
        for _ in range(200):
            f.write(chunk)
    [s], counts, _ = run(ws, big)
    assert s.status == "refused" and "more than 32 MiB in one record" in s.reason
    assert counts["sources"] == 0


def test_stopping_mid_file_rolls_it_back_and_ends_the_run(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(sharegpt(3))
    b.write_text(sharegpt(3, start=10))
    seen: list[int] = []

    def stop_after_two() -> bool:
        seen.append(1)
        return len(seen) > 3  # lets the first file's check and two conversations through

    with ws.open_store() as store:
        summaries = import_candidates(
            store, Sniffer().candidates([a, b]), progress=Progress(should_stop=stop_after_two)
        )
        assert [s.status for s in summaries] == ["stopped"]
        assert store.counts() == {"sources": 0, "conversations": 0, "turns": 0}
        assert store.integrity_check() == "ok"


def test_later_whatsapp_export_of_the_same_chat_adds_only_new_messages(tmp_path):
    # WhatsApp keeps only the newest messages in an export: the second one starts later
    # and ends later than the first, and they overlap in the middle.
    lines = [
        f"0{d}/03/2024 10:0{m} - {'Ana' if m % 2 else 'Bia'}: message {d}.{m}"
        for d in range(1, 4)
        for m in range(5)
    ]
    ws, _ = init_workspace(tmp_path / "ws")
    first = tmp_path / "one" / "WhatsApp Chat with Ana.txt"
    second = tmp_path / "two" / "WhatsApp Chat with Ana.txt"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text("\n".join(lines[:10]) + "\n")
    second.write_text("\n".join([*lines[5:], "04/03/2024 09:00 - Ana: ok"]) + "\n")
    [a], _, _ = run(ws, first)
    [b], counts, integrity = run(ws, second)
    assert (a.turns, b.turns, b.duplicates) == (10, 6, 5) and integrity == "ok"
    assert counts == {"sources": 2, "conversations": 1, "turns": 16}
    with ws.open_store() as store:
        [conv] = store.conversations()
        texts = [t.text for t in store.turns(conv.id)]
    assert texts == [line.split(": ", 1)[1] for line in lines] + ["ok"]


def test_stopping_inside_one_long_chat_rolls_it_back(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    chat = tmp_path / "WhatsApp Chat with Ana.txt"
    chat.write_text("".join(f"01/03/2024 10:00 - Ana: message {i}\n" for i in range(10_000)))
    calls: list[int] = []

    def stop_after_first_batch() -> bool:
        calls.append(1)
        return len(calls) > 2  # the check before the file, then one batch of turns

    with ws.open_store() as store:
        summaries = import_candidates(
            store,
            Sniffer().candidates([chat]),
            progress=Progress(should_stop=stop_after_first_batch),
        )
        assert [s.status for s in summaries] == ["stopped"]
        assert store.counts()["turns"] == 0


def test_stopping_after_committed_batches_deletes_them(tmp_path, monkeypatch):
    # Every batch of turns is committed (other commands get turns between them), hidden
    # from readers while the file is incomplete; stopping deletes all of it.
    from afina.engine.store import writer

    monkeypatch.setattr(writer, "BATCH_SECONDS", 0.0)
    ws, _ = init_workspace(tmp_path / "ws")
    chat = tmp_path / "WhatsApp Chat with Ana.txt"
    chat.write_text("".join(f"01/03/2024 10:00 - Ana: message {i}\n" for i in range(20_000)))
    seen: list[tuple[int, dict[str, int]]] = []

    def look_then_stop() -> bool:
        with sqlite3.connect(ws.db_path) as raw, ws.open_store() as other:
            seen.append((raw.execute("SELECT count(*) FROM turns").fetchone()[0], other.counts()))
        return len(seen) > 3

    with ws.open_store() as store:
        summaries = import_candidates(
            store, Sniffer().candidates([chat]), progress=Progress(should_stop=look_then_stop)
        )
        assert [s.status for s in summaries] == ["stopped"]
        assert store.counts() == {"sources": 0, "conversations": 0, "turns": 0}
    committed, counted = seen[-1]
    assert committed >= 2 * 4096  # batches were committed before the stop ...
    assert counted == {"sources": 0, "conversations": 0, "turns": 0}  # ... and never shown
    with sqlite3.connect(ws.db_path) as raw:  # ... and the stop deleted them
        assert raw.execute("SELECT count(*) FROM turns").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0
        assert raw.execute("SELECT count(*) FROM sources").fetchone()[0] == 0


def test_a_file_another_import_stored_meanwhile_is_unchanged(tmp_path, monkeypatch):
    # The first look finds nothing; by the time this import inserts its source, another
    # process has stored the same file: the unique key says so and it is "unchanged".
    ws, _ = init_workspace(tmp_path / "ws")
    a = tmp_path / "a.json"
    a.write_text(sharegpt(2))
    run(ws, a)
    with ws.open_store() as store:
        monkeypatch.setattr(store, "source_by_sha", lambda sha: None)
        [s] = import_candidates(store, Sniffer().candidates([a]))
        assert (s.status, s.source_id) == ("unchanged", 1)
        assert s.reason.startswith("already imported as source 1")
        assert store.counts() == {"sources": 1, "conversations": 2, "turns": 4}


def test_an_export_one_folder_down_does_not_hide_the_files_beside_it(tmp_path):
    """A Slack export folder next to a WhatsApp chat and a ChatGPT export: each is found and
    imported. The Slack importer used to claim the whole folder and leave the rest out."""
    import json as _json

    from afina.engine.ingest.discover import Sniffer

    inbox = tmp_path / "exports"
    (inbox / "slack" / "general").mkdir(parents=True)
    (inbox / "slack" / "users.json").write_text(_json.dumps([{"id": "U1", "name": "ana"}]))
    (inbox / "slack" / "channels.json").write_text(_json.dumps([{"id": "C1", "name": "general"}]))
    day = [{"type": "message", "user": "U1", "ts": "1700000000.0001", "text": "oi"}]
    (inbox / "slack" / "general" / "2023-11-14.json").write_text(_json.dumps(day))
    (inbox / "chat.txt").write_text("12/03/2024, 10:01 - Ana: oi\n12/03/2024, 10:02 - Bia: olá\n")
    found = {
        (c.item.display.rsplit("/", 1)[-1], c.importer.name if c.importer else None)
        for c in Sniffer().candidates([inbox])
    }
    assert found == {("slack", "slack"), ("chat.txt", "whatsapp")}
