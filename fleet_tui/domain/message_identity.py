"""When two messages are the same message: the one rule the normaliser, the transcript, the
recorder and the reconcile all follow. No Textual import.

1. Both carry a server id (the `id` the Agent Server gives a message): they are the same
   message exactly when the ids are equal. Two replies "yes" with different ids are two
   messages.
2. Otherwise (either side has none) they are the same message when they have the same role
   and the same text, whitespace at both ends ignored.

Why role and text for the fallback: a message without a server id (the user's own message
before the server echoes it back, a server or model that sends none) has nothing else that
survives every path it takes. Its position in one stream is not its position in `/state` or
in the store, and a key made up while streaming (`anon-…`, below) exists only in that stream;
the text is what every path carries.

A known message without a server id *adopts* the id of the first message with one that
matches it; from then on rule 1 applies to it, so one local message is never taken for two
server messages. The rule decides whether a message that *arrives* (an event, a server
message) is one already *known* (shown, stored); rows of the store are never matched with
each other: each is a message of its own, the rule having been applied when it was written.

Names: a `server_id` is the server's id of a message; a `row_id` is the local store's
integer key of a row. Domain events call the server id `message_id`, and use a stand-in
(`stand_in_id`) for a message the server sent without one: `server_id_of` tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

STAND_IN_PREFIX = "anon-"


def stand_in_id(*parts: object) -> str:
    """A key for a message the server sent without an id, good within one stream only."""
    return STAND_IN_PREFIX + "-".join(str(p) for p in parts)


def server_id_of(message_id: object) -> str | None:
    """The server id in an event's `message_id`: None for none, or for a stand-in."""
    if not isinstance(message_id, str) or not message_id:
        return None
    return None if message_id.startswith(STAND_IN_PREFIX) else message_id


def text_key(role: str, text: str) -> tuple[str, str]:
    """What the fallback compares."""
    return role, text.strip()


def same_message(
    a_server_id: str | None,
    a_role: str,
    a_text: str,
    b_server_id: str | None,
    b_role: str,
    b_text: str,
) -> bool:
    """The rule, for two messages."""
    a_id, b_id = server_id_of(a_server_id), server_id_of(b_server_id)
    if a_id and b_id:
        return a_id == b_id
    return text_key(a_role, a_text) == text_key(b_role, b_text)


@dataclass(slots=True)
class _Entry(Generic[T]):
    server_id: str | None
    value: T


class MessageIndex(Generic[T]):
    """Known messages (each with a value: a row, an item index…), found by the rule.

    `find` returns the value of the known message that is the same as the one asked about,
    oldest first; a known message without a server id adopts the asking one's (see above).
    """

    def __init__(self) -> None:
        self._by_id: dict[str, _Entry[T]] = {}
        self._by_text: dict[tuple[str, str], list[_Entry[T]]] = {}

    def __contains__(self, server_id: object) -> bool:
        return isinstance(server_id, str) and server_id in self._by_id

    def server_ids(self) -> set[str]:
        return set(self._by_id)

    def add(self, value: T, server_id: str | None, role: str, text: str) -> None:
        entry = _Entry(server_id_of(server_id), value)
        if entry.server_id:
            self._by_id[entry.server_id] = entry
        self._by_text.setdefault(text_key(role, text), []).append(entry)

    def add_ids(self, server_ids: Iterable[str]) -> None:
        """Messages known by their id alone (their text is not at hand)."""
        for server_id in server_ids:
            if sid := server_id_of(server_id):
                self._by_id.setdefault(sid, _Entry(sid, None))  # type: ignore[arg-type]

    def find(self, server_id: str | None, role: str, text: str) -> T | None:
        entry = self.find_entry(server_id, role, text)
        return entry.value if entry is not None else None

    def find_entry(self, server_id: str | None, role: str, text: str) -> _Entry[T] | None:
        sid = server_id_of(server_id)
        if sid is not None:
            entry = self._by_id.get(sid)
            if entry is not None:
                return entry
        for entry in self._by_text.get(text_key(role, text), ()):
            if sid is None:
                return entry
            if entry.server_id is None:
                entry.server_id = sid
                self._by_id[sid] = entry
                return entry
        return None

    def knows(self, server_id: str | None, role: str, text: str) -> bool:
        return self.find_entry(server_id, role, text) is not None


def message_ids_in_state(state: Any) -> list[str]:
    """The ids of the messages a thread's `/state` holds."""
    values = state.get("values") if isinstance(state, dict) else None
    messages = values.get("messages") if isinstance(values, dict) else None
    return [
        m["id"]
        for m in messages or ()
        if isinstance(m, dict) and isinstance(m.get("id"), str) and m["id"]
    ]
