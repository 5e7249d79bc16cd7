"""The files of a message sent before, to send them again (a retry after a restart): their
bytes from the store, or read again from the path kept for a large one. No Textual import."""

from __future__ import annotations

from fleet_tui.domain.attachments import Attachment, AttachmentError, read_attachment
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.storage.store import Store, StoredMessage

# how far back a retry looks for the message it sends again
_LOOK_BACK = 20


def files_of(
    store: Store, conversation_id: int, text: str, *, max_mb: float
) -> tuple[Attachment, ...]:
    """The files of the latest stored human message with this text (AttachmentError when a
    file kept as its path can no longer be read, or no longer fits the limit)."""
    for message in reversed(store.messages(conversation_id, limit=_LOOK_BACK)):
        if message.role != "human" or message.content != text:
            continue
        return files_of_message(store, message, max_mb=max_mb)
    return ()


def files_of_message(
    store: Store, message: StoredMessage, *, max_mb: float
) -> tuple[Attachment, ...]:
    """The files of one stored message, to send again (AttachmentError as `files_of`)."""
    if not message.attachments:
        return ()
    files: list[Attachment] = []
    for kept in store.attachments(message.id):
        if kept.data is not None:
            files.append(Attachment(kept.info.name, kept.info.mime_type, kept.data, kept.path))
        elif kept.path is not None:
            files.append(read_attachment(kept.path, max_mb=max_mb))
        else:
            raise AttachmentError(f"{kept.info.name} was not kept on this computer")
    return tuple(files)


def files_again(
    store: Store, state: ConversationState, text: str, *, max_mb: float
) -> tuple[Attachment, ...]:
    """The files that went with `text` when it was sent: still in memory, or kept."""
    if text == state.last_text:
        return state.last_attachments
    return files_of(store, state.id, text, max_mb=max_mb)
