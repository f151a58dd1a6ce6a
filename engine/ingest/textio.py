"""Text decoding for importers: UTF-8 first, a counted fallback for bad bytes, bounded lines.

Bad bytes never stop an import: they become U+FFFD and are counted, so the summary can say
how many characters were replaced and where the first one was. A file that is not UTF-8 at
all but an 8-bit legacy encoding (old Windows and Latin-1 exports: "a\xe7\xe3o") is read as
Windows-1252, which keeps its accents, and the summary says so. NUL characters (left by a
broken copy or a padded file) are removed and counted the same way: no chat means one, and
they cut text short in the terminal and in tokenizers.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from afina.engine.errors import ParseError
from afina.engine.ingest.inputs import InputFile, InputItem
from afina.engine.types import Repair, Skip

MAX_LINE_CHARS = 1024 * 1024
BLOCK_BYTES = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """The encoding a byte-order mark announces (else UTF-8), and the mark's length."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    # UTF-16 without a BOM: every other byte of ASCII text is zero.
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return "utf-16-le", 0
    return ("cp1252" if _legacy_8bit(head) else "utf-8"), 0


def _legacy_8bit(head: bytes) -> bool:
    """Whether bytes above 0x7F mostly fail to form UTF-8: then they are a legacy 8-bit text.

    A UTF-8 file with a few corrupt bytes stays UTF-8 (its valid multi-byte characters
    outnumber the bad ones), so one bad byte never turns a whole file into mojibake.
    """
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return False
    except UnicodeDecodeError:
        pass
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(text.encode("utf-8")) - len(text) - 2 * bad  # extra bytes of valid characters
    return bad > good


def head_text(file: InputFile, n: int = 64 * 1024) -> str:
    """The file's first characters for sniffing; never raises on bad bytes."""
    head = file.head(n)
    enc, skip = sniff_encoding(head)
    return head[skip:].decode(enc, errors="replace")


def suffixed_head(item: InputItem, suffixes: tuple[str, ...]) -> str | None:
    """``head_text`` of a file named with one of ``suffixes``, for a sniffer; None for any
    other input, or a file that cannot be read (the sniffer then says 0)."""
    if not isinstance(item, InputFile) or item.suffix not in suffixes:
        return None
    try:
        return head_text(item)
    except (OSError, ParseError):
        return None


class TextStats:
    """What decoding had to repair: replaced characters, NULs removed and over-long lines."""

    def __init__(self) -> None:
        self.replaced = 0
        self.first_replaced_line: int | None = None
        self.nuls = 0
        self.first_nul_line: int | None = None
        self.long_lines: list[int] = []
        self.encoding = "utf-8"

    def drop_nuls(self, text: str, first_line: int) -> str:
        """``text`` (which starts on line ``first_line``) without its NULs, counted."""
        if "\0" not in text:
            return text
        if self.first_nul_line is None:
            self.first_nul_line = first_line + text.count("\n", 0, text.index("\0"))
        self.nuls += text.count("\0")
        return text.replace("\0", "")


def repairs(stats: TextStats) -> Iterator[Repair]:
    """The ``Repair`` items an importer reports for what decoding changed: one per kind, at
    the first place, with the count."""
    if stats.encoding == "cp1252":
        yield Repair("whole file", "not UTF-8: read as Windows-1252 (Latin-1)", 1)
    if stats.replaced:
        place = f"line {stats.first_replaced_line}"
        yield Repair(place, "undecodable bytes replaced", stats.replaced)
    if stats.nuls:
        yield Repair(f"line {stats.first_nul_line}", "NUL bytes removed", stats.nuls)


def long_line_skips(stats: TextStats) -> Iterator[Skip]:
    """A ``Skip`` for each line ``iter_lines`` cut at its length limit (the rest was dropped)."""
    for lineno in stats.long_lines:
        yield Skip(f"line {lineno}", "line too long: cut, the rest of it left out")


