"""Find what to import under the paths a person gives, and which importer reads each.

Folders and zip archives are walked. A folder or zip that some importer reads as a whole
(a Slack export) becomes one candidate; otherwise each file inside is sniffed on its own.
Files nobody recognises become candidates without an importer, with the reason.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from afina.engine.errors import ParseError
from afina.engine.ingest.contract import SNIFF_THRESHOLD, Importer
from afina.engine.ingest.inputs import (
    MAX_MEMBER_BYTES,
    InputFile,
    InputItem,
    InputTree,
    disk_file,
    display_path,
    folder_tree,
    not_regular,
    unopenable,
    zip_tree,
)
from afina.engine.plugins import load_all, load_plugin

MEDIA_SUFFIXES = frozenset(
    [
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".heic",
        ".bmp",
        ".svg",
        ".mp4",
        ".mov",
        ".avi",
        ".mkv",
        ".webm",
        ".3gp",
        ".opus",
        ".ogg",
        ".mp3",
        ".m4a",
        ".aac",
        ".wav",
        ".amr",
        ".pdf",
        ".doc",
        ".docx",
        ".xls",
        ".xlsx",
        ".ppt",
        ".pptx",
        ".vcf",
        ".apk",
        ".exe",
    ]
)


@dataclass
class Candidate:
    """One thing to import, the importer chosen for it (None if none fits) and why."""

    item: InputItem
    importer: Importer | None
    confidence: float
    explicit: bool  # named on the command line, not found by walking
    reason: str | None = None  # why no importer was chosen, or a problem found while walking
    broken: bool = False  # unreadable (corrupt archive, I/O error): refused even when walked

    @property
    def display(self) -> str:
        return self.item.display


class Sniffer:
    """The installed importers, and the choice of one for each file or tree."""

    def __init__(self, forced: str | None = None, max_member: int = MAX_MEMBER_BYTES) -> None:
        classes, self.problems = load_all("importer")
        self.importers = [c() for c in classes if issubclass(c, Importer)]
        self.forced: Importer | None = None
        if forced:
            cls = load_plugin("importer", forced)
            assert issubclass(cls, Importer)  # load_plugin checked the kind
            self.forced = cls()
        self.max_member = max_member

    def best(self, item: InputItem) -> tuple[Importer | None, float]:
        wants_tree = isinstance(item, InputTree)
        best: tuple[Importer | None, float] = (None, 0.0)
        for imp in self.importers:
            if imp.reads_trees() != wants_tree:
                continue
            score = _safe_sniff(imp, item)
            if score > best[1]:
                best = (imp, score)
        return best if best[1] >= SNIFF_THRESHOLD else (None, best[1])

    def candidates(self, paths: Sequence[Path]) -> Iterator[Candidate]:
        for path in paths:
            # Provenance must outlive the folder the command ran in.
            yield from self._path(Path(path).expanduser().absolute())

    def _path(self, path: Path) -> Iterator[Candidate]:
        # Asked before anything opens the path: sniffing a FIFO or a device would block or
        # read forever. os.stat follows links, so a link to a regular file is read.
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            yield Candidate(unopenable(path, "missing"), None, 0.0, True, "no such file or folder")
            return
        except OSError as e:
            why = f"cannot read it ({e.strerror})"
            yield Candidate(unopenable(path, why), None, 0.0, True, why, broken=True)
            return
        problem = not_regular(mode)
        if problem is not None:
            yield Candidate(unopenable(path, problem), None, 0.0, True, problem, broken=True)
        elif stat.S_ISDIR(mode):
            yield from self._folder(path)
        elif zipfile.is_zipfile(path):
            try:
                tree = zip_tree(path, display_path(path), self.max_member)
            except ParseError as e:
                yield Candidate(disk_file(path), None, 0.0, True, str(e), broken=True)
                return
            yield from self._tree(tree, explicit=True)
        else:
            yield self._file(disk_file(path), explicit=True)

    def _folder(self, path: Path) -> Iterator[Candidate]:
        tree = folder_tree(path)
        # An export one folder down beside other files ("exports/slack/" next to WhatsApp
        # chats): the importer reads only that folder, so everything beside it is read on its
        # own (another export included) instead of being silently left out.
        while (inner := self._export_inside(path, tree)) is not None:
            yield from self._tree(folder_tree(inner), explicit=False)
            prefix = inner.name + "/"
            tree = InputTree(
                tree.display,
                tree.name,
                [f for f in tree.files() if not f.name.startswith(prefix)],
                False,
                [(f, why) for f, why in tree.passed if not (f.path and inner in f.path.parents)],
            )
        yield from self._tree(tree, explicit=True)

    def _export_inside(self, path: Path, tree: InputTree) -> Path | None:
        """The subfolder holding the export a tree importer found in ``tree``, when there are
        other entries beside it; None when the export is the whole folder (or none is)."""
        if self.forced is not None:
            return None
        importer, score = self.best(tree)
        if importer is None:
            return None
        tops = {name.split("/", 1)[0] for name in tree.names()}
        if len(tops) < 2:
            return None
        for top in sorted(tops):
            sub = path / top
            if sub.is_dir() and not sub.is_symlink():
                found, found_score = self.best(folder_tree(sub))
                if found is importer and found_score >= score:
                    return sub
        return None

    def _tree(self, tree: InputTree, explicit: bool) -> Iterator[Candidate]:
        for entry, why in tree.passed:
            yield Candidate(entry, None, 0.0, False, why)
        if self.forced is not None and self.forced.reads_trees():
            yield Candidate(tree, self.forced, 1.0, explicit)
            return
        importer, score = self.best(tree)
        if importer is not None:
            yield Candidate(tree, importer, score, explicit)
            return
        for f in tree.files():
            if f.suffix == ".zip" and f.path is not None:
                yield from self._path(f.path)
            elif f.suffix == ".zip":
                yield Candidate(
                    f, None, 0.0, False, "a zip inside a zip: unpack the outer one first"
                )
            else:
                yield self._file(f, explicit=False)

    def _file(self, f: InputFile, explicit: bool) -> Candidate:
        forced = self.forced
        if (
            forced is not None
            and not forced.reads_trees()
            and (explicit or f.suffix in forced.extensions or _safe_sniff(forced, f) > 0)
        ):
            return Candidate(f, forced, 1.0, explicit)
        if f.suffix in MEDIA_SUFFIXES:
            return Candidate(f, None, 0.0, explicit, "media file")
        if f.size == 0:
            return Candidate(f, None, 0.0, explicit, "empty file")
        try:
            head = f.head(4096)
        except (OSError, ParseError) as e:
            return Candidate(f, None, 0.0, explicit, f"cannot read it: {e}", broken=True)
        importer, score = self.best(f)
        if importer is not None:
            return Candidate(f, importer, score, explicit)
        if b"\0" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and head[1:2] != b"\0":
            return Candidate(f, None, 0.0, explicit, "binary file, not a chat export")
        names = ", ".join(sorted(i.name for i in self.importers))
        return Candidate(
            f,
            None,
            score,
            explicit,
            f"not a chat export afina recognises (expected one of: {names}; "
            "choose one with --format)",
        )


def _safe_sniff(importer: Importer, item: InputItem) -> float:
    try:
        return float(importer.sniff(item))
    except Exception:  # a sniffer must not break discovery of everything else
        return 0.0
