"""What kind of file an agent's state file is: how to show it, and a type for a binary one.

No Textual import, no I/O: the path's extension and, for a base64 file, its first bytes.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from datetime import datetime
from typing import Literal

from fleet_tui.domain.deep_state import StateFile

FileKind = Literal["markdown", "code", "text", "binary"]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
# extensions that read as plain text even though a lexer exists for some of them
TEXT_SUFFIXES = (".txt", ".text", ".log", "")

# (leading bytes, description, mime type)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image", "image/png"),
    (b"\xff\xd8\xff", "JPEG image", "image/jpeg"),
    (b"GIF87a", "GIF image", "image/gif"),
    (b"GIF89a", "GIF image", "image/gif"),
    (b"%PDF-", "PDF document", "application/pdf"),
    (b"PK\x03\x04", "ZIP archive (or a document packed as one)", "application/zip"),
    (b"\x1f\x8b", "gzip archive", "application/gzip"),
    (b"BM", "BMP image", "image/bmp"),
    (b"\x7fELF", "ELF executable", "application/x-executable"),
    (b"OggS", "Ogg audio/video", "audio/ogg"),
    (b"ID3", "MP3 audio", "audio/mpeg"),
    (b"\x00\x00\x01\x00", "Windows icon", "image/x-icon"),
)


def suffix_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def file_kind(file: StateFile) -> FileKind:
    if file.is_binary:
        return "binary"
    suffix = suffix_of(file.path)
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "code"


def _head_bytes(file: StateFile, count: int = 32) -> bytes:
    # decode only the start: 4 base64 characters give 3 bytes
    head = file.content[: (count // 3 + 1) * 4]
    try:
        return base64.b64decode(head + "=" * (-len(head) % 4), validate=False)
    except (binascii.Error, ValueError):
        return b""


def binary_type(file: StateFile) -> tuple[str, str]:
    """(description, mime type) of a base64 file: from its first bytes, else its extension."""
    head = _head_bytes(file)
    for magic, description, mime in _MAGIC:
        if head.startswith(magic):
            return description, mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP image", "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "WAV audio", "audio/wav"
    guessed, _ = mimetypes.guess_type("x" + suffix_of(file.path))
    if guessed:
        kind = guessed.split("/", 1)[0]
        noun = {"image": "image", "audio": "audio", "video": "video", "text": "text"}.get(
            kind, "file"
        )
        return f"{suffix_of(file.path)[1:].upper()} {noun}", guessed
    return "binary data", "application/octet-stream"


def short_time(stamp: str | None, now: datetime | None = None) -> str:
    """An ISO time as a short local time: "14:03" today, "2 Dec 14:03" this year, else the date."""
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return ""
    local = moment.astimezone() if moment.tzinfo else moment
    now = now or datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return f"{local.day} {local.strftime('%b %H:%M')}"
    return local.strftime("%Y-%m-%d")
