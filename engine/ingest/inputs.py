"""What importers read: files and trees (folders or zip archives), wherever they live.

Importers never open paths themselves. They get an :class:`InputFile` (a file on disk or a
member of a zip) or an :class:`InputTree` (a folder or a zip read as a whole, e.g. a Slack
export). Zip members are read as streams and capped, so a zip bomb is refused, not unpacked.
Only regular files are ever opened: a FIFO or a device would block or never end.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import struct
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from afina.engine.errors import ParseError

HEAD_BYTES = 64 * 1024
# A zip member larger than this, or expanding more than MAX_RATIO times its compressed size
# (past a small floor), is treated as a zip bomb.
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_RATIO = 200
RATIO_FLOOR = 8 * 1024**2
# The same for the archive as a whole, so that many members each under the caps above cannot
# add up to a bomb: all members together may declare at most MAX_ARCHIVE_BYTES, and past
# ARCHIVE_RATIO_FLOOR no more than MAX_RATIO times the archive's size on disk. Real exports
# compress text 5-30x; media barely compresses at all.
MAX_ARCHIVE_BYTES = 16 * 1024**3
ARCHIVE_RATIO_FLOOR = 64 * 1024**2
# zipfile keeps about 0.5 KB per member and the tree as much again: 100,000 members (a Slack
# export of 100 channels over three years, one file a day) took 120 MB. The member count in
# the archive's end record can lie, so the directory's size is capped too, before zipfile
# reads it: 16 MiB of the smallest possible entries is 350,000 members, about 180 MB.
MAX_MEMBERS = 100_000
MAX_DIRECTORY_BYTES = 16 * 1024**2

ProgressFn = Callable[[int], None]


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as a person sees it and the store keeps it: bytes of a file name that are not
    UTF-8 (kept by Python as lone surrogates) are written as ``\\xff`` escapes, so the text
    can be printed, logged and written to SQLite."""
    text = os.fspath(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file name decoding makes
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def not_regular(mode: int) -> str | None:
    """What a file that is neither a regular file nor a folder is, to say why it is refused;
    None for a regular file or a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    kind = next((name for test, name in kinds if test(mode)), "a special file")
    return f"not a regular file ({kind})"


class _CountingReader(io.RawIOBase):
    """Reports bytes read to a progress callback and refuses to read past a cap."""

    def __init__(self, raw: BinaryIO, cap: int | None, place: str, report: ProgressFn | None):
        self._raw = raw
        self._cap = cap
        self._place = place
        self._report = report
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._seen += n
        if self._cap is not None and self._seen > self._cap:
            raise ParseError(
                self._place,
                f"expands past {self._cap:,} bytes; refused as a possible zip bomb",
            )
        if self._report is not None and n:
            self._report(n)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class InputFile:
    """One file to read: on disk, or a member of a zip archive."""

    def __init__(
        self,
        display: str,
        name: str,
        size: int,
        opener: Callable[[], BinaryIO],
        cap: int | None = None,
        path: Path | None = None,
    ) -> None:
        self.display = display  # what a person sees: "exports/slack.zip!general/2016-01-14.json"
        self.name = name  # the name inside its tree (posix), or the base name
        self.size = size
        self.path = path  # the file on disk, for one that is not a zip member
        self._opener = opener
        self._cap = cap
        self._head: bytes | None = None
        self.progress: ProgressFn | None = None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    def open(self) -> BinaryIO:
        """A buffered binary stream; reads are reported to ``self.progress`` when it is set."""
        raw = _CountingReader(self._opener(), self._cap, self.display, self.progress)
        return io.BufferedReader(raw, buffer_size=1024 * 1024)

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """The first bytes of the file (cached), for sniffing without reading it all."""
        if self._head is None or len(self._head) < min(n, self.size):
            with _CountingReader(self._opener(), self._cap, self.display, None) as f:
                self._head = f.read(n)
        return self._head[:n]

    def read_bytes(self, limit: int | None = None) -> bytes:
        """The whole file; ``limit`` makes an oversized file a clear error, not a memory spike."""
        if limit is not None and self.size > limit:
            raise ParseError(
                "whole file",
                f"{self.size:,} bytes is more than this format's limit of {limit:,} bytes",
            )
        with self.open() as f:
            return f.read()

    def sha256(self) -> str:
        h = hashlib.sha256()
        with _CountingReader(self._opener(), self._cap, self.display, None) as f:
            for block in iter(lambda: f.read(1024 * 1024), b""):
                h.update(block)
        return h.hexdigest()

    def __repr__(self) -> str:
        return f"InputFile({self.display!r})"


class InputTree:
    """A folder or a zip archive: a tree of files that some formats read as a whole."""

    def __init__(
        self,
        display: str,
        name: str,
        files: list[InputFile],
        is_zip: bool,
        passed: list[tuple[InputFile, str]] | None = None,
    ) -> None:
        self.display = display
        self.name = name
        self.is_zip = is_zip
        self._files = sorted(files, key=lambda f: f.name)
        self._by_name = {f.name: f for f in self._files}
        # Entries of a folder that are never opened (a FIFO, a device, a broken link), with
        # why, so the import can count them as skipped.
        self.passed = list(passed or [])

    def files(self) -> list[InputFile]:
        return list(self._files)

    def get(self, name: str) -> InputFile | None:
        return self._by_name.get(name)

    def names(self) -> list[str]:
        return [f.name for f in self._files]

    @property
    def size(self) -> int:
        return sum(f.size for f in self._files)

    def sha256(self) -> str:
        h = hashlib.sha256()
        for f in self._files:
            h.update(f.name.encode("utf-8") + b"\0" + f.sha256().encode("ascii") + b"\n")
        return h.hexdigest()

    def __repr__(self) -> str:
        return f"InputTree({self.display!r}, {len(self._files)} files)"


InputItem = InputFile | InputTree

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


def _ignored(rel: str) -> bool:
    parts = PurePosixPath(rel).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or parts[-1] in _IGNORED_NAMES


def disk_file(path: Path, display: str | None = None, name: str | None = None) -> InputFile:
    return InputFile(
        display or display_path(path),
        name or display_path(path.name),
        path.stat().st_size,
        lambda: _open_regular(path),
        path=path,
    )


def unopenable(path: Path, why: str) -> InputFile:
    """A stand-in for a path that is not read (missing, a FIFO...): opening it fails with why."""

    def opener() -> BinaryIO:
        raise ParseError("whole file", why)

    return InputFile(display_path(path), display_path(path.name), 0, opener, path=path)


def _open_regular(path: Path) -> BinaryIO:
    # Checked on the open file, not before: what was a regular file when the folder was
    # walked may since have become a FIFO, and opening a FIFO to read blocks without
    # O_NONBLOCK until something writes to it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ParseError("whole file", not_regular(mode) or "a folder, not a file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def folder_tree(path: Path) -> InputTree:
    files: list[InputFile] = []
    passed: list[tuple[InputFile, str]] = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        for n in sorted(names):
            p = Path(root) / n
            rel = display_path(p.relative_to(path).as_posix())
            if _ignored(rel):
                continue
            try:
                mode = os.stat(p).st_mode  # follows links: a link to a regular file is read
            except OSError as e:
                gone = "a broken link" if p.is_symlink() else f"cannot read it ({e.strerror})"
                passed.append((unopenable(p, gone), gone))
                continue
            problem = not_regular(mode)
            if problem is not None:
                passed.append((unopenable(p, problem), problem))
            elif stat.S_ISREG(mode):
                files.append(disk_file(p, name=rel))
    return InputTree(display_path(path), display_path(path.name), files, False, passed)


def zip_tree(
    path: Path, display: str | None = None, max_member: int = MAX_MEMBER_BYTES
) -> InputTree:
    """The members of a zip archive as a tree. Raises ParseError for a broken archive or a bomb."""
    shown = display or display_path(path)
    try:
        st = os.stat(path)
        _check_directory(path)
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ParseError("zip directory", f"not a readable zip archive ({e})") from e
    try:
        kept = [i for i in infos if not i.is_dir() and not _ignored(i.filename)]
        _check_archive(len(infos), sum(i.file_size for i in kept), st.st_size)
        for info in kept:
            _check_bomb(info, max_member)
    except ParseError:
        zf.close()
        raise
    # Keyed by the file's state too: a zip rewritten since is listed afresh, not misread.
    key = (path, st.st_mtime_ns, st.st_size)
    _ARCHIVES.keep(key, zf)
    files = [
        InputFile(
            f"{shown}!{info.filename}",
            info.filename,
            info.file_size,
            _zip_opener(key, info.filename),
            # Declared sizes can lie: the stream itself stops past the declared size.
            cap=min(max_member, info.file_size + 1024),
        )
        for info in kept
    ]
    return InputTree(shown, display_path(path.name), files, is_zip=True)


def _check_bomb(info: zipfile.ZipInfo, max_member: int) -> None:
    if info.file_size > max_member:
        raise ParseError(
            f"member {info.filename}",
            f"declares {info.file_size:,} bytes, more than the {max_member:,} allowed",
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ParseError(
            f"member {info.filename}",
            f"expands {info.file_size // max(info.compress_size, 1)}x;"
            " refused as a possible zip bomb",
        )


def _check_archive(members: int, total: int, archive_size: int) -> None:
    """The limits on the archive as a whole (module constants, read at each call)."""
    if members > MAX_MEMBERS:
        raise ParseError(
            "zip directory", f"{members:,} members, more than the {MAX_MEMBERS:,} allowed"
        )
    if total > MAX_ARCHIVE_BYTES:
        raise ParseError(
            "zip directory",
            f"members declare {total:,} bytes in all, more than the"
            f" {MAX_ARCHIVE_BYTES:,} allowed; refused as a possible zip bomb",
        )
    if total > ARCHIVE_RATIO_FLOOR and total > MAX_RATIO * max(archive_size, 1):
        raise ParseError(
            "zip directory",
            f"members expand {total // max(archive_size, 1)}x in all ({total:,} bytes from"
            f" {archive_size:,}); refused as a possible zip bomb",
        )


# The end-of-central-directory record, and the zip64 one that sits just before its locator.
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64_SIZE = 20


def _check_directory(path: Path) -> None:
    """Refuse an archive whose directory declares too many members or too many bytes, from
    its end record, before zipfile reads the directory into memory."""
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(max(0, end - _END.size - 0xFFFF))  # the record, and a comment of at most 64 KiB
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        return  # zipfile says what is wrong with it
    count, size = _END.unpack_from(tail, at)[4:6]
    start64 = at - _LOCATOR64_SIZE - _END64.size
    if (count == 0xFFFF or size == 0xFFFFFFFF) and start64 >= 0:
        record = _END64.unpack_from(tail, start64)
        if record[0] == b"PK\x06\x06":
            count, size = record[7], record[8]
    if count > MAX_MEMBERS:
        raise ParseError(
            "zip directory", f"{count:,} members, more than the {MAX_MEMBERS:,} allowed"
        )
    if size > MAX_DIRECTORY_BYTES:
        raise ParseError(
            "zip directory",
            f"a directory of {size:,} bytes, more than the {MAX_DIRECTORY_BYTES:,} allowed",
        )


_Key = tuple[Path, int, int]  # an archive's path, modification time (ns) and size


class _OpenArchives:
    """The last few zip archives read, kept open with their directory parsed.

    Opening a member through a fresh ``ZipFile`` reads the whole directory again, which made
    reading every member of an archive take time growing with the square of their number.
    A few are kept, not all: a folder of thousands of zips must not hold as many files open.
    """

    KEEP = 4

    def __init__(self) -> None:
        self._open: OrderedDict[_Key, zipfile.ZipFile] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, key: _Key, zf: zipfile.ZipFile) -> None:
        with self._lock:
            old = self._open.pop(key, None)
            if old is not None and old is not zf:
                old.close()
            self._remember(key, zf)

    def open_member(self, key: _Key, member: str) -> IO[bytes]:
        # Under the lock: another thread must not close the archive between the two steps.
        # A member stream keeps the archive's file open after the archive is closed.
        with self._lock:
            zf = self._open.pop(key, None) or zipfile.ZipFile(key[0])
            self._remember(key, zf)
            return zf.open(member)

    def _remember(self, key: _Key, zf: zipfile.ZipFile) -> None:
        self._open[key] = zf
        while len(self._open) > self.KEEP:
            self._open.popitem(last=False)[1].close()


_ARCHIVES = _OpenArchives()


def _zip_opener(key: _Key, member: str) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        return _MemberStream(_ARCHIVES.open_member(key, member))  # type: ignore[return-value]

    return opener


class _MemberStream(io.RawIOBase):
    """A zip member stream whose corrupt data is a ParseError naming the member."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._stream.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            name = getattr(self._stream, "name", "member")
            raise ParseError(f"member {name}", f"corrupt zip data ({e})") from e
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


def iter_files(item: InputItem) -> Iterator[InputFile]:
    if isinstance(item, InputFile):
        yield item
    else:
        yield from item.files()
