"""Test helpers: build inputs from bytes, run an importer, find the real chat logs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from afina.engine.ingest.inputs import InputFile, InputItem, disk_file, folder_tree, zip_tree
from afina.engine.types import Conversation, Repair, Skip, Turn

ROOT = Path(__file__).resolve().parent.parent
CHATLOGS = Path(os.environ.get("AFINA_CHATLOGS", ROOT.parent / "shared" / "chatlogs"))


def make_file(tmp_path: Path, name: str, content: bytes | str) -> InputFile:
    """An InputFile on disk with the given content (str is written as UTF-8)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return disk_file(path)


def as_item(path: Path) -> InputItem:
    if path.is_dir():
        return folder_tree(path)
    if path.suffix.lower() == ".zip":
        return zip_tree(path)
    return disk_file(path)


class ReadResult:
    """What an importer yielded, with turns materialised (they may be one-shot iterators)."""

    def __init__(self, items: list[Any]) -> None:
        self.conversations: list[Conversation] = []
        self.turns: list[list[Turn]] = []
        self.skips: list[Skip] = []
        self.repairs: list[Repair] = []
        for it in items:
            if isinstance(it, Conversation):
                self.conversations.append(it)
                self.turns.append(list(it.turns))
            elif isinstance(it, Skip):
                self.skips.append(it)
            elif isinstance(it, Repair):
                self.repairs.append(it)
            else:
                raise AssertionError(f"importer yielded {it!r}")


def read_with(importer_cls: type, item: InputItem, **options: Any) -> ReadResult:
    importer = importer_cls()
    resolved = importer_cls.resolve_options(options)
    out: list[Any] = []
    for it in importer.read(item, resolved):
        if isinstance(it, Conversation):
            # Materialise now: a streaming importer's turns are only valid during iteration.
            it = Conversation(it.key, it.title, it.place, list(it.turns), it.meta)
        out.append(it)
    return ReadResult(out)
