"""A plain model of one conversation as it appears on screen.

The message pane draws a `Transcript`; the app feeds it domain events (`events.py`) or stored
messages. Items are only ever appended or changed in place, so an item's index is stable: a view
can cache per index. Each item carries a `version` that changes whenever it does.
No Textual import here.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from fleet_tui.domain.events import (
    Event,
    InterruptRequest,
    MessageComplete,
    ReasoningDelta,
    RunEnded,
    RunError,
    RunStarted,
    TextDelta,
    ToolCallStarted,
    ToolResult,
)
from fleet_tui.domain.message_identity import MessageIndex, server_id_of, stand_in_id

ToolState = Literal["running", "done", "failed"]
Listener = Callable[[list[int]], None]

_uids = itertools.count(1)


@dataclass(eq=False)
class Item:
    """Base of every transcript item."""

    uid: int = field(default_factory=lambda: next(_uids), init=False, repr=False)
    version: int = field(default=0, init=False, repr=False)
    # view state kept with the item so that it survives switching conversations
    expanded: bool = field(default=False, init=False, repr=False)

    def touch(self) -> None:
        self.version += 1

    @property
    def copy_text(self) -> str:
        """What "copy" puts on the clipboard for this item."""
        return ""


@dataclass(eq=False)
class UserItem(Item):
    text: str = ""
    # the server's id, once known (a message the user just sent has none yet)
    message_id: str | None = None

    @property
    def copy_text(self) -> str:
        return self.text


@dataclass(eq=False)
class AssistantItem(Item):
    """An agent reply. Its text grows by appending; `generation` changes when it is replaced."""

    message_id: str = ""
    complete: bool = False
    interrupted: bool = False
    node: str | None = None
    generation: int = field(default=0, init=False, repr=False)
    _parts: list[str] = field(default_factory=list, init=False, repr=False)
    _length: int = field(default=0, init=False, repr=False)

    @classmethod
    def with_text(cls, message_id: str, text: str, **kwargs: Any) -> AssistantItem:
        item = cls(message_id=message_id, **kwargs)
        item.append(text)
        return item

    @property
    def text(self) -> str:
        parts = self._parts
        if len(parts) > 1:
            joined = "".join(parts)
            parts[:] = [joined]
            return joined
        return parts[0] if parts else ""

    @property
    def length(self) -> int:
        return self._length

    def text_from(self, offset: int) -> str:
        """The text from `offset` on, without joining what comes before it.

        A streaming view asks only for the part it has not settled, so a token costs the same
        at the end of a long reply as at its start.
        """
        if offset <= 0:
            return self.text
        parts = self._parts
        taken: list[str] = []
        remaining = self._length - offset
        for part in reversed(parts):
            if remaining <= 0:
                break
            if len(part) <= remaining:
                taken.append(part)
                remaining -= len(part)
            else:
                taken.append(part[len(part) - remaining :])
                remaining = 0
        taken.reverse()
        return "".join(taken)

    def equals(self, text: str) -> bool:
        """`self.text == text`, compared part by part (a reply of megabytes is not joined)."""
        if len(text) != self._length:
            return False
        position = 0
        for part in self._parts:
            if not text.startswith(part, position):
                return False
            position += len(part)
        return True

    def count(self, text: str) -> int:
        """How many times `text` is in the reply, counted part by part (never joined: a
        `text` that spans two parts is missed, which a count of "\\n" never is)."""
        return sum(part.count(text) for part in self._parts)

    def text_window(self, start: int, end: int) -> str:
        """`text[start:end]`, without joining or copying the rest of the text.

        A reply of megabytes is drawn a window at a time; copying its tail every frame would
        cost more than drawing it.
        """
        parts = self._parts
        if len(parts) > 256:
            self.text  # noqa: B018 - joins them, once: a walk over thousands would cost more
        if not parts:
            return ""
        first = parts[0]
        if end <= len(first):
            return first[start:end]
        pieces: list[str] = []
        position = self._length
        for part in reversed(parts):
            part_start = position - len(part)
            if part_start < end:
                pieces.append(part[max(0, start - part_start) : end - part_start])
            if part_start <= start:
                break
            position = part_start
        pieces.reverse()
        return "".join(pieces)

    def append(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self._length += len(text)
            self.touch()

    def replace(self, text: str) -> None:
        self._parts[:] = [text] if text else []
        self._length = len(text)
        self.generation += 1
        self.touch()

    @property
    def copy_text(self) -> str:
        return self.text


@dataclass(eq=False)
class ReasoningItem(Item):
    message_id: str = ""
    text: str = ""
    seconds: float | None = None
    started: float | None = field(default=None, repr=False)

    @property
    def thinking(self) -> bool:
        """Still receiving reasoning (no time measured yet)."""
        return self.started is not None and self.seconds is None

    def finish(self) -> bool:
        if self.started is not None and self.seconds is None:
            self.seconds = max(0.0, time.monotonic() - self.started)
            self.touch()
            return True
        return False

    @property
    def copy_text(self) -> str:
        return self.text


@dataclass(eq=False)
class ToolItem(Item):
    call_id: str = ""
    name: str = "tool"
    args: dict[str, Any] = field(default_factory=dict)
    result: str | None = None
    state: ToolState = "running"
    auth_url: str | None = None

    def set_result(self, content: str, failed: bool = False) -> None:
        self.result = content
        self.state = "failed" if failed else "done"
        self.auth_url = find_auth_url(content)
        self.touch()

    @property
    def copy_text(self) -> str:
        if self.auth_url:
            return self.auth_url
        args = json.dumps(self.args, ensure_ascii=False, indent=2, default=str)
        out = f"{self.name}({args})"
        if self.result is not None:
            out += f"\n\n{self.result}"
        return out


@dataclass(eq=False)
class InterruptItem(Item):
    id: str | None = None
    value: Any = None
    resolved: bool = False
    # what the answer must look like (per-call HITL: the decisions allowed)
    response_schema: Any = None

    @property
    def copy_text(self) -> str:
        return json.dumps(self.value, ensure_ascii=False, indent=2, default=str)


@dataclass(eq=False)
class ErrorItem(Item):
    title: str = "Error"
    message: str = ""
    retryable: bool = True

    @property
    def copy_text(self) -> str:
        return f"{self.title}: {self.message}"


@dataclass(eq=False)
class NoticeItem(Item):
    text: str = ""

    @property
    def copy_text(self) -> str:
        return self.text


def find_auth_url(content: str | None) -> str | None:
    """The URL of a Fleet tool result asking for OAuth: {"auth_required": true, "auth_url": ...}."""
    if not content or "auth_url" not in content:
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    candidates = data if isinstance(data, list) else [data]
    for entry in candidates:
        if isinstance(entry, dict) and entry.get("auth_required") and entry.get("auth_url"):
            url = entry["auth_url"]
            return url if isinstance(url, str) else None
    return None


class Transcript:
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

    def add_user(self, text: str, message_id: str | None = None) -> int:
        index = self._append(UserItem(text=text, message_id=message_id))
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
                changed.append(self._append(UserItem(text=content, message_id=server_id)))
            elif role == "ai":
                if server_id and server_id in self._assistant:
                    continue
                message_id = server_id or stand_in_id("row", row_id)
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
                changed.append(self._append(ErrorItem("Error", content, retryable=False)))
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
        if isinstance(event, InterruptRequest):
            if event.id and event.id in self._interrupts:
                return []
            item = InterruptItem(
                id=event.id, value=event.value, response_schema=event.response_schema
            )
            return [self._append(item)]
        if isinstance(event, RunError):
            return [self._append(ErrorItem(event.error or "Error", event.message))]
        if isinstance(event, RunEnded):
            if event.status in ("cancelled", "error"):
                return self.mark_incomplete(notify=False)
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
        index = self._assistant.get(event.message_id)
        if index is None and event.content:
            index = self._append(AssistantItem(message_id=event.message_id))
        if index is not None:
            item = self.items[index]
            assert isinstance(item, AssistantItem)
            if event.content and not item.equals(event.content):
                item.replace(event.content)
            item.complete = True
            item.touch()
            changed.append(index)
        for call in event.tool_calls:
            changed.extend(self._tool_call(call.id, call.name, call.args))
        return changed

    def mark_incomplete(self, *, notify: bool = True) -> list[int]:
        """Mark replies still streaming as interrupted (a cancelled or broken run)."""
        changed = self._finish_reasoning()
        for index, item in enumerate(self.items):
            if isinstance(item, AssistantItem) and not item.complete:
                item.complete = True
                item.interrupted = True
                item.touch()
                changed.append(index)
            elif isinstance(item, ToolItem) and item.state == "running" and not self._waiting():
                item.state = "failed"
                item.touch()
                changed.append(index)
        changed = sorted(set(changed))
        return self._notify(changed) if notify else changed

    def _waiting(self) -> bool:
        return any(isinstance(i, InterruptItem) and not i.resolved for i in self.items)

    def resolve_interrupts(self) -> list[int]:
        """Mark pending interrupts as answered."""
        changed = []
        for index, item in enumerate(self.items):
            if isinstance(item, InterruptItem) and not item.resolved:
                item.resolved = True
                item.touch()
                changed.append(index)
        return self._notify(changed)
