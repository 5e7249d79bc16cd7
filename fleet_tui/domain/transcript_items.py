"""The items a transcript is made of: one per thing shown (a user message, a reply, its
reasoning, a tool call, an interrupt, an error, a notice).

An item changes in place; its `version` changes whenever it does, so a view can cache per item.
No Textual import here.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fleet_tui.domain.attachments import AttachmentInfo

if TYPE_CHECKING:
    from fleet_tui.domain.transcript import Transcript
    from fleet_tui.domain.usage import Usage

# "stopped": the run ended (cancelled, or the conversation was reopened) before the result
ToolState = Literal["running", "done", "failed", "stopped"]

_uids = itertools.count(1)


@dataclass(eq=False)
class Item:
    """Base of every transcript item."""

    uid: int = field(default_factory=lambda: next(_uids), init=False, repr=False)
    version: int = field(default=0, init=False, repr=False)
    # view state kept with the item so that it survives switching conversations
    expanded: bool = field(default=False, init=False, repr=False)
    # "2/3" on a message that has siblings (other branches of the thread); None without
    branch: str | None = field(default=None, init=False, repr=False)

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
    # the files sent with it: what its chips show
    attachments: tuple[AttachmentInfo, ...] = ()

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
    # what it cost, when its model reported it (shown on demand under the reply)
    usage: Usage | None = None
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
    # a sub-agent card: the run this call started (deep agents' `task`), its own transcript
    subagent: Transcript | None = field(default=None, repr=False)
    agent: str | None = None
    # an approval raised inside that sub-agent waits for the user
    waiting: bool = False
    # the user's answer when the call needed approval: "awaiting" until answered, then the
    # decision type ("approve", "edit", "reject", "respond"); `decision_detail` holds the new
    # arguments (edit), the reason (reject) or the response (respond)
    decision: str | None = None
    decision_detail: str = ""

    @property
    def is_subagent(self) -> bool:
        return self.subagent is not None or self.name == "task"

    @property
    def ran_args(self) -> dict[str, Any]:
        """The arguments the call ran with: the user's edited ones after an edit decision."""
        if self.decision == "edit" and self.decision_detail:
            try:
                edited = json.loads(self.decision_detail)
            except ValueError:
                return self.args
            if isinstance(edited, dict):
                return edited
        return self.args

    def set_result(self, content: str, failed: bool = False) -> None:
        self.result = content
        self.state = "failed" if failed else "done"
        self.auth_url = find_auth_url(content)
        self.touch()

    @property
    def copy_text(self) -> str:
        if self.auth_url:
            return self.auth_url
        args = json.dumps(self.ran_args, ensure_ascii=False, indent=2, default=str)
        out = f"{self.name}({args})"
        if self.result is not None:
            out += f"\n\n{self.result}"
        return out


@dataclass(eq=False)
class InterruptItem(Item):
    id: str | None = None
    value: Any = None
    resolved: bool = False
    # the server took the answer but the run it started failed: not "answered" on screen
    run_failed: bool = False
    # what the answer must look like (per-call HITL: the decisions allowed)
    response_schema: Any = None
    # the sub-agent it was raised in (its `tools:<task id>` segments); () for the agent itself
    namespace: tuple[str, ...] = ()
    # once answered: (decision type, tool name) per gated call ("approve", "edit", "reject",
    # "respond"); empty for an answer that decides no tool call (a free answer)
    decisions: tuple[tuple[str, str], ...] = ()

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
