"""Attachments as values: what a file is, what is refused, and the content blocks sent."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleet_tui.domain import attachments as att
from fleet_tui.domain.attachments import AttachmentError, from_bytes, read_attachment
from fleet_tui.domain.events import split_content

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
GIF = b"GIF89a" + b"\x00" * 10
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.mark.parametrize(
    ("name", "data", "mime", "kind"),
    [
        ("a.png", PNG, "image/png", "image"),
        ("a.jpg", JPEG, "image/jpeg", "image"),
        ("a.gif", GIF, "image/gif", "image"),
        ("a.webp", WEBP, "image/webp", "image"),
        ("a.pdf", PDF, "application/pdf", "file"),
        ("notes.md", "# Notes\n\nhé\n".encode(), "text/markdown", "text"),
        ("data.csv", b"a,b\n1,2\n", "text/csv", "text"),
        ("Makefile", b"all:\n\ttrue\n", "text/plain", "text"),
        ("empty.txt", b"", "text/plain", "text"),
    ],
)
def test_kinds(name: str, data: bytes, mime: str, kind: str) -> None:
    attachment = from_bytes(name, data)
    assert (attachment.mime_type, attachment.kind, attachment.size) == (mime, kind, len(data))


def test_the_bytes_decide_over_the_name() -> None:
    assert from_bytes("photo.png", JPEG).mime_type == "image/jpeg"
    assert from_bytes("scan", PDF).mime_type == "application/pdf"


def test_a_named_type_whose_bytes_disagree_is_refused() -> None:
    with pytest.raises(AttachmentError, match=r"fake\.png does not look like a PNG image"):
        from_bytes("fake.png", b"hello")
    with pytest.raises(AttachmentError, match="PDF document"):
        from_bytes("doc.PDF", b"not a pdf")


def test_binary_files_of_other_kinds_are_refused_with_what_can_be_attached() -> None:
    with pytest.raises(AttachmentError) as refused:
        from_bytes("tool.bin", b"\x7fELF\x00\x01\x02")
    assert "cannot be attached" in str(refused.value)
    assert "png, jpeg, gif, webp" in str(refused.value)
    with pytest.raises(AttachmentError):
        from_bytes("latin1.txt", "caf\xe9".encode("latin-1"))


def test_the_size_limit_is_checked_first() -> None:
    data = PNG + b"\x00" * (att.MB + 1)
    with pytest.raises(AttachmentError) as refused:
        from_bytes("big.png", data, max_mb=1)
    assert "big.png is 1.0 MB: over the 1 MB limit" in str(refused.value)
    assert "attachment_max_mb" in str(refused.value)
    assert from_bytes("big.png", data, max_mb=2).size == len(data)


def test_reading_files(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    attachment = read_attachment(tmp_path / "a.png")
    assert (attachment.name, attachment.mime_type, attachment.data) == ("a.png", "image/png", PNG)
    assert attachment.path == str((tmp_path / "a.png").resolve())
    with pytest.raises(AttachmentError, match="no such file"):
        read_attachment(tmp_path / "missing.pdf")
    with pytest.raises(AttachmentError, match="is a folder"):
        read_attachment(tmp_path)
    big = tmp_path / "big.txt"
    with big.open("wb") as f:  # sparse: the size is refused before anything is read
        f.truncate(3 * att.MB)
    with pytest.raises(AttachmentError, match="over the 2 MB limit"):
        read_attachment(big, max_mb=2)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    secret.chmod(0)
    with pytest.raises(AttachmentError, match="not allowed to read it"):
        read_attachment(secret)


def test_content_blocks() -> None:
    image = from_bytes("a.png", PNG)
    pdf = from_bytes("report.pdf", PDF)
    text = from_bytes("notes.txt", b"line one\n")
    content = att.human_content("look", [image, pdf, text])
    assert isinstance(content, list)
    assert content[0] == {"type": "text", "text": "look"}
    assert content[1] == {
        "type": "image",
        "base64": base64.b64encode(PNG).decode(),
        "mime_type": "image/png",
        "extras": {"filename": "a.png"},
    }
    assert content[2]["type"] == "file" and content[2]["mime_type"] == "application/pdf"
    assert content[2]["extras"] == {"filename": "report.pdf"}
    assert content[3]["type"] == "text"
    assert content[3]["text"] == '<file name="notes.txt">\nline one\n\n</file>'
    assert content[3]["extras"]["filename"] == "notes.txt"
    # no attachments: the plain string, as ever
    assert att.human_content("hi") == "hi"
    # only files: no empty text block
    assert [b["type"] for b in att.human_content("", [image])] == ["image"]  # type: ignore[index]


def test_langchain_core_accepts_the_blocks() -> None:
    from langchain_core.messages import HumanMessage

    image, pdf = from_bytes("a.png", PNG), from_bytes("r.pdf", PDF)
    message = HumanMessage(content=att.human_content("hi", [image, pdf]))  # type: ignore[arg-type]
    kinds = [b["type"] for b in message.content_blocks]
    assert kinds == ["text", "image", "file"]
    assert message.content_blocks[2].get("extras") == {"filename": "r.pdf"}


def test_files_read_back_from_content_and_kept_out_of_the_text() -> None:
    files = [from_bytes("a.png", PNG), from_bytes("r.pdf", PDF), from_bytes("n.md", b"# n\n")]
    content = att.human_content("typed", files)
    assert att.attachments_in(content) == tuple(f.info for f in files)
    # the identity rule compares the typed text: a file's text is not part of it
    assert split_content(content) == ("typed", "")
    assert att.attachments_in("plain") == ()


def test_names_with_quotes_stay_inside_the_tag() -> None:
    text = att.inline_text('a"b\\.txt', "x")
    assert text.startswith('<file name="a\\"b\\\\.txt">')


@given(st.binary(max_size=256), st.sampled_from(["x.txt", "x", "x.png", "x.pdf", "x.bin"]))
def test_any_bytes_are_attached_or_refused_in_words(data: bytes, name: str) -> None:
    try:
        attachment = from_bytes(name, data)
    except AttachmentError as refused:
        assert name in str(refused)
        return
    assert attachment.mime_type in {*att._BINARY_TYPES, "text/plain"}
    blocks = att.human_content("t", [attachment])
    assert att.attachments_in(blocks) == (attachment.info,)


@given(st.integers(min_value=0, max_value=10**12))
def test_sizes_read_short(size: int) -> None:
    words = att.format_size(size)
    assert words.split()[1] in {"B", "KB", "MB", "GB"} and len(words) <= 10
