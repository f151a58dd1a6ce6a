"""What importers read: files and trees (folders or zip archives), wherever they live.

Importers never open paths themselves. They get an :class:`InputFile` (a file on disk or a
member of a zip) or an :class:`InputTree` (a folder or a zip read as a whole, e.g. a Slack
export). Zip members are read as streams and capped, so a zip bomb is refused, not unpacked.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
import zlib
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

ProgressFn = Callable[[int], None]


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
    ) -> None:
        self.display = display  # what a person sees: "exports/slack.zip!general/2016-01-14.json"
        self.name = name  # the name inside its tree (posix), or the base name
        self.size = size
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

    def __init__(self, display: str, name: str, files: list[InputFile], is_zip: bool) -> None:
        self.display = display
        self.name = name
        self.is_zip = is_zip
        self._files = sorted(files, key=lambda f: f.name)
        self._by_name = {f.name: f for f in self._files}

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
        display or str(path),
        name or path.name,
        path.stat().st_size,
        lambda: open(path, "rb"),
    )


def folder_tree(path: Path) -> InputTree:
    files = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        for n in sorted(names):
            p = Path(root) / n
            rel = p.relative_to(path).as_posix()
            if _ignored(rel) or not p.is_file():
                continue
            files.append(disk_file(p, display=str(p), name=rel))
    return InputTree(str(path), path.name, files, is_zip=False)


def zip_tree(
    path: Path, display: str | None = None, max_member: int = MAX_MEMBER_BYTES
) -> InputTree:
    """The members of a zip archive as a tree. Raises ParseError for a broken archive or a bomb."""
    shown = display or str(path)
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ParseError("zip directory", f"not a readable zip archive ({e})") from e
    files = []
    for info in infos:
        if info.is_dir() or _ignored(info.filename):
            continue
        _check_bomb(info, max_member)
        files.append(
            InputFile(
                f"{shown}!{info.filename}",
                info.filename,
                info.file_size,
                _zip_opener(path, info.filename),
                # Declared sizes can lie: the stream itself stops past the declared size.
                cap=min(max_member, info.file_size + 1024),
            )
        )
    zf.close()
    return InputTree(shown, path.name, files, is_zip=True)


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


def _zip_opener(path: Path, member: str) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        zf = zipfile.ZipFile(path)
        return _ClosingBoth(zf.open(member), zf)  # type: ignore[return-value]

    return opener


class _ClosingBoth(io.RawIOBase):
    """A zip member stream that also closes its archive."""

    def __init__(self, stream: IO[bytes], archive: zipfile.ZipFile) -> None:
        self._stream = stream
        self._archive = archive

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
        self._archive.close()
        super().close()


def iter_files(item: InputItem) -> Iterator[InputFile]:
    if isinstance(item, InputFile):
        yield item
    else:
        yield from item.files()
