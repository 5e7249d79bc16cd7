"""Files attached to a message: what each is, whether it may be sent, and the content blocks
the human message carries. No Textual import.

A message with attachments goes out as a list of LangChain standard content blocks (checked
against `langchain_core.messages.content` and the Agent Server, which hands them to the graph
unchanged): the typed text first, then per file an `image` block (png, jpeg, gif, webp) or a
`file` block (pdf), base64 with its `mime_type`, and a text file inlined as a `text` block.
The file name goes in the block's `extras` (`{"filename": …}`): that is where
`create_file_block(filename=…)` puts it and where the provider translators look for it.

What kind a file is comes from its bytes first (the model receives the bytes, so a `.png`
holding a JPEG is sent as image/jpeg), then from its name; anything that is neither one of
those types nor UTF-8 text is refused, as is a file over the size limit. Reading a file
(`read_attachment`) is the only I/O here: it checks the size before reading.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fleet_tui.domain.deep_state import human_size

# decimal, as the sizes shown (`human_size`) count them
MB = 1000 * 1000
DEFAULT_MAX_MB = 20.0
# files up to this size are copied into the local store; larger ones are kept as their path
DEFAULT_COPY_MAX_MB = 5.0

Kind = Literal["image", "file", "text"]

# (leading bytes, mime type); webp is RIFF....WEBP, checked on its own
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_BINARY_TYPES: dict[str, str] = {
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/pdf": "PDF document",
}
_BY_SUFFIX: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
SUPPORTED = "images (png, jpeg, gif, webp), PDFs and UTF-8 text files"
TEXT_MIME = "text/plain"


@dataclass(frozen=True, slots=True)
class AttachmentRules:
    """The user's settings: the largest file (and message) allowed, and up to what size a
    file is copied into the local store rather than kept as its path."""

    max_mb: float = DEFAULT_MAX_MB
    copy_max_mb: float = DEFAULT_COPY_MAX_MB


class AttachmentError(Exception):
    """A file that cannot be attached; the message says why, in words for the user."""


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """What a chip shows and a stored message knows of a file: no bytes."""

    name: str
    mime_type: str
    size: int

    @property
    def kind(self) -> Kind:
        return kind_of(self.mime_type)

    @property
    def label(self) -> str:
        """The chip's words: the name and the size."""
        return f"{self.name} ({format_size(self.size)})"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file ready to send: its bytes, and the path it was read from (when it was)."""

    name: str
    mime_type: str
    data: bytes = field(repr=False)
    path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def info(self) -> AttachmentInfo:
        return AttachmentInfo(self.name, self.mime_type, self.size)

    @property
    def kind(self) -> Kind:
        return kind_of(self.mime_type)


def kind_of(mime_type: str) -> Kind:
    if mime_type.startswith("image/"):
        return "image"
    if mime_type in _BINARY_TYPES:
        return "file"
    return "text"


def format_size(size: int) -> str:
    """`812 B`, `4.2 KB`, `1.5 MB`: short enough for a chip."""
    return human_size(size)


def limit_bytes(max_mb: float) -> int:
    return int(max_mb * MB)


def sniff(data: bytes) -> str | None:
    """The mime type the bytes say, for the binary types we send; None otherwise."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _text_mime(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed if guessed and guessed.startswith("text/") else TEXT_MIME


