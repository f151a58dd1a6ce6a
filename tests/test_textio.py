from __future__ import annotations

from support import make_file

from afina.engine.ingest.textio import TextStats, decode_all, iter_lines, repairs
from afina.engine.text import nfc


def test_lines_with_mixed_endings_and_bad_bytes(tmp_path):
    f = make_file(
        tmp_path,
        "a.txt",
        "ação\r\ntwo \xff\xfe here\nthree\r\nfour".encode("latin-1").replace(
            b"\xe7\xe3", "çã".encode()
        ),
    )
    stats = TextStats()
    assert list(iter_lines(f, stats)) == [
        (1, "ação"),
        (2, "two \ufffd\ufffd here"),
        (3, "three"),
        (4, "four"),
    ]
    assert stats.replaced == 2 and stats.first_replaced_line == 2


def test_over_long_line_is_cut_and_counted(tmp_path):
    f = make_file(tmp_path, "a.txt", "short\n" + "x" * 5000 + "\nafter\n")
    stats = TextStats()
    lines = list(iter_lines(f, stats, max_chars=1000))
    assert [n for n, _ in lines] == [1, 2, 3]
    assert len(lines[1][1]) == 1000 and lines[2][1] == "after"
    assert stats.long_lines == [2]


def test_utf16_with_bom(tmp_path):
    f = make_file(tmp_path, "a.txt", "olá\nmundo\n".encode("utf-16"))
    assert [t for _, t in iter_lines(f, TextStats())] == ["olá", "mundo"]


def test_decode_all_counts_replacements():
    stats = TextStats()
    assert decode_all("olá\n".encode() + b"\xc3(", stats) == "olá\n\ufffd("
    assert stats.replaced == 1 and stats.first_replaced_line == 2


def test_nfc():
    assert nfc("e\u0301") == "\u00e9"


def test_legacy_8bit_file_keeps_its_accents(tmp_path):
    f = make_file(
        tmp_path,
        "a.txt",
        "Jo\u00e3o: a\u00e7\u00e3o r\u00e1pida\nMaria: ol\u00e1\n".encode("cp1252"),
    )
    stats = TextStats()
    assert [t for _, t in iter_lines(f, stats)] == ["João: ação rápida", "Maria: olá"]
    assert stats.encoding == "cp1252" and stats.replaced == 0
    assert [r.what for r in repairs(stats)] == ["not UTF-8: read as Windows-1252 (Latin-1)"]


def test_one_bad_byte_does_not_turn_utf8_into_mojibake(tmp_path):
    f = make_file(
        tmp_path,
        "a.txt",
        "ação\xff é ótimo\n".encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"),
    )
    stats = TextStats()
    [(_, line)] = list(iter_lines(f, stats))
    assert line == "ação\ufffd é ótimo" and stats.encoding == "utf-8" and stats.replaced == 1


def test_nul_bytes_are_removed_counted_and_reported(tmp_path):
    f = make_file(tmp_path, "a.txt", b"one\ntwo\0\0 here\nthree\0\n")
    stats = TextStats()
    assert [t for _, t in iter_lines(f, stats)] == ["one", "two here", "three"]
    assert stats.nuls == 3 and stats.first_nul_line == 2
    assert [(r.place, r.what, r.count) for r in repairs(stats)] == [
        ("line 2", "NUL bytes removed", 3)
    ]


def test_nul_bytes_across_blocks_keep_their_line(tmp_path, monkeypatch):
    monkeypatch.setattr("afina.engine.ingest.textio.BLOCK_BYTES", 7)
    f = make_file(tmp_path, "a.txt", b"first line\nsecond\nthi\0rd\n\0")
    stats = TextStats()
    assert [t for _, t in iter_lines(f, stats)] == ["first line", "second", "third"]
    assert stats.nuls == 2 and stats.first_nul_line == 3


def test_decode_all_removes_nuls_and_says_where_the_first_was():
    stats = TextStats()
    assert decode_all(b'{"a":\n"b\0c"}\0', stats) == '{"a":\n"bc"}'
    assert stats.nuls == 2 and stats.first_nul_line == 2


def test_legacy_8bit_file_with_nuls_reports_both_repairs(tmp_path):
    f = make_file(tmp_path, "a.txt", "Jo\u00e3o\0: a\u00e7\u00e3o\n".encode("cp1252"))
    stats = TextStats()
    assert [t for _, t in iter_lines(f, stats)] == ["João: ação"]
    assert [r.what for r in repairs(stats)] == [
        "not UTF-8: read as Windows-1252 (Latin-1)",
        "NUL bytes removed",
    ]
