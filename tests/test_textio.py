from __future__ import annotations

from support import make_file

from afina.engine.ingest.textio import TextStats, decode_all, iter_lines, nfc


def test_lines_with_mixed_endings_and_bad_bytes(tmp_path):
    f = make_file(tmp_path, "a.txt", b"one\r\ntwo \xff\xfe here\nthree\r\nfour")
    stats = TextStats()
    assert list(iter_lines(f, stats)) == [
        (1, "one"),
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
    assert decode_all(b"ok\n\xc3(", stats) == "ok\n\ufffd("
    assert stats.replaced == 1 and stats.first_replaced_line == 2


def test_nfc():
    assert nfc("e\u0301") == "\u00e9"
