"""A conversation's branches: reading the thread's checkpoint tree from the server, keeping
the store's messages on the branch shown, and its marks ("‹ 2/3 ›") on the transcript.
No Textual import.

Which branch is shown. The TUI keeps the user's choice (`Conversation.branch_tip`, a tip that
went on since resolves to where its branch got to); `ask --thread` follows the server's
newest checkpoint, the head. A run that starts from a checkpoint (an edit, a regeneration, a
message sent on a branch that is not the head) is a fork: its new branch becomes the choice.

Reading the tree costs a request (a page of full states), so a refresh reads it only when it
matters: the conversation was never read, it has branches or a chosen branch, or the head's
messages left the ones stored (a fork made elsewhere: the web UI, the SDK).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fleet_tui.common.errors import FleetError
from fleet_tui.domain.branches import BranchPath, BranchTree, message_key
from fleet_tui.domain.events import message_role, split_content
from fleet_tui.domain.message_identity import same_message
from fleet_tui.domain.transcript import AssistantItem, Transcript, UserItem
from fleet_tui.storage.store import BranchPoint, Conversation, Store, StoredMessage

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient

__all__ = [
    "HISTORY_BOUND",
    "HISTORY_PAGE",
    "Followed",
    "align",
    "follow",
    "keep",
    "mark",
    "marks_differ",
    "message_at",
    "read_tree",
    "wants_tree",
]

# A page of history holds whole states (every message, a deep agent's files): pages stay
# small and a long thread is read only so far back; forks further back are out of reach.
HISTORY_PAGE = 50
HISTORY_BOUND = 500


async def read_tree(
    client: FleetClient, thread_id: str, *, page: int = HISTORY_PAGE, bound: int = HISTORY_BOUND
) -> BranchTree:
    """The thread's checkpoint tree, newest first, at most `bound` checkpoints back."""
    states: list[dict[str, Any]] = []
    before: str | None = None
    while len(states) < bound:
        limit = min(page, bound - len(states))
        batch = await client.thread_history(thread_id, limit=limit, before=before)
        states.extend(batch)
        last = batch[-1].get("checkpoint") if batch else None
        before = last.get("checkpoint_id") if isinstance(last, dict) else None
        if len(batch) < limit or not isinstance(before, str):
            break
    return BranchTree(states)


def align(store: Store, conversation_id: int, path: BranchPath) -> bool:
    """Make the stored messages the path's: the rows from the first one of another branch on
    are set aside, and the path's messages not stored come back from aside (as they were
    stored) where they can. True when rows were set aside or brought back; the messages still
    missing are left for `sync.reconcile_messages` to add, after these."""
    cut, held = _cut_point(store.messages(conversation_id), path)
    changed = False
    if cut is not None:
        store.set_aside(conversation_id, cut)
        changed = True
    for index in range(held, len(path.messages)):
        if not store.bring_back(conversation_id, message_key(path.messages[index], index)):
            break  # from here on the server's copies are added, in order
        changed = True
    return changed


def _cut_point(stored: Sequence[StoredMessage], path: BranchPath) -> tuple[int | None, int]:
    """The seq of the first stored message that is not the path's (one with a server id the
    path lacks, or one without — sent here, not matched yet — that is not the path's next
    message of its role by the identity rule), and how many of the path's messages the rows
    before it hold."""
    ids = path.message_ids
    position = {mid: i for i, mid in enumerate(ids)}
    roles = [message_role(m) for m in path.messages]
    following = 0
    for row in stored:
        if row.parent_call_id or row.role not in ("human", "ai", "tool"):
            continue
        if row.server_id:
            found = position.get(row.server_id)
            if found is None:
                return row.seq, following
            following = found + 1
            continue
        match = next((i for i in range(following, len(ids)) if roles[i] == row.role), None)
        if match is None:
            return row.seq, following
        text = split_content(path.messages[match].get("content"))[0]
        if not same_message(None, row.role, row.content, ids[match], row.role, text):
            return row.seq, following
        following = match + 1
    return None, following