def decode_text(data: bytes) -> str | None:
    """The bytes as UTF-8 text (a byte order mark dropped); None if they are not text."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def too_large(name: str, size: int, max_mb: float) -> str:
    return (
        f"{name} is {format_size(size)}: over the {max_mb:g} MB limit for attachments "
        "(setting attachment_max_mb)"
    )


def from_bytes(
    name: str, data: bytes, *, max_mb: float = DEFAULT_MAX_MB, path: str | None = None
) -> Attachment:
    """An attachment of these bytes, or AttachmentError saying why not."""
    if len(data) > limit_bytes(max_mb):
        raise AttachmentError(too_large(name, len(data), max_mb))
    sniffed = sniff(data)
    if sniffed is not None:
        return Attachment(name, sniffed, data, path)
    expected = _BY_SUFFIX.get(Path(name).suffix.lower())
    if expected is not None:
        raise AttachmentError(f"{name} does not look like a {_BINARY_TYPES[expected]}")
    if decode_text(data) is None:
        raise AttachmentError(f"{name}: this kind of file cannot be attached; {SUPPORTED} can")
    return Attachment(name, _text_mime(name), data, path)


def read_attachment(path: str | os.PathLike[str], *, max_mb: float = DEFAULT_MAX_MB) -> Attachment:
    """The file at `path` as an attachment, or AttachmentError (missing, unreadable, a folder,
    over the limit, an unsupported kind). The size is checked before anything is read."""
    file = Path(path).expanduser()
    name = file.name or str(path)
    try:
        size = file.stat().st_size
        if file.is_dir():
            raise AttachmentError(f"{name} is a folder, not a file")
        if size > limit_bytes(max_mb):
            raise AttachmentError(too_large(name, size, max_mb))
        data = file.read_bytes()
    except FileNotFoundError:
        raise AttachmentError(f"{path}: no such file") from None
    except PermissionError:
        raise AttachmentError(f"{path}: not allowed to read it") from None
    except OSError as exc:
        raise AttachmentError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return from_bytes(name, data, max_mb=max_mb, path=str(file.resolve()))


def check_total(attachments: Sequence[AttachmentInfo], max_mb: float) -> str | None:
    """Why these files together are too much for one message, or None."""
    total = sum(a.size for a in attachments)
    if total > limit_bytes(max_mb):
        return (
            f"the attached files total {format_size(total)}: over the {max_mb:g} MB limit "
            "for one message (setting attachment_max_mb)"
        )
    return None


# -- content blocks --------------------------------------------------------------------------


def _quoted(name: str) -> str:
    return name.replace("\\", "\\\\").replace('"', '\\"')


def inline_text(name: str, text: str) -> str:
    """How a text file reads inside the message: tagged with its name, so the model can tell
    the file from what the user typed."""
    return f'<file name="{_quoted(name)}">\n{text}\n</file>'


def block_of(attachment: Attachment) -> dict[str, Any]:
    """The content block of one file."""
    extras = {"filename": attachment.name}
    if attachment.kind == "text":
        text = decode_text(attachment.data) or ""
        return {
            "type": "text",
            "text": inline_text(attachment.name, text),
            "extras": {**extras, "mime_type": attachment.mime_type, "size": attachment.size},
        }
    return {
        "type": attachment.kind,
        "base64": base64.b64encode(attachment.data).decode("ascii"),
        "mime_type": attachment.mime_type,
        "extras": extras,
    }


def human_content(text: str, attachments: Sequence[Attachment] = ()) -> str | list[dict[str, Any]]:
    """A human message's `content`: the text alone, or the text block and one block per file."""
    if not attachments:
        return text
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    blocks.extend(block_of(a) for a in attachments)
    return blocks


def is_attachment_block(block: object) -> bool:
    """A block that carries a file (not what the user typed)."""
    if not isinstance(block, Mapping):
        return False
    kind = block.get("type")
    if kind in ("image", "file", "text-plain", "audio", "video"):
        return True
    extras = block.get("extras")
    return kind == "text" and isinstance(extras, Mapping) and "filename" in extras


def attachments_in(content: object) -> tuple[AttachmentInfo, ...]:
    """The files a message's `content` carries (e.g. a message read back from the server)."""
    if not isinstance(content, list):
        return ()
    found: list[AttachmentInfo] = []
    for block in content:
        if is_attachment_block(block):
            found.append(_info_of(block))
    return tuple(found)


def _info_of(block: Mapping[str, Any]) -> AttachmentInfo:
    extras = _mapping(block.get("extras"))
    metadata = _mapping(block.get("metadata"))
    name = (
        block.get("filename")
        or extras.get("filename")
        or metadata.get("filename")
        or block.get("title")
        or str(block.get("type") or "file")
    )
    mime = block.get("mime_type") or extras.get("mime_type") or "application/octet-stream"
    return AttachmentInfo(str(name), str(mime), _size_of(block, extras))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _size_of(block: Mapping[str, Any], extras: Mapping[str, Any]) -> int:
    size = extras.get("size")
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    data = block.get("base64") or block.get("data")
    if isinstance(data, str):
        try:
            return len(base64.b64decode(data, validate=False))
        except (binascii.Error, ValueError):
            return len(data) * 3 // 4
    text = block.get("text")
    return len(text.encode("utf-8")) if isinstance(text, str) else 0


def names(attachments: Iterable[AttachmentInfo]) -> str:
    return ", ".join(a.name for a in attachments)
