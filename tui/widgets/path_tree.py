"""A DirectoryTree for picking chat exports, usable without a mouse."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DirectoryTree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode

from afina.tui.display import tilde
from afina.tui.widgets.printable import shown_text


class PathTree(DirectoryTree):
    """Hides dot-files (caches, the workspace's own .afina) and can climb to the parent folder."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("backspace", "up", "Up a folder")]

    def __init__(self, path: Path, *, id: str | None = None) -> None:
        super().__init__(path, id=id)
        self._label_root()

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        # A file's name is anyone's to choose, escapes included.
        return shown_text(super().render_label(node, base_style, style))

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".")]

    async def watch_path(self) -> None:
        await super().watch_path()
        # DirectoryTree labels the root with its absolute path; ~ is shorter, and the same on
        # every machine (snapshots).
        self._label_root()

    def _label_root(self) -> None:
        self.root.set_label(tilde(Path(self.path)))

    def action_up(self) -> None:
        here = Path(self.path).resolve()
        if here.parent != here:
            self.path = here.parent
