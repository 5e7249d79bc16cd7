"""Attached files in the store and the settings that govern them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fleet_tui.cli.config import run_config
from fleet_tui.domain.attachments import MB, AttachmentInfo, from_bytes
from fleet_tui.settings.config_model import Settings
from fleet_tui.storage.store import Store, memory_store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_files_are_kept_as_bytes_up_to_the_threshold_and_as_a_path_beyond(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    agent = store.ensure_agent("http://x", "a")
    conversation = store.create_conversation(agent.id)
    message = store.add_message(conversation.id, "human", "look")
    small = from_bytes("small.png", PNG, path="/somewhere/small.png")
    big = from_bytes("big.txt", b"x" * 2000, path="/somewhere/big.txt")
    pasted = from_bytes("pasted.txt", b"y" * 2000)  # no path: only its bytes can be kept
    store.add_attachments(message.id, [small, big, pasted], copy_max_bytes=1000)
    store.close()

    store = Store.open(tmp_path / "s.db")  # after a restart
    kept = store.attachments(message.id)
    assert [(k.info.name, k.data is not None, k.path) for k in kept] == [
        ("small.png", True, "/somewhere/small.png"),
        ("big.txt", False, "/somewhere/big.txt"),
        ("pasted.txt", True, None),
    ]
    assert kept[0].data == PNG
    (human,) = store.messages(conversation.id)
    assert human.attachments == (
        AttachmentInfo("small.png", "image/png", len(PNG)),
        AttachmentInfo("big.txt", "text/plain", 2000),
        AttachmentInfo("pasted.txt", "text/plain", 2000),
    )
    store.close()


def test_messages_without_files_and_deleted_conversations() -> None:
    store = memory_store()
    agent = store.ensure_agent("http://x", "a")
    conversation = store.create_conversation(agent.id)
    plain = store.add_message(conversation.id, "human", "hi")
    with_file = store.add_message(conversation.id, "human", "file")
    store.add_attachments(with_file.id, [from_bytes("a.png", PNG)], copy_max_bytes=MB)
    assert [m.attachments for m in store.messages(conversation.id)] == [
        (),
        (AttachmentInfo("a.png", "image/png", len(PNG)),),
    ]
    assert store.messages(conversation.id, limit=1)[0].attachments[0].name == "a.png"
    assert plain.attachments == ()
    store.delete_conversation(conversation.id)
    assert store.attachments(with_file.id) == []


def _config(cfg: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    action, key, value = (*args, None, None)[:3]
    code = run_config(action, key, value, out=out, err=err, config_path=cfg, environ={})  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cfg" / "settings.json"


def test_config_sets_and_shows_the_attachment_settings(cfg: Path) -> None:
    assert _config(cfg, "set", "attachment_max_mb", "50")[0] == 0
    code, out, _ = _config(cfg, "set", "attachment-copy-max-mb", "0")
    assert code == 0 and "attachment_copy_max_mb = 0 MB" in out
    data = json.loads(cfg.read_text())
    assert (data["attachment_max_mb"], data["attachment_copy_max_mb"]) == (50, 0)
    assert _config(cfg, "show", "attachment_max_mb")[1] == "50\n"
    assert "Attachments: up to 50 MB" in _config(cfg, "show")[1]


@pytest.mark.parametrize("value", ["lots", "-1", "0", "1e9", "nan"])
def test_config_refuses_sizes_that_make_no_sense(cfg: Path, value: str) -> None:
    code, _, err = _config(cfg, "set", "attachment_max_mb", value)
    assert code == 2 and "attachment_max_mb takes" in err and "nothing saved" in err
    assert not cfg.exists()


def test_a_bad_size_in_the_file_is_a_warning_and_the_default() -> None:
    settings, warnings = Settings.from_file_dict(
        {"attachment_max_mb": "big", "attachment_copy_max_mb": 2}
    )
    assert settings.attachment_max_mb == 20 and settings.attachment_copy_max_mb == 2
    assert any("attachment_max_mb" in w for w in warnings)


def test_exports_list_the_attached_files() -> None:
    from fleet_tui.services.export import export_json, export_markdown

    store = memory_store()
    agent = store.ensure_agent("http://x", "a")
    conversation = store.create_conversation(agent.id)
    message = store.add_message(conversation.id, "human", "see")
    hostile = "a`b\x1b[31m.png"
    store.add_attachments(
        message.id, [from_bytes(hostile, PNG), from_bytes("r.txt", b"hi")], copy_max_bytes=MB
    )
    store.add_message(conversation.id, "ai", "ok")
    conversation = store.get_conversation(conversation.id)
    assert conversation is not None
    messages = store.messages(conversation.id)
    text = export_markdown(conversation, messages, agent_name="A", url="http://x")
    assert "**Attached:** " in text and "r.txt`` (text/plain, 2 B)" not in text
    assert "(image/png, 72 B)" in text and "`r.txt` (text/plain, 2 B)" in text
    assert "\x1b" not in text
    doc = json.loads(export_json(conversation, messages, agent_name="A", url="http://x"))
    human, ai = doc["messages"]
    assert [a["name"] for a in human["attachments"]] == [hostile, "r.txt"]
    assert human["attachments"][1] == {"name": "r.txt", "mime_type": "text/plain", "size": 2}
    assert "attachments" not in ai
