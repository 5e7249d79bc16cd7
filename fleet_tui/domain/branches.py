"""The branches of a thread, read from its checkpoint history. Pure values; no I/O.

A run created from an earlier checkpoint (an edit, a regeneration, a fork made in the web UI)
leaves the old run's checkpoints in place: the history (`POST /threads/{id}/history`, newest
first, each with its `parent_checkpoint`) is a tree. A *path* runs from the root to one leaf
(its *tip*); the tip's `values.messages` are what that branch shows.

Where a message has siblings. Take message `i` of a path and its prefix, the `i` messages
before it. The *region* of that prefix is the connected set of checkpoints that hold exactly
that prefix (an input checkpoint, a forked copy, a step that added no message). Every child
of the region that holds something else starts one alternative for message `i`: the original
reply, a regenerated one, an edited user message. Walking the region, rather than asking
"has this message's parent two children", keeps an edit of an edit, or a fork made from a
different checkpoint of the same turn (the web UI and this app choose differently), one list
of siblings instead of nested pairs.

The checkpoint *before* a message (where an edit or a regeneration of it starts) is the parent
of the first checkpoint of the path that holds it, as LangGraph's own clients choose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BranchPath", "BranchTree", "Checkpoint", "Fork", "checkpoint_of", "message_key"]


def message_key(message: Any, index: int) -> str:
    """A message's identity in a checkpoint: its id, or its position when it has none."""
    if isinstance(message, Mapping):
        mid = message.get("id")
        if isinstance(mid, str) and mid:
            return mid
    return f"#{index}"


def _checkpoint_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        cid = value.get("checkpoint_id")
        return cid if isinstance(cid, str) and cid else None
    return None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    id: str
    parent_id: str | None
    message_ids: tuple[str, ...]
    # newest first in the history: 0 is the newest checkpoint read
    rank: int = 0


def checkpoint_of(state: Any, rank: int = 0) -> Checkpoint | None:
    """One history entry as a `Checkpoint`; None when it names no checkpoint."""
    if not isinstance(state, Mapping):
        return None
    cid = _checkpoint_id(state.get("checkpoint")) or state.get("checkpoint_id")
    if not isinstance(cid, str) or not cid:
        return None
    parent = _checkpoint_id(state.get("parent_checkpoint"))
    if parent is None and isinstance(state.get("parent_checkpoint_id"), str):
        parent = state["parent_checkpoint_id"] or None
    return Checkpoint(
        cid, parent, tuple(message_key(m, i) for i, m in enumerate(_messages(state))), rank
    )


def _messages(state: Mapping[str, Any]) -> list[Any]:
    values = state.get("values")
    messages = values.get("messages") if isinstance(values, Mapping) else None
    return messages if isinstance(messages, list) else []


@dataclass(frozen=True, slots=True)
class Fork:
    """Message `index` of a path has siblings: one per option (the first checkpoint of each
    alternative, oldest first); the path takes `options[chosen]`."""

    index: int
    options: tuple[str, ...]
    chosen: int

    @property
    def label(self) -> str:
        """ "2/3": the option shown, counted from 1, of how many."""
        return f"{self.chosen + 1}/{len(self.options)}"


@dataclass(frozen=True, slots=True)
class BranchPath:
    """One branch of the thread: its tip, the tip's messages and values, and per message where
    a fork for it starts and its siblings."""

    tip: str | None
    messages: tuple[Any, ...] = ()
    # per message: the checkpoint to run from to edit or regenerate it (None: cannot)
    before: tuple[str | None, ...] = ()
    forks: Mapping[int, Fork] = field(default_factory=dict)
    # the tip's state values (a deep agent's `todos` and `files` live there)
    values: Mapping[str, Any] = field(default_factory=dict)
    # which branch of the thread this is (counted from 1, oldest first), and how many there are
    number: int = 1
    count: int = 1

    def index_of(self, message_id: str) -> int | None:
        for index, message in enumerate(self.messages):
            if message_key(message, index) == message_id:
                return index
        return None

    def fork_for(self, message_id: str) -> Fork | None:
        index = self.index_of(message_id)
        return None if index is None else self.forks.get(index)

    @property
    def message_ids(self) -> tuple[str, ...]:
        return tuple(message_key(m, i) for i, m in enumerate(self.messages))


