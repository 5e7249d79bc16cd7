"""What a deep agent (the `deepagents` harness) keeps in its thread state besides messages:
a plan (`todos`, replaced whole by every `write_todos` call) and files (`files`: path → record).

Both reach the client in `updates` events (`{"tools": {"todos": [...]}}`, `{"tools": {"files":
{path: record}}}`) and in `GET /threads/{id}/state` as `values.todos` / `values.files`. They are
read here, once, into plain values. No Textual import, no I/O.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The statuses `write_todos` takes; anything else is kept and shown as pending.
TODO_STATUSES = ("pending", "in_progress", "completed")


@dataclass(frozen=True, slots=True)
class Todo:
    content: str
    status: str = "pending"

    @property
    def done(self) -> bool:
        return self.status == "completed"

    @property
    def active(self) -> bool:
        return self.status == "in_progress"


@dataclass(frozen=True, slots=True)
class StateFile:
    """One file of the agent's state. `content` is text, or base64 when `encoding` says so."""

    path: str
    content: str
    encoding: str = "utf-8"
    created_at: str | None = None
    modified_at: str | None = None

    @property
    def is_binary(self) -> bool:
        return self.encoding == "base64"

    @property
    def size(self) -> int:
        """Size in bytes of what the file holds (decoded, for a base64 file)."""
        if self.is_binary:
            return len(self.content) * 3 // 4 - self.content[-2:].count("=")
        return len(self.content.encode("utf-8", "surrogatepass"))

    def data(self) -> bytes:
        """The file's bytes (what "save to disk" writes)."""
        if self.is_binary:
            try:
                return base64.b64decode(self.content, validate=False)
            except (binascii.Error, ValueError):
                return b""
        return self.content.encode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "encoding": self.encoding,
            "created_at": self.created_at,
            "modified_at": self.modified_at,
        }


def parse_todos(raw: Any) -> tuple[Todo, ...] | None:
    """A `todos` value as todos; None when it is not a list (no plan in this update)."""
    if not isinstance(raw, list):
        return None
    out = []
    for entry in raw:
        if isinstance(entry, dict):
            content = entry.get("content")
            status = entry.get("status")
            out.append(
                Todo(
                    content if isinstance(content, str) else str(content or ""),
                    status if isinstance(status, str) else "pending",
                )
            )
        elif isinstance(entry, str):
            out.append(Todo(entry))
    return tuple(out)


def parse_file(path: str, raw: Any) -> StateFile | None:
    """One file record; None for a deletion (a null record) or a shape we cannot read."""
    if isinstance(raw, str):  # a bare string is the content itself
        return StateFile(path, raw)
    if not isinstance(raw, dict):
        return None
    content = raw.get("content")
    if isinstance(content, list):  # older deepagents kept a list of lines
        content = "\n".join(str(line) for line in content)
    if not isinstance(content, str):
        content = "" if content is None else str(content)
    encoding = raw.get("encoding")
    created = raw.get("created_at")
    modified = raw.get("modified_at")
    return StateFile(
        path,
        content,
        encoding if isinstance(encoding, str) and encoding else "utf-8",
        created if isinstance(created, str) else None,
        modified if isinstance(modified, str) else None,
    )


def parse_files(raw: Any) -> dict[str, StateFile | None] | None:
    """A `files` value: path → file, None for a path deleted; None when it is not a mapping."""
    if not isinstance(raw, Mapping):
        return None
    return {str(path): parse_file(str(path), record) for path, record in raw.items()}


def merge_files(
    current: Mapping[str, StateFile], changes: Mapping[str, StateFile | None]
) -> dict[str, StateFile]:
    """The files after an update: changed paths replaced, deleted ones dropped."""
    merged = dict(current)
    for path, file in changes.items():
        if file is None:
            merged.pop(path, None)
        else:
            merged[path] = file
    return merged


def plan_progress(todos: tuple[Todo, ...]) -> tuple[int, int, Todo | None]:
    """(number of the task at hand, how many tasks, the task at hand): the one in progress,
    else the first not done; the number is 0 when every task is done."""
    for number, todo in enumerate(todos, 1):
        if todo.active:
            return number, len(todos), todo
    for number, todo in enumerate(todos, 1):
        if not todo.done:
            return number, len(todos), todo
    return 0, len(todos), None


def plan_summary(todos: tuple[Todo, ...]) -> str:
    """One line for a status bar: "Task 3 of 4 · Update the report", or "Plan done (4 tasks)"."""
    if not todos:
        return ""
    number, total, todo = plan_progress(todos)
    if todo is None:
        return f"Plan done ({total} task{'s' if total != 1 else ''})"
    return f"Task {number} of {total} · {todo.content}"


def human_size(size: int) -> str:
    """`812 B`, `4.2 KB`, `1.0 MB`, `2.5 GB`, in decimal units (1 KB = 1000 B), the ones the
    labels name. A size that would round up to the next unit is shown in it ("1.0 MB", never
    "1000.0 KB")."""
    if size < 1000:
        return f"{size} B"
    for power, unit in ((1, "KB"), (2, "MB")):
        value = size / 1000**power
        if round(value, 1) < 1000:
            return f"{value:.1f} {unit}"
    return f"{size / 1000**3:.1f} GB"