def keep(
    store: Store, conversation: Conversation, path: BranchPath, *, choice: bool
) -> Conversation:
    """Store the path's points and number, and its tip when the branch shown is the user's
    `choice`. The conversation as stored after."""
    points = []
    for index, message in enumerate(path.messages):
        fork = path.forks.get(index)
        points.append(
            BranchPoint(
                message_key(message, index),
                path.before[index] if index < len(path.before) else None,
                fork.options if fork else (),
                fork.chosen if fork else 0,
            )
        )
    store.save_branch_points(conversation.id, points)
    tip = path.tip if choice else conversation.branch_tip
    store.set_branch(conversation.id, tip, path.number, path.count)
    return store.get_conversation(conversation.id) or conversation


def mark(transcript: Transcript, points: dict[str, BranchPoint]) -> None:
    """Put "2/3" on the transcript's messages that have siblings."""
    for item in transcript.items:
        if isinstance(item, (UserItem, AssistantItem)):
            point = points.get(item.message_id or "")
            label = point.label if point is not None else None
            if item.branch != label:
                item.branch = label
                item.touch()


def marks_differ(transcript: Transcript, points: dict[str, BranchPoint]) -> bool:
    """Whether the transcript's marks are not the points' (a message without its server id
    yet cannot be marked: the transcript is rebuilt from the store, which has it)."""
    marked = any(p.label for p in points.values())
    for item in transcript.items:
        if isinstance(item, (UserItem, AssistantItem)):
            if marked and not item.message_id:
                return True
            point = points.get(item.message_id or "")
            if item.branch != (point.label if point is not None else None):
                return True
    return False


def message_at(transcript: Transcript, index: int, path: BranchPath) -> int | None:
    """The path's index of the message transcript item `index` shows: by its server id, else
    by its place among the messages of its role (a message just sent has no id yet)."""
    items = transcript.items
    if not 0 <= index < len(items):
        return None
    item = items[index]
    if not isinstance(item, (UserItem, AssistantItem)):
        return None
    if item.message_id:
        found = path.index_of(item.message_id)
        if found is not None:
            return found
    if isinstance(item, AssistantItem):
        return None  # a reply is known by its id only (one may be tool calls without text)
    ordinal = sum(1 for other in items[:index] if isinstance(other, UserItem))
    humans = [i for i, m in enumerate(path.messages) if message_role(m) == "human"]
    return humans[ordinal] if ordinal < len(humans) else None


@dataclass
class Followed:
    """What `follow` found: the branch shown, whether it is the head, whether the stored
    messages changed."""

    path: BranchPath
    at_head: bool
    changed: bool


def _diverged(store: Store, conversation_id: int, head_messages: Sequence[Any]) -> bool:
    head_ids = {message_key(m, i) for i, m in enumerate(head_messages)}
    return any(
        m.server_id and m.server_id not in head_ids
        for m in store.messages(conversation_id)
        if not m.parent_call_id and m.role in ("human", "ai", "tool")
    )


def wants_tree(
    store: Store, conversation: Conversation, head_messages: Iterable[Any], *, choice: bool
) -> bool:
    if conversation.branch_count is None or conversation.branch_count > 1:
        return True
    if choice and conversation.branch_tip is not None:
        return True
    return _diverged(store, conversation.id, list(head_messages))


async def follow(
    client: FleetClient,
    store: Store,
    conversation: Conversation,
    head_messages: Sequence[Any],
    *,
    choice: bool,
) -> Followed | None:
    """Read the tree if it matters (see the module's doc), put the store on the branch shown
    and keep its points. None when the tree was not read."""
    if not conversation.thread_id or not wants_tree(
        store, conversation, head_messages, choice=choice
    ):
        return None
    try:
        tree = await read_tree(client, conversation.thread_id)
    except FleetError:
        if choice and conversation.branch_tip is not None:
            raise  # the head is not the branch shown: the refresh cannot go on without it
        return None  # the head is what is shown anyway; its branches are read next time
    if tree.head is None:
        return None
    path = tree.path(conversation.branch_tip if choice else None)
    changed = align(store, conversation.id, path)
    keep(store, conversation, path, choice=choice and conversation.branch_tip is not None)
    return Followed(path, path.tip == tree.head, changed)
