"""Conversation export (Markdown, JSON), file naming and writing, and the secret-leak check.

Files go to tmp_path only; HOME points there too so a default path cannot reach the real one.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fleet_tui.common import redaction
from fleet_tui.services.export import (
    FORMAT_ID,
    default_export_path,
    export_json,
    export_markdown,
    slugify,
    with_format,
    write_export,
)
from fleet_tui.services.snippets import render_snippets
from fleet_tui.settings.config import AgentProfile
from fleet_tui.storage.store import Conversation, Store, StoredMessage

FAKE_PAT = "fake-pat-LEAKCHECK-0000"
AGENT = "Research helper"
URL = "https://my-agent-0000.us.langgraph.app"
HOSTILE = "evil \x1b]0;pwned\x07 title \x1b[31mred\x1b[0m [bold]not markup[/bold] \x9b2J"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def conv(**kw: Any) -> Conversation:
    values: dict[str, Any] = {
        "id": 7,
        "agent_pk": 1,
        "thread_id": "3f1c2d9e-thread",
        "title": "Weather in Paris",
        "created_at": 1_700_000_000.0,
        "updated_at": 1_700_000_300.0,
        "status": "idle",
        "stateless": False,
        "message_count": 6,
    }
    values.update(kw)
    return Conversation(**values)


def msg(seq: int, role: str, content: str = "", **kw: Any) -> StoredMessage:
    values: dict[str, Any] = {
        "id": 100 + seq,
        "conversation_id": 7,
        "seq": seq,
        "role": role,
        "content": content,
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
        "run_id": None,
        "server_id": None,
        "complete": True,
        "reasoning": "",
        "created_at": 1_700_000_000.0 + seq,
    }
    values.update(kw)
    return StoredMessage(**values)


def sample() -> list[StoredMessage]:
    return [
        msg(1, "human", "What's the weather in Paris?"),
        msg(
            2,
            "ai",
            "Let me look that up.",
            reasoning="The user wants weather; call the lookup tool.",
            tool_calls=[{"id": "call-1", "name": "lookup", "args": {"query": "Paris", "days": 3}}],
            run_id="run-1",
        ),
        msg(3, "tool", '{"temp_c": 21, "sky": "clear"}', name="lookup", tool_call_id="call-1"),
        msg(4, "ai", "It is **21 °C** and clear.\n\n```python\nprint('hi')\n```", run_id="run-1"),
        msg(5, "error", "ValueError: the tool exploded"),
        msg(6, "ai", "Partial answ", complete=False),
    ]


def md(messages: list[StoredMessage] | None = None, **kw: Any) -> str:
    return export_markdown(
        kw.pop("conversation", conv()),
        sample() if messages is None else messages,
        agent_name=kw.pop("agent_name", AGENT),
        url=kw.pop("url", URL),
        **kw,
    )


def js(messages: list[StoredMessage] | None = None, **kw: Any) -> str:
    return export_json(
        kw.pop("conversation", conv()),
        sample() if messages is None else messages,
        agent_name=kw.pop("agent_name", AGENT),
        url=kw.pop("url", URL),
        **kw,
    )


# ----------------------------------------------------------------------------- Markdown


def test_markdown_header_has_title_agent_thread_and_date() -> None:
    text = md(exported_at=datetime(2025, 3, 4, 5, 6, tzinfo=UTC))
    assert text.startswith("# Weather in Paris\n")
    assert AGENT in text
    assert URL in text
    assert "3f1c2d9e-thread" in text
    assert "2025-03-04" in text
    assert "**Messages:** 6" in text


def test_markdown_contains_every_message_in_order() -> None:
    text = md()
    positions = [
        text.index("### You\n\nWhat's the weather in Paris?"),
        text.index("### Agent\n\n<details>"),
        text.index("Let me look that up."),
        text.index("### Tool result: `lookup`"),
        text.index("It is **21 °C** and clear."),
        text.index("### Error\n\n> The agent's run failed: ValueError: the tool exploded"),
        text.index("### Agent (incomplete)\n\nPartial answ"),
    ]
    assert positions == sorted(positions)
    # Agent markdown goes in as written, its code fence included.
    assert "```python\nprint('hi')\n```" in text


def test_markdown_tool_call_has_name_and_args_and_the_result() -> None:
    text = md()
    block = re.search(r"\*\*Tool call:\*\* `lookup`\n\n```json\n(.*?)\n```", text, re.DOTALL)
    assert block is not None
    assert json.loads(block.group(1)) == {"name": "lookup", "args": {"query": "Paris", "days": 3}}
    result = re.search(r"### Tool result: `lookup`\n\n```json\n(.*?)\n```", text, re.DOTALL)
    assert result is not None
    assert json.loads(result.group(1)) == {"temp_c": 21, "sky": "clear"}


def test_markdown_plain_tool_result_is_a_text_block() -> None:
    text = md([msg(1, "tool", "just words", name="search")])
    assert "### Tool result: `search`\n\n```text\njust words\n```" in text


def test_markdown_reasoning_is_collapsed() -> None:
    text = md()
    assert (
        "<details>\n<summary>Reasoning</summary>\n\n"
        "The user wants weather; call the lookup tool.\n\n</details>"
    ) in text
    # A reasoning text cannot close the block early.
    sneaky = md([msg(1, "ai", "ok", reasoning="a </details> b")])
    assert sneaky.count("</details>") == 1


def test_markdown_fences_survive_backticks_in_content() -> None:
    text = md([msg(1, "tool", "look: ``` not the end", name="t")])
    assert "````text\nlook: ``` not the end\n````" in text
    args = md([msg(1, "ai", tool_calls=[{"id": "x", "name": "run`it", "args": {"c": "```"}}])])
    assert "``run`it``" in args
    assert "````json" in args


def test_markdown_incomplete_reply_without_text_is_marked() -> None:
    text = md([msg(1, "ai", "", complete=False)])
    assert "### Agent (incomplete)\n\n*(no text received)*" in text


def test_markdown_stateless_conversation() -> None:
    text = md(conversation=conv(thread_id=None, stateless=True))
    assert "stateless" in text


def test_markdown_hostile_content_has_no_live_escapes() -> None:
    messages = [
        msg(1, "human", HOSTILE),
        msg(2, "ai", HOSTILE, reasoning=HOSTILE),
        msg(3, "ai", "", tool_calls=[{"id": "x", "name": HOSTILE, "args": {"a": HOSTILE}}]),
        msg(4, "tool", HOSTILE, name=HOSTILE),
        msg(5, "tool", json.dumps({"v": "\x9b\x7f"}), name="t"),
        msg(6, "error", HOSTILE),
    ]
    text = md(messages, conversation=conv(title=HOSTILE), agent_name=HOSTILE, url=HOSTILE)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert not RAW_CONTROL.search(text)
    assert "␛]0;pwned␇" in text  # made visible, not silently lost
    assert "[bold]not markup[/bold]" in text  # square brackets are just text in a file


# ----------------------------------------------------------------------------- JSON


def test_json_is_versioned_and_round_trips() -> None:
    messages = sample()
    doc = json.loads(js(messages))
    assert doc["format"] == FORMAT_ID == "fleet-tui.conversation/1"
    assert doc["agent"] == {"name": AGENT, "url": URL}
    c = doc["conversation"]
    assert c["title"] == "Weather in Paris"
    assert c["thread_id"] == "3f1c2d9e-thread"
    assert c["stateless"] is False
    assert c["message_count"] == len(messages)
    assert datetime.fromisoformat(c["created_at"]).timestamp() == 1_700_000_000.0
    assert len(doc["messages"]) == len(messages)
    for record, m in zip(doc["messages"], messages, strict=True):
        for field in (
            "seq",
            "role",
            "content",
            "reasoning",
            "tool_calls",
            "tool_call_id",
            "name",
            "run_id",
            "complete",
        ):
            assert record[field] == getattr(m, field), field
        assert datetime.fromisoformat(record["created_at"]).timestamp() == m.created_at


def test_json_keeps_hostile_text_exactly_but_escaped() -> None:
    weird = HOSTILE + " \u2028 \x7f \U0001f600 é"
    messages = [msg(1, "ai", weird, reasoning=weird)]
    text = js(messages, conversation=conv(title=weird))
    assert not RAW_CONTROL.search(text)
    assert "\u2028" not in text
    assert "é" in text  # readable, not \u00e9
    doc = json.loads(text)
    assert doc["messages"][0]["content"] == weird
    assert doc["conversation"]["title"] == weird


def test_json_lone_surrogate_does_not_break_writing(tmp_path: Path) -> None:
    text = js([msg(1, "ai", "bad \ud800 half")])
    path = write_export(tmp_path / "x.json", text)
    assert json.loads(path.read_text("utf-8"))["messages"][0]["content"] == "bad \ud800 half"


def test_exports_of_a_real_store_conversation(tmp_path: Path) -> None:
    with Store.open(tmp_path / "fleet.db") as store:
        agent = store.ensure_agent(URL, "agent-1", AGENT)
        c = store.create_conversation(agent.id, thread_id="t-1", title="From the store")
        store.add_message(c.id, "human", "hello")
        store.add_message(
            c.id, "ai", "", tool_calls=[{"id": "c1", "name": "lookup", "args": {"q": "x"}}]
        )
        store.add_message(c.id, "tool", "42", name="lookup", tool_call_id="c1")
        store.add_message(c.id, "ai", "The answer is 42.")
        conversation = store.get_conversation(c.id)
        messages = store.messages(c.id)
    assert conversation is not None
    text = export_markdown(conversation, messages, agent_name=AGENT, url=URL)
    for needle in ("hello", "`lookup`", '"q": "x"', "42", "The answer is 42."):
        assert needle in text
    doc = json.loads(export_json(conversation, messages, agent_name=AGENT, url=URL))
    assert [m["role"] for m in doc["messages"]] == ["human", "ai", "tool", "ai"]


# ----------------------------------------------------------------------------- paths, files


def test_default_path_is_under_home(tmp_path: Path) -> None:
    now = datetime(2025, 3, 4, 5, 6)
    path = default_export_path(conv(title="Weather in Paris?! ☀"), "markdown", now=now)
    assert path == tmp_path / "home" / "fleet-tui-exports" / "weather-in-paris-20250304-0506.md"
    other = default_export_path(conv(), "json", tmp_path / "d", now=now)
    assert other == tmp_path / "d" / "weather-in-paris-20250304-0506.json"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Héllo, Wörld!", "hello-world"),
        ("", "conversation"),
        ("../../etc/passwd", "etc-passwd"),
        ("☀☀☀", "conversation"),
        ("x" * 200, "x" * 60),
        (HOSTILE, "evil-0-pwned-title-31mred-0m-bold-not-markup-bold-2j"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_with_format_switches_known_extensions_only() -> None:
    assert with_format(Path("a/b.md"), "json") == Path("a/b.json")
    assert with_format(Path("a/b.json"), "markdown") == Path("a/b.md")
    assert with_format(Path("a/notes.v2"), "json") == Path("a/notes.v2.json")


def test_write_export_creates_folders_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "chat.md"
    first = write_export(target, "one")
    second = write_export(target, "two")
    third = write_export(target, "three")
    assert first == target
    assert second == tmp_path / "deep" / "er" / "chat-1.md"
    assert third == tmp_path / "deep" / "er" / "chat-2.md"
    assert [p.read_text() for p in (first, second, third)] == ["one", "two", "three"]
    assert write_export(target, "four", overwrite=True) == target
    assert target.read_text() == "four"


def test_write_export_expands_home(tmp_path: Path) -> None:
    path = write_export("~/out/chat.md", "x")
    assert path == tmp_path / "home" / "out" / "chat.md"


def test_write_export_errors_are_oserrors(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(NotADirectoryError, match="a-file is a file"):
        write_export(tmp_path / "a-file" / "deeper" / "chat.md", "x")
    with pytest.raises(IsADirectoryError):
        write_export(tmp_path, "x")


# ----------------------------------------------------------------------------- secret leak


def test_fake_pat_is_in_no_export_and_no_snippet(tmp_path: Path) -> None:
    profile = AgentProfile(
        name="leak",
        url=URL,
        agent_id="0b5d3c1e-2f4a-4b6c-8d9e-0123456789ab",
        api_key=FAKE_PAT,
        custom_header_name="X-User-Token",
        custom_header_value=FAKE_PAT + "-custom",
    )
    outputs: list[str] = [
        code for kinds in render_snippets(profile).values() for code in kinds.values()
    ]
    # Exports never take a profile; even handed everything else of it, no token comes out.
    for render in (export_markdown, export_json):
        outputs.append(render(conv(), sample(), agent_name=profile.name, url=profile.url))
    for path in (tmp_path / "x.md", tmp_path / "x.json"):
        outputs.append(write_export(path, outputs[-1]).read_text())
    assert len(outputs) == 13
    for text in outputs:
        assert FAKE_PAT not in text
        assert "LEAKCHECK" not in text


def test_exports_do_not_mutate_inputs() -> None:
    messages = sample()
    before = [replace(m, tool_calls=list(m.tool_calls)) for m in messages]
    md(messages)
    js(messages)
    assert messages == before


def test_known_secrets_are_masked_in_every_export(tmp_path: Path) -> None:
    # A server that echoed the token into an error or a reply: the export still hides it.
    echoed = "echoed-token-EXPORT-7c1d2e3f4a5b"
    redaction.remember(echoed)
    masked = redaction.mask_secret(echoed)
    messages = [
        msg(1, "human", f"is {echoed} my token?"),
        msg(2, "ai", f"Calling with {echoed}", tool_calls=[{"name": "t", "args": {"k": echoed}}]),
        msg(3, "tool", json.dumps({"headers": {"x-api-key": echoed}}), name="t"),
        msg(4, "error", f"RequestRejected: bad request; headers were x-api-key: {echoed}"),
        msg(5, "ai", "thinking", reasoning=f"the key is {echoed}"),
    ]
    conversation = conv(title=f"about {echoed}")
    for render, name in ((export_markdown, "x.md"), (export_json, "x.json")):
        text = render(conversation, messages, agent_name=f"agent {echoed}", url=URL)
        written = write_export(tmp_path / name, text).read_text()
        assert echoed not in written
        assert masked in written
    doc = json.loads(js(messages, conversation=conversation))
    assert doc["messages"][1]["tool_calls"][0]["args"] == {"k": masked}
    assert doc["messages"][3]["content"].endswith(f"x-api-key: {masked}")
