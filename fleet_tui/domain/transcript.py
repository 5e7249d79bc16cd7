"""A plain model of one conversation as it appears on screen.

The message pane draws a `Transcript`; the app feeds it domain events (`events.py`) or stored
messages. Items are only ever appended or changed in place, so an item's index is stable: a view
can cache per index. Each item carries a `version` that changes whenever it does.
No Textual import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from fleet_tui.common.errors import error_words, split_stored_error
from fleet_tui.domain.attachments import AttachmentInfo
from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    RunError,
    RunStarted,
    SubagentBound,
    SubagentEvent,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.message_identity import MessageIndex, server_id_of, stand_in_id
from fleet_tui.domain.transcript_items import (
    AssistantItem,
    ErrorItem,
    InterruptItem,
    Item,
    NoticeItem,
    ReasoningItem,
    ToolItem,
    ToolState,
    UserItem,
    find_auth_url,
)
from fleet_tui.domain.transcript_subagents import SubagentRuns
from fleet_tui.domain.usage import Usage

__all__ = [
    "AssistantItem",
    "ErrorItem",
    "InterruptItem",
    "Item",
    "Listener",
    "NoticeItem",
    "ReasoningItem",
    "ToolItem",
    "ToolState",
    "Transcript",
    "UserItem",
    "find_auth_url",
]

Listener = Callable[[list[int]], None]


class Transcript(SubagentRuns):
    """The items of one conversation, plus indexes to find them by id.

    Mutate it through `apply`, `add_*` or `add_messages`: they return the indices of the items
    they changed or added and tell every subscriber (the pane showing it, if any).
    """

    def __init__(self, items: Iterable[Item] = ()) -> None:
        self.items: list[Item] = []
        self.run_id: str | None = None
        self._assistant: dict[str, int] = {}
        self._reasoning: dict[str, int] = {}
        self._tools: dict[str, int] = {}
        self._interrupts: dict[str, int] = {}
        # user messages, found by the one identity rule (`message_identity`)
        self._users: MessageIndex[int] = MessageIndex()
        self._stored_rows: set[int] = set()  # store rows already shown
        self._listeners: list[Listener] = []
        # sub-agent runs by namespace segment, and the tool call each one is tied to
        self._runs: dict[str, Transcript] = {}
        self._run_call: dict[str, str] = {}
        # stored sub-agent messages by the `task` call they belong to, until its card is shown
        self._nested_rows: dict[str, list[Any]] = {}
        # the cost of each agent message that reported one, by message id (a reply that only
        # calls tools has no item of its own, and counts too: see `transcript_usage`)
        self.usage: dict[str, Usage] = {}
        for item in items:
            self._append(item)

    # -- reading ----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Item:
        return self.items[index]

    def message_ids(self) -> set[str]:
        """Server ids of the agent messages shown (for `EventNormalizer(seen_message_ids=...)`)."""
        return {key for key in self._assistant if server_id_of(key)}

    def last_user_text(self) -> str | None:
        """The text of the latest user message (what "retry" sends again)."""
        for item in reversed(self.items):
            if isinstance(item, UserItem):
                return item.text
        return None

    @property
    def tools(self) -> list[ToolItem]:
        return [item for item in self.items if isinstance(item, ToolItem)]

    # -- subscribers ------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, changed: list[int]) -> list[int]:
        if changed:
            for listener in list(self._listeners):
                listener(changed)
        return changed

    def changed(self, *indices: int) -> list[int]:
        """Tell subscribers that items were modified from outside (e.g. `expanded` flags)."""
        for index in indices:
            self.items[index].touch()
        return self._notify(list(indices))

    # -- building ---------------------------------------------------------------------
    def _append(self, item: Item) -> int:
        index = len(self.items)
        self.items.append(item)
        if isinstance(item, AssistantItem) and item.message_id:
            self._assistant[item.message_id] = index
        elif isinstance(item, ReasoningItem) and item.message_id:
            self._reasoning[item.message_id] = index
        elif isinstance(item, ToolItem) and item.call_id:
            self._tools[item.call_id] = index
        elif isinstance(item, InterruptItem) and item.id:
            self._interrupts[item.id] = index
        elif isinstance(item, UserItem):
            self._users.add(index, item.message_id, "human", item.text)
        return index

    def add_user(
        self,
        text: str,
        message_id: str | None = None,
        attachments: tuple[AttachmentInfo, ...] = (),
    ) -> int:
        index = self._append(UserItem(text=text, message_id=message_id, attachments=attachments))
        self._notify([index])
        return index

    def add_error(self, title: str, message: str, retryable: bool = True) -> int:
        index = self._append(ErrorItem(title=title, message=message, retryable=retryable))
        self._notify([index])
        return index

    def add_notice(self, text: str) -> int:
        index = self._append(NoticeItem(text=text))
        self._notify([index])
        return index

    @classmethod
    def from_messages(cls, messages: Iterable[Any]) -> Transcript:
        """A transcript of stored messages (role, content, tool_calls, tool_call_id, name,
        complete, reasoning, server_id/id)."""
        transcript = cls()
        transcript._add_messages(messages)
        return transcript

    def add_messages(self, messages: Iterable[Any]) -> list[int]:
        """Append stored messages (e.g. ones found on the server after opening)."""
        return self._notify(self._add_messages(messages))

    def _add_messages(self, messages: Iterable[Any]) -> list[int]:
        own: list[Any] = []
        for message in messages:
            parent = getattr(message, "parent_call_id", None)
            if parent:
                row_id = getattr(message, "id", None)
                if isinstance(row_id, int):
                    if row_id in self._stored_rows:
                        continue
                    self._stored_rows.add(row_id)
                self._nested_rows.setdefault(parent, []).append(message)
            else:
                own.append(message)
        changed = self._add_rows(own)
        if self._nested_rows:
            changed = sorted({*changed, *self._nest_rows()})
        return changed

    def _add_rows(self, messages: Iterable[Any]) -> list[int]:
        changed: list[int] = []
        for message in messages:
            role = getattr(message, "role", "")
            content = getattr(message, "content", "") or ""
            if not isinstance(content, str):
                content = str(content)
            server_id = server_id_of(getattr(message, "server_id", None))
            row_id = getattr(message, "id", None)
            if isinstance(row_id, int):
                if row_id in self._stored_rows:
                    continue
                self._stored_rows.add(row_id)
            # Rows are distinct messages (the store was written by the identity rule), so
            # a row is only checked against what came from events, by its server id.
            if role == "human":
                if server_id and self._users.knows(server_id, "human", content):
                    continue
                files = tuple(getattr(message, "attachments", ()) or ())
                user = UserItem(text=content, message_id=server_id, attachments=files)
                changed.append(self._append(user))
            elif role == "ai":
                if server_id and server_id in self._assistant:
                    continue
                message_id = server_id or stand_in_id("row", row_id)
                usage = getattr(message, "usage", None)
                if isinstance(usage, Usage):
                    self.usage[message_id] = usage
                reasoning = getattr(message, "reasoning", "") or ""
                if reasoning:
                    changed.append(
                        self._append(ReasoningItem(message_id=message_id or "", text=reasoning))
                    )
                if content:
                    complete = bool(getattr(message, "complete", True))
                    item = AssistantItem.with_text(
                        message_id,
                        content,
                        complete=True,
                        interrupted=not complete,
                        usage=usage if isinstance(usage, Usage) else None,
                    )
                    changed.append(self._append(item))
                for call in getattr(message, "tool_calls", None) or ():
                    if not isinstance(call, dict):
                        continue
                    call_id = str(call.get("id") or f"{message_id}-{len(self.items)}")
                    if call_id in self._tools:
                        continue
                    args = call.get("args")
                    tool = ToolItem(
                        call_id=call_id,
                        name=str(call.get("name") or "tool"),
                        args=args if isinstance(args, dict) else {"__value__": args},
                    )
                    changed.append(self._append(tool))
            elif role == "tool":
                tool_call_id = getattr(message, "tool_call_id", None)
                index = self._tools.get(tool_call_id) if tool_call_id else None
                if index is None:
                    tool = ToolItem(
                        call_id=tool_call_id or server_id or stand_in_id("row", row_id),
                        name=getattr(message, "name", None) or "tool",
                    )
                    index = self._append(tool)
                tool_item = self.items[index]
                assert isinstance(tool_item, ToolItem)
                tool_item.set_result(content, failed=getattr(message, "status", "") == "error")
                changed.append(index)
            elif role == "error":
                title, text = split_stored_error(content)
                changed.append(self._append(ErrorItem(title, text, retryable=False)))
            # system messages are instructions to the model, not part of the conversation
        return sorted(set(changed))

    # -- events -----------------------------------------------------------------------
    def apply(self, event: Event) -> list[int]:
        """Apply one domain event; the indices of the items it changed or added."""
        return self._notify(self._apply(event))

    def _apply(self, event: Event) -> list[int]:
        if isinstance(event, TextDelta):
            return self._text_delta(event)
        if isinstance(event, ReasoningDelta):
            return self._reasoning_delta(event)
        if isinstance(event, ToolCallStarted):
            return self._tool_call(event.call.id, event.call.name, event.call.args)
        if isinstance(event, ToolResult):
            return self._tool_result(event)
        if isinstance(event, MessageComplete):
            return self._message_complete(event)
        if isinstance(event, SubagentEvent):
            return self._subagent_event(event)
        if isinstance(event, SubagentBound):
            return self._subagent_bound(event)
        if isinstance(event, InterruptRequest):
            if event.id and event.id in self._interrupts:
                return []
            item = InterruptItem(
                id=event.id,
                value=event.value,
                response_schema=event.response_schema,
                namespace=event.namespace,
            )
            return [self._append(item), *self._mark_waiting(event.namespace, True)]
        if isinstance(event, RunError):
            return [self._append(ErrorItem(*error_words(event.error, event.message)))]
        if isinstance(event, RunEnded):
            if event.status in ("cancelled", "error"):
                ended: ToolState = "failed" if event.status == "error" else "stopped"
                return self.mark_incomplete(notify=False, ended=ended)
            return self._finish_reasoning()
        if isinstance(event, RunStarted):
            self.run_id = event.run_id
        return []

    def _assistant_for(self, message_id: str, node: str | None = None) -> tuple[int, bool]:
        index = self._assistant.get(message_id)
        if index is not None:
            return index, False
        return self._append(AssistantItem(message_id=message_id, node=node)), True

    def _text_delta(self, event: TextDelta) -> list[int]:
        changed = self._finish_reasoning(event.message_id)
        index, _ = self._assistant_for(event.message_id, event.node)
        item = self.items[index]
        assert isinstance(item, AssistantItem)
        item.append(event.text)
        changed.append(index)
        return changed

    def _reasoning_delta(self, event: ReasoningDelta) -> list[int]:
        index = self._reasoning.get(event.message_id)
        if index is None:
            started = time.monotonic()
            index = self._append(ReasoningItem(message_id=event.message_id, started=started))
        item = self.items[index]
        assert isinstance(item, ReasoningItem)
        item.text += event.text
        item.touch()
        return [index]

    def _finish_reasoning(self, message_id: str | None = None) -> list[int]:
        if message_id is not None:
            index = self._reasoning.get(message_id)
            indices = [index] if index is not None else []
        else:
            indices = list(self._reasoning.values())
        changed = []
        for index in indices:
            item = self.items[index]
            if isinstance(item, ReasoningItem) and item.finish():
                changed.append(index)
        return changed

    def _tool_call(self, call_id: str, name: str, args: dict[str, Any]) -> list[int]:
        if call_id in self._tools:
            return []
        return [self._append(ToolItem(call_id=call_id, name=name, args=dict(args)))]

    def _tool_result(self, event: ToolResult) -> list[int]:
        call_id = event.tool_call_id or event.message_id
        changed = []
        index = self._tools.get(call_id)
        if index is None:
            index = self._append(ToolItem(call_id=call_id, name=event.name or "tool"))
        item = self.items[index]
        assert isinstance(item, ToolItem)
        item.set_result(event.content, failed=event.status == "error")
        changed.append(index)
        return changed

    def _message_complete(self, event: MessageComplete) -> list[int]:
        if event.role == "human":
            server_id = server_id_of(event.message_id)
            index = self._users.find(server_id, "human", event.content)
            if index is None:
                return [self._append(UserItem(text=event.content, message_id=server_id))]
            # the user's own message echoed back by the server: adopt the id, do not repeat it
            item = self.items[index]
            if isinstance(item, UserItem) and item.message_id is None:
                item.message_id = server_id
            return []
        if event.role != "ai":
            return []
        changed = self._finish_reasoning(event.message_id)
        if event.reasoning and event.message_id not in self._reasoning:
            item = ReasoningItem(message_id=event.message_id, text=event.reasoning)
            changed.append(self._append(item))
        if event.usage is not None:
            self.usage[event.message_id] = event.usage
        index = self._assistant.get(event.message_id)
        if index is None and event.content:
            index = self._append(AssistantItem(message_id=event.message_id))
        if index is not None:
            item = self.items[index]
            assert isinstance(item, AssistantItem)
            if event.content and not item.equals(event.content):
                item.replace(event.content)
            item.usage = event.usage or item.usage
            item.complete = True
            item.touch()
            changed.append(index)
        for call in event.tool_calls:
            changed.extend(self._tool_call(call.id, call.name, call.args))
        return changed

    def mark_incomplete(self, *, notify: bool = True, ended: ToolState = "failed") -> list[int]:
        """Mark replies still streaming as interrupted and calls still running as `ended`
        ("stopped" after a cancel, "failed" after an error)."""
        changed = self._finish_reasoning()
        for index, item in enumerate(self.items):
            if isinstance(item, AssistantItem) and not item.complete:
                item.complete = True
                item.interrupted = True
                item.touch()
                changed.append(index)
            elif isinstance(item, ToolItem) and item.state == "running" and not self._waiting():
                item.state = ended
                if item.subagent is not None:
                    item.subagent.mark_incomplete(notify=False, ended=ended)
                item.touch()
                changed.append(index)
        changed = sorted(set(changed))
        return self._notify(changed) if notify else changed

    def settle_stored(self, *, keep_last_turn: bool = False) -> list[int]:
        """A transcript rebuilt from the store while no run is going: no call is still
        running. A call without a result is "failed" when an error closed its turn, else
        "stopped"; its sub-agent's unfinished reply reads interrupted. `keep_last_turn` leaves
        the calls after the last user message as they are (the thread waits for approvals,
        which mark the calls they gate once read from the server)."""
        last_user = max(
            (i for i, item in enumerate(self.items) if isinstance(item, UserItem)), default=-1
        )
        changed: list[int] = []
        error_after = False  # an error shown later in the same turn
        for index in range(len(self.items) - 1, -1, -1):
            item = self.items[index]
            if isinstance(item, UserItem):
                error_after = False
            elif isinstance(item, ErrorItem):
                error_after = True
            elif isinstance(item, ToolItem) and item.state == "running":
                if (keep_last_turn and index > last_user) or item.waiting:
                    continue
                if item.decision == "awaiting":
                    continue
                item.state = "failed" if error_after else "stopped"
                if item.subagent is not None:
                    item.subagent.mark_incomplete(notify=False, ended=item.state)
                item.touch()
                changed.append(index)
        return self._notify(sorted(changed))

    def _waiting(self) -> bool:
        return any(isinstance(i, InterruptItem) and not i.resolved for i in self.items)

    def insert_answered(self, index: int, item: InterruptItem) -> None:
        """Put an answered interrupt at `index` (where it was raised). Only for a transcript
        rebuilt from the store that no view shows yet: it moves the items after it."""
        self.items.insert(index, item)
        items, self.items = self.items, []
        self._assistant, self._reasoning, self._tools, self._interrupts = {}, {}, {}, {}
        self._users = MessageIndex()
        for each in items:
            self._append(each)

    def resolve_interrupt(
        self,
        interrupt_id: str | None,
        decisions: tuple[tuple[str, str], ...] = (),
        *,
        run_failed: bool = False,
    ) -> list[int]:
        """Mark one interrupt answered with `decisions` ((type, tool name) per gated call),
        and its sub-agent's card no longer waiting; `run_failed`: the server took the answer,
        then the run it started failed."""
        changed = []
        for index, item in enumerate(self.items):
            if isinstance(item, InterruptItem) and item.id == interrupt_id and not item.resolved:
                item.resolved = True
                item.decisions = decisions
                item.run_failed = run_failed
                item.touch()
                changed.append(index)
                namespace = item.namespace
                if not any(
                    isinstance(i, InterruptItem) and not i.resolved and i.namespace == namespace
                    for i in self.items
                ):
                    changed.extend(self._mark_waiting(item.namespace, False))
        return self._notify(sorted(set(changed)))

    def resolve_interrupts(self) -> list[int]:
        """Mark pending interrupts as answered."""
        changed = []
        for index, item in enumerate(self.items):
            if isinstance(item, InterruptItem) and not item.resolved:
                item.resolved = True
                item.touch()
                changed.append(index)
                changed.extend(self._mark_waiting(item.namespace, False))
        return self._notify(sorted(set(changed)))
