"""Message trees of assistant exports (ChatGPT, Claude): pick the branch a person last saw.

Both formats store every retry and edit as a branch of a tree linked by parent ids. The
links come from untrusted files, so every walk here guards against cycles and dangling ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class MessageTree:
    """Nodes linked by parent ids, with creation times (epoch seconds) where known.

    ``order`` is the file order, used only to break ties between equal or missing times.
    ``parent`` maps a node to its parent, or to None for a root; callers resolve dangling ids
    to None before building the tree.
    """

    def __init__(
        self,
        order: Sequence[str],
        parent: Mapping[str, str | None],
        created: Mapping[str, float | None],
    ) -> None:
        self._order = list(order)
        self._rank = {nid: i for i, nid in enumerate(self._order)}
        self._parent = {nid: parent.get(nid) for nid in self._order}
        self._created = created
        self._children: dict[str, list[str]] = {nid: [] for nid in self._order}
        for nid in self._order:
            up = self._parent[nid]
            if up is not None and up in self._children:
                self._children[up].append(nid)
        for kids in self._children.values():
            kids.sort(key=self._age)

    def _age(self, nid: str) -> tuple[bool, float, int]:
        """Sort key, oldest first: untimed nodes before timed ones, then file order."""
        t = self._created.get(nid)
        return (t is not None, t if t is not None else 0.0, self._rank.get(nid, -1))

    def __contains__(self, nid: object) -> bool:
        return nid in self._rank

    def parent(self, nid: str) -> str | None:
        return self._parent.get(nid)

    def children(self, nid: str) -> list[str]:
        """Children oldest first."""
        return list(self._children.get(nid, ()))

    def siblings(self, nid: str) -> list[str]:
        """The other children of this node's parent, oldest first (none for a root)."""
        up = self._parent.get(nid)
        if up is None:
            return []
        return [c for c in self._children.get(up, ()) if c != nid]

    def newest_child(self, nid: str) -> str | None:
        kids = self._children.get(nid)
        return kids[-1] if kids else None

    def path_to(self, nid: str) -> list[str]:
        """Root-to-node path. A cycle in the parent links ends the walk where it closes."""
        path: list[str] = []
        seen: set[str] = set()
        cur: str | None = nid
        while cur is not None and cur in self._rank and cur not in seen:
            seen.add(cur)
            path.append(cur)
            cur = self._parent[cur]
        path.reverse()
        return path

    def latest_leaf(self) -> str | None:
        """The most recently created leaf; without times, the deepest (then the last in file order).

        A tree whose every node sits on a parent cycle has no leaf; then the last node in
        file order stands in, so a broken file still yields its messages.
        """
        leaves = [nid for nid in self._order if not self._children[nid]]
        if not leaves:
            return self._order[-1] if self._order else None
        depth = self._depths()
        return max(leaves, key=lambda n: (*self._age(n)[:2], depth.get(n, 0), self._rank[n]))

    def latest_path(self) -> list[str]:
        leaf = self.latest_leaf()
        return self.path_to(leaf) if leaf is not None else []

    def _depths(self) -> dict[str, int]:
        """Depth of every node, memoised so wide, deep trees stay linear; cycles count as roots."""
        depth: dict[str, int] = {}
        for start in self._order:
            chain: list[str] = []
            on_chain: set[str] = set()
            cur: str | None = start
            while cur is not None and cur not in depth and cur not in on_chain:
                chain.append(cur)
                on_chain.add(cur)
                cur = self._parent.get(cur)
            base = depth[cur] if cur is not None and cur in depth else -1
            for nid in reversed(chain):
                base += 1
                depth[nid] = base
        return depth