def decode_all(data: bytes, stats: TextStats | None = None) -> str:
    """Decode a whole file; undecodable bytes become U+FFFD and are counted in ``stats``."""
    enc, skip = sniff_encoding(data[:65536])
    if stats is not None:
        stats.encoding = enc
    data = data[skip:]
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        marker = "\ufffd".encode(enc, errors="ignore")  # Windows-1252 has no U+FFFD
        before = data.count(marker) if marker else 0
        text = data.decode(enc, errors="replace")
        if stats is not None:
            stats.replaced += text.count("\ufffd") - before
            stats.first_replaced_line = text.count("\n", 0, text.index("\ufffd")) + 1
    return (stats or TextStats()).drop_nuls(text, 1)


def iter_blocks(file: InputFile, stats: TextStats, max_line: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The file's text in blocks of whole lines (about 1 MiB), each line ending in LF.

    Undecodable bytes become U+FFFD and are counted, CRLF becomes LF, a line over
    ``max_line`` characters is cut there (and recorded in ``stats.long_lines``) and the rest
    of it dropped, so a 200 MB single-line file cannot exhaust memory. Reading blocks, not
    lines, lets a line-based importer run one regex over a whole block in C.
    """
    enc, skip = sniff_encoding(file.head())
    stats.encoding = enc
    decoder = codecs.getincrementaldecoder(enc)(errors="strict")
    lenient = codecs.getincrementaldecoder(enc)(errors="replace")
    lines = 0  # lines in the blocks yielded so far
    pending = ""  # the start of a line whose end is not read yet
    dropping = False  # inside the rest of an over-long line
    with file.open() as f:
        f.read(skip)
        while True:
            raw = f.read(BLOCK_BYTES)
            final = not raw
            try:
                chunk = decoder.decode(raw, final)
            except UnicodeDecodeError:
                # Redo this block leniently, from where the strict decoder had got to.
                lenient.setstate(decoder.getstate())
                chunk = lenient.decode(raw, final)
                decoder.reset()
                n = chunk.count("\ufffd")
                if n:
                    stats.replaced += n
                    if stats.first_replaced_line is None:
                        before = chunk.count("\n", 0, chunk.index("\ufffd"))
                        stats.first_replaced_line = lines + before + 1
            chunk = stats.drop_nuls(chunk, lines + 1)
            if dropping:
                nl = chunk.find("\n")
                chunk = "" if nl < 0 else chunk[nl + 1 :]
                dropping = nl < 0
            text = pending + chunk
            cut = text.rfind("\n") + 1
            if cut:
                block = text[:cut]
                pending = text[cut:]
                if "\r" in block:
                    block = block.replace("\r\n", "\n")
                if len(block) > max_line:
                    block = _cut_long_lines(block, max_line, lines + 1, stats)
                lines += block.count("\n")
                yield block
            else:
                pending = text
            if len(pending) > max_line:
                lines += 1
                stats.long_lines.append(lines)
                yield pending[:max_line] + "\n"
                pending = ""
                dropping = True
            if final:
                break
    if pending:
        yield (pending[:-1] if pending.endswith("\r") else pending) + "\n"


def _cut_long_lines(block: str, max_line: int, first_line: int, stats: TextStats) -> str:
    """``block`` with every line over ``max_line`` characters cut there.

    Jumps a window of ``max_line`` characters at a time: a window without a newline is a
    line too long. Linear in the block, and one or two steps for the usual block size.
    """
    parts: list[str] = []
    start = pos = 0
    while pos + max_line < len(block):
        nl = block.rfind("\n", pos, pos + max_line + 1)
        if nl >= 0:
            pos = nl + 1
            continue
        end = block.find("\n", pos)  # blocks end with a newline: always found
        stats.long_lines.append(first_line + block.count("\n", 0, pos))
        parts.append(block[start : pos + max_line])
        start, pos = end, end + 1
    if not parts:
        return block
    parts.append(block[start:])
    return "".join(parts)


def iter_lines(
    file: InputFile, stats: TextStats, max_chars: int = MAX_LINE_CHARS
) -> Iterator[tuple[int, str]]:
    """Stream ``(line_number, line)`` without line endings, in constant memory.

    The same decoding and repairs as :func:`iter_blocks`, one line at a time.
    """
    lineno = 0
    for block in iter_blocks(file, stats, max_chars):
        lines = block.split("\n")
        lines.pop()  # every block ends with a newline
        for line in lines:
            lineno += 1
            yield lineno, line
