"""The files attached to stored messages (the `attachments` table). No Textual import; `Store`
exposes these as thin methods.

A file is kept as its bytes when it is no larger than the user's threshold (setting
`attachment_copy_max_mb`) or when there is no path to find it again; otherwise only its path
is kept, as a reference. Name, type and size are kept either way: that is what a chip shows.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fleet_tui.domain.attachments import Attachment, AttachmentInfo
from fleet_tui.storage.store_records import StoredMessage, Writes, free_text

if TYPE_CHECKING:
    from fleet_tui.storage.store_connection import StoreConnection

# SQLite's default limit on bound variables is 32766 on recent versions, 999 on old ones
_CHUNK = 900


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """A file of a stored message: its bytes (when kept) or the path it was read from."""

    info: AttachmentInfo
    data: bytes | None
    path: str | None


def add(
    store: StoreConnection,
    message_id: int,
    files: Sequence[Attachment | AttachmentInfo],
    *,
    copy_max_bytes: int,
) -> None:
    """Keep the files of a message, each as bytes or as a reference (see the module)."""
    now = time.time()
    rows = []
    for position, file in enumerate(files):
        data: bytes | None = None
        path: str | None = None
        if isinstance(file, Attachment):
            path = file.path
            if path is None or file.size <= copy_max_bytes:
                data = file.data
        rows.append(
            (message_id, position, free_text(file.name), file.mime_type, file.size, data, path, now)
        )
    if not rows:
        return

    def work(db: Writes) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO attachments (message_id, position, name, mime_type, size,"
            " data, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    store._apply(work)


def infos(
    store: StoreConnection, message_ids: Iterable[int]
) -> dict[int, tuple[AttachmentInfo, ...]]:
    """Name, type and size of the files of these messages, in the order they were attached."""
    ids = list(message_ids)
    found: dict[int, list[AttachmentInfo]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for message_id, name, mime, size in store._all(
            "SELECT message_id, name, mime_type, size FROM attachments"
            f" WHERE message_id IN ({marks}) ORDER BY message_id, position",
            chunk,
        ):
            found.setdefault(message_id, []).append(AttachmentInfo(name, mime, size))
    return {k: tuple(v) for k, v in found.items()}


def with_attachments(store: StoreConnection, messages: list[StoredMessage]) -> list[StoredMessage]:
    """The messages, the human ones knowing their files."""
    humans = [m.id for m in messages if m.role == "human"]
    if not humans or not _any(store):
        return messages
    files = infos(store, humans)
    if not files:
        return messages
    return [replace(m, attachments=files[m.id]) if m.id in files else m for m in messages]


def _any(store: StoreConnection) -> bool:
    # most stores hold no attachment at all: one cheap look spares the per-message query
    return store._one("SELECT 1 FROM attachments LIMIT 1") is not None


def stored(store: StoreConnection, message_id: int) -> list[StoredAttachment]:
    """The files of one message as kept: bytes or path."""
    return [
        StoredAttachment(AttachmentInfo(name, mime, size), data, path)
        for name, mime, size, data, path in store._all(
            "SELECT name, mime_type, size, data, path FROM attachments"
            " WHERE message_id = ? ORDER BY position",
            [message_id],
        )
    ]