class BranchTree:
    """The checkpoint tree of one thread, from its history (newest first, as the server sends
    it; a partial history — the newest part of a long thread — is fine).

    With a partial history several checkpoints may have a parent that was not read; the one
    that leads to the newest checkpoint is taken as the root, the others are out of reach.
    """

    def __init__(self, history: Iterable[Any]) -> None:
        self._nodes: dict[str, Checkpoint] = {}
        self._values: dict[str, Mapping[str, Any]] = {}
        self._messages: dict[str, list[Any]] = {}
        for rank, state in enumerate(history):
            checkpoint = checkpoint_of(state, rank)
            if checkpoint is None or checkpoint.id in self._nodes:
                continue
            self._nodes[checkpoint.id] = checkpoint
            values = state.get("values")
            self._values[checkpoint.id] = values if isinstance(values, Mapping) else {}
            self._messages[checkpoint.id] = _messages(state)
        self._children: dict[str | None, list[str]] = {}
        for node in self._nodes.values():
            parent = node.parent_id if node.parent_id in self._nodes else None
            self._children.setdefault(parent, []).append(node.id)
        for ids in self._children.values():
            ids.sort(key=lambda cid: -self._nodes[cid].rank)  # oldest first
        # the whole history was read when some checkpoint has no parent at all
        self.complete = any(n.parent_id is None for n in self._nodes.values())
        roots = self._children.get(None, [])
        self.root: str | None = min(roots, key=self._newest_rank) if roots else None
        reachable = set(self._subtree(self.root)) if self.root else set()
        # only what the root reaches: leaves of an unreachable part are no branch of ours
        for cid in list(self._values):
            if cid not in reachable or self._children.get(cid):
                del self._values[cid]
                del self._messages[cid]
        # numbered as the tree is walked, older children first: the original branch is 1,
        # and a branch keeps its number when it goes on
        self.leaves: tuple[str, ...] = tuple(
            cid for cid in self._walk(self.root) if cid in self._values
        )
        self.head: str | None = (
            min(reachable, key=lambda cid: self._nodes[cid].rank) if reachable else None
        )

    # -- queries -------------------------------------------------------------------------
    def __contains__(self, checkpoint_id: object) -> bool:
        return checkpoint_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def checkpoint(self, checkpoint_id: str) -> Checkpoint | None:
        return self._nodes.get(checkpoint_id)

    def _subtree(self, start: str) -> list[str]:
        out, stack = [], [start]
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(self._children.get(cid, ()))
        return out

    def _walk(self, start: str | None) -> list[str]:
        """Depth first from `start`, older children first."""
        out: list[str] = []
        stack = [start] if start is not None else []
        while stack:
            cid = stack.pop()
            out.append(cid)
            stack.extend(reversed(self._children.get(cid, ())))
        return out

    def _newest_rank(self, start: str) -> int:
        return min(self._nodes[cid].rank for cid in self._subtree(start))

    def newest_leaf(self, start: str) -> str:
        """The newest leaf at or under `start` (where its branch has got to by now)."""
        leaves = [cid for cid in self._subtree(start) if not self._children.get(cid)]
        return min(leaves, key=lambda cid: self._nodes[cid].rank)

    def _lineage(self, tip: str) -> list[Checkpoint]:
        """Root to `tip`, both included."""
        out: list[Checkpoint] = []
        cid: str | None = tip
        while cid is not None and cid in self._nodes:
            node = self._nodes[cid]
            out.append(node)
            if cid == self.root:
                break
            cid = node.parent_id
        out.reverse()
        return out

    # -- paths ---------------------------------------------------------------------------
    def path(self, tip: str | None = None) -> BranchPath:
        """The branch through `tip` (a leaf, or a checkpoint whose branch went on: its newest
        leaf then); the newest branch when `tip` is None or not in this history."""
        if self.head is None:
            return BranchPath(tip=None)
        start = tip if tip is not None and tip in self._nodes else self.head
        if start not in self._subtree(self.root or start):
            start = self.head
        leaf = self.newest_leaf(start)
        lineage = self._lineage(leaf)
        messages = tuple(self._messages.get(leaf, ()))
        ids = tuple(message_key(m, i) for i, m in enumerate(messages))
        position = {node.id: k for k, node in enumerate(lineage)}
        first_seen: dict[str, int] = {}
        for k, node in enumerate(lineage):
            for mid in node.message_ids:
                first_seen.setdefault(mid, k)
        before: list[str | None] = []
        forks: dict[int, Fork] = {}
        for index, mid in enumerate(ids):
            seen = first_seen.get(mid)
            parent = lineage[seen].parent_id if seen is not None else None
            before.append(parent if parent in self._nodes else None)
            if seen is not None:
                fork = self._fork_at(lineage, position, seen, ids[:index], index)
                if fork is not None:
                    forks[index] = fork
        return BranchPath(
            tip=leaf,
            messages=messages,
            before=tuple(before),
            forks=forks,
            values=self._values.get(leaf, {}),
            number=self.leaves.index(leaf) + 1 if leaf in self.leaves else 1,
            count=max(1, len(self.leaves)),
        )

    def _fork_at(
        self,
        lineage: Sequence[Checkpoint],
        position: Mapping[str, int],
        first: int,
        prefix: tuple[str, ...],
        index: int,
    ) -> Fork | None:
        """The siblings of the message first held by `lineage[first]` (see the module's doc)."""
        top = None
        for k in range(first - 1, -1, -1):
            if lineage[k].message_ids != prefix:
                break
            top = k
        if top is None:
            return None
        region, exits, stack = set(), [], [lineage[top].id]
        while stack:
            cid = stack.pop()
            if cid in region:
                continue
            region.add(cid)
            for child in self._children.get(cid, ()):
                if self._nodes[child].message_ids == prefix:
                    stack.append(child)
                else:
                    exits.append(child)
        if len(exits) < 2:
            return None
        exits.sort(key=lambda cid: -self._nodes[cid].rank)
        chosen = next((i for i, cid in enumerate(exits) if cid in position), 0)
        return Fork(index, tuple(exits), chosen)

    def switch(self, path: BranchPath, index: int, step: int) -> str | None:
        """The tip of the sibling `step` places from the one `path` shows at message `index`
        (clamped to the first and the last); None when that message has no siblings."""
        fork = path.forks.get(index)
        if fork is None:
            return None
        chosen = max(0, min(len(fork.options) - 1, fork.chosen + step))
        return self.newest_leaf(fork.options[chosen])

    def tip_under(self, checkpoint_id: str) -> str | None:
        """The newest leaf under a checkpoint (where a run started from it got to)."""
        return self.newest_leaf(checkpoint_id) if checkpoint_id in self._nodes else None
