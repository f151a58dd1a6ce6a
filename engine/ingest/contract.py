"""The importer contract: sniff a file or tree, then read it into conversations.

Importers are pure: they read what they are given and yield values. They never write to the
store, never print and never open paths themselves. A problem with one item is a ``Skip``
(counted, the import goes on); a problem with the whole file is a ``ParseError`` that names
the place and what was expected. JSON is parsed only through ``engine/ingest/jsonio.py`` and
text decoded only through ``engine/ingest/textio.py``: their limits (nesting depth, line
length) and repairs (bad bytes, NULs) then hold for every format.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from afina.engine.ingest.inputs import InputFile, InputItem, InputTree
from afina.engine.plugins import Plugin
from afina.engine.types import ImportItem

# Capability flags an importer may declare.
READS_TREES = "reads-trees"  # sniff/read get an InputTree (a folder or zip read as a whole)
STREAMS = "streams"  # memory stays flat however big the file (line-based formats)
HAS_ROLES = "has-roles"  # turns carry user/assistant roles (assistant exports)

# A sniff at or above this confidence picks an importer without --format.
SNIFF_THRESHOLD = 0.5


class Importer(Plugin):
    kind: ClassVar[str] = "importer"
    # File name suffixes this format usually has, for file pickers and tie-breaking.
    extensions: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def reads_trees(cls) -> bool:
        return READS_TREES in cls.capabilities

    @abstractmethod
    def sniff(self, item: InputItem) -> float:
        """Confidence in [0, 1] that this importer reads ``item``. Cheap: look at the head only.

        Importers without the ``reads-trees`` capability only ever get an ``InputFile``.
        Must never raise on any input.
        """

    @abstractmethod
    def read(self, item: InputItem, options: Mapping[str, Any]) -> Iterator[ImportItem]:
        """Yield conversations (and skips and repairs) from ``item``."""


def as_file(item: InputItem) -> InputFile:
    if not isinstance(item, InputFile):
        raise TypeError(f"expected a file, got {item!r}")
    return item


def as_tree(item: InputItem) -> InputTree:
    if not isinstance(item, InputTree):
        raise TypeError(f"expected a folder or zip, got {item!r}")
    return item
