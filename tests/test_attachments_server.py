"""Attachments against the real Agent Server: the graph receives the files as LangChain content
blocks of the right type, mime type and name; `ask --attach` refuses what cannot be sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from server_fixture import AgentServer, replies
from test_ask import agent_env, run_ask
from test_conversation_service import Harness, texts

from fleet_tui.domain.attachments import (
    AttachmentInfo,
    AttachmentRules,
    from_bytes,
    read_attachment,
)
from fleet_tui.domain.transcript import ErrorItem, UserItem
from fleet_tui.services.conversation_service import ConversationService
from fleet_tui.services.service_events import Problem
from fleet_tui.storage.store import Store

pytestmark = pytest.mark.server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "photo.png": PNG,
        "report.pdf": PDF,
        "notes.md": b"# Notes\n\nsome text\n",
        "tool.bin": b"\x7fELF\x02\x01\x01\x00\x00",
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


def test_an_image_and_a_pdf_reach_the_graph_as_blocks(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    paths = files(tmp_path / "files")
    result = run_ask(
        tmp_path,
        "--attach",
        str(paths["photo.png"]),
        "--attach",
        str(paths["report.pdf"]),
        "--attach",
        str(paths["notes.md"]),
        "what are these?",
        env=agent_env(agent_server, "blocks"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == replies.blocks_reply(
        [
            {"type": "text"},
            {"type": "image", "mime_type": "image/png", "extras": {"filename": "photo.png"}},
            {"type": "file", "mime_type": "application/pdf", "extras": {"filename": "report.pdf"}},
            {"type": "text", "extras": {"filename": "notes.md", "mime_type": "text/markdown"}},
        ]
    )


def test_a_thread_keeps_the_files_of_its_messages(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    paths = files(tmp_path / "files")
    env = agent_env(agent_server, "blocks")
    result = run_ask(
        tmp_path, "--thread", "new", "--attach", str(paths["photo.png"]), "look", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "- image image/png photo.png" in result.stdout
    with Store.open(tmp_path / "data" / "fleet-tui" / "fleet.db") as store:
        (agent,) = store.list_agents()
        (conversation,) = store.list_conversations(agent.id)
        human = store.messages(conversation.id)[0]
        assert (human.role, human.content) == ("human", "look")
        assert human.attachments == (AttachmentInfo("photo.png", "image/png", len(PNG)),)
        (kept,) = store.attachments(human.id)
        assert kept.data == PNG  # small: copied (the default keeps files up to 5 MB)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing.png", "missing.png: no such file"),
        ("tool.bin", "tool.bin: this kind of file cannot be attached"),
        ("big.pdf", "big.pdf is 2.0 MB: over the 1 MB limit for attachments"),
    ],
)
def test_ask_refuses_a_file_it_cannot_send_and_sends_nothing(
    agent_server: AgentServer, tmp_path: Path, name: str, expected: str
) -> None:
    paths = files(tmp_path / "files")
    (tmp_path / "files" / "big.pdf").write_bytes(PDF + b"\x00" * (2_000_000 - len(PDF)))
    config = tmp_path / "config" / "fleet-tui"
    config.mkdir(parents=True)
    (config / "settings.json").write_text(json.dumps({"version": 1, "attachment_max_mb": 1}))
    env = agent_env(agent_server, "blocks")
    result = run_ask(
        tmp_path,
        "--thread",
        "new",
        "--attach",
        str(paths["photo.png"]),
        "--attach",
        str(tmp_path / "files" / name),
        "hello",
        env=env,
    )
    assert result.returncode == 2
    assert expected in result.stderr and "nothing was sent" in result.stderr
    assert result.stdout == ""
    assert "thread:" not in result.stderr  # no thread was made
    assert not (tmp_path / "data" / "fleet-tui" / "fleet.db").exists()


def test_attach_goes_with_a_message_not_an_answer(tmp_path: Path) -> None:
    result = run_ask(tmp_path, "--thread", "t", "--approve", "--attach", "x.png")
    assert result.returncode == 2 and "--attach goes with a MESSAGE" in result.stderr


# -- through the conversation service (what the TUI drives) ----------------------------------


def harness(server: AgentServer, graph: str, path: Path, copy_max_mb: float = 5) -> Harness:
    h = Harness(server, graph, path)
    h.service = ConversationService(
        h.store,
        h.spawn,
        client=lambda _agent: h.client,
        attachment_rules=lambda: AttachmentRules(max_mb=1, copy_max_mb=copy_max_mb),
    )
    h.service.subscribe(h.events.append)
    return h


def users(state: Any) -> list[tuple[str, tuple[AttachmentInfo, ...]]]:
    return [(i.text, i.attachments) for i in state.transcript.items if isinstance(i, UserItem)]


async def test_the_service_sends_files_on_a_thread_and_shows_them_after_a_restart(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = harness(agent_server, "blocks", tmp_path / "s.db")
    image = from_bytes("photo.png", PNG)
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "see", [image])
    await h.settle()
    assert users(state) == [("see", (image.info,))]  # shown once: the echo is the same message
    assert texts(state.transcript.items) == [
        replies.blocks_reply(
            [
                {"type": "text"},
                {"type": "image", "mime_type": "image/png", "extras": {"filename": "photo.png"}},
            ]
        )
    ]
    await h.close()

    again = harness(agent_server, "blocks", tmp_path / "s.db")
    reopened = again.service.open(state.id)
    assert reopened is not None
    await again.settle()  # reconciled with the server: still one message, with its chip
    assert users(reopened) == [("see", (image.info,))]
    await again.close()


async def test_stateless_runs_carry_files_too(agent_server: AgentServer, tmp_path: Path) -> None:
    h = harness(agent_server, "blocks", tmp_path / "s.db")
    state = h.service.create(h.agent.id, stateless=True)
    h.service.send(state.id, "", [from_bytes("r.pdf", PDF)])
    await h.settle()
    assert texts(state.transcript.items) == [
        replies.blocks_reply(
            [{"type": "file", "mime_type": "application/pdf", "extras": {"filename": "r.pdf"}}]
        )
    ]
    await h.close()


async def test_files_over_the_limit_together_are_not_sent(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = harness(agent_server, "blocks", tmp_path / "s.db")
    state = h.service.create(h.agent.id)
    half = from_bytes("half.pdf", PDF + b"\x00" * (600 * 1024), max_mb=1)
    assert h.service.send(state.id, "two", [half, half]) is None
    (problem,) = h.of(Problem)
    assert "over the 1 MB limit for one message" in problem.message
    assert not state.transcript.items and not h.tasks
    await h.close()


async def test_a_retry_after_a_restart_sends_the_kept_files_and_rereads_the_referenced(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    paths = files(tmp_path / "files")
    paths["report.pdf"].write_bytes(PDF + b"\x00" * 500)  # over the 104 bytes copied
    small = read_attachment(paths["photo.png"])
    referenced = read_attachment(paths["report.pdf"])
    h = harness(agent_server, "fail", tmp_path / "s.db", copy_max_mb=0.0001)
    state = h.service.create(h.agent.id, stateless=True)
    h.service.send(state.id, "again", [small, referenced])
    await h.settle()
    await h.close()
    kept = {
        k.info.name: (k.data is not None, k.path)
        for k in Store.open(tmp_path / "s.db").attachments(1)
    }
    assert kept == {"photo.png": (True, small.path), "report.pdf": (False, referenced.path)}

    again = harness(agent_server, "blocks", tmp_path / "s.db")
    reopened = again.service.open(state.id)
    assert reopened is not None
    error = next(
        i for i, item in enumerate(reopened.transcript.items) if isinstance(item, ErrorItem)
    )
    again.service.retry(state.id, error)
    await again.settle()
    assert (
        "- image image/png photo.png\n- file application/pdf report.pdf"
        in texts(reopened.transcript.items)[0]
    )

    # a referenced file that is gone: the retry says so and sends nothing
    paths["report.pdf"].unlink()
    third = harness(agent_server, "blocks", tmp_path / "s.db")
    opened = third.service.open(state.id)
    assert opened is not None
    third.service.retry(state.id, error)
    (problem,) = third.of(Problem)
    assert "report.pdf: no such file" in problem.message
    await again.close()
    await third.close()


async def test_files_sent_elsewhere_show_after_a_refresh(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    elsewhere = harness(agent_server, "blocks", tmp_path / "a.db")
    state = elsewhere.service.create(elsewhere.agent.id)
    elsewhere.service.send(state.id, "from the web", [from_bytes("scan.pdf", PDF)])
    await elsewhere.settle()
    assert state.conversation.thread_id
    here = harness(agent_server, "blocks", tmp_path / "b.db")
    mine = here.service.attach_thread(here.agent.id, state.conversation.thread_id)
    here.service.open(mine.id)
    await here.settle()
    assert users(mine) == [
        ("from the web", (AttachmentInfo("scan.pdf", "application/pdf", len(PDF)),))
    ]
    await elsewhere.close()
    await here.close()


async def test_an_edited_message_goes_again_with_its_files(
    agent_server: AgentServer, tmp_path: Path
) -> None:
    h = harness(agent_server, "blocks", tmp_path / "s.db")
    image = from_bytes("photo.png", PNG)
    state = h.service.create(h.agent.id)
    h.service.send(state.id, "see", [image])
    await h.settle()
    h.service.edit(state.id, 0, "look again")
    await h.settle()
    state = h.service.states[state.id]
    assert users(state) == [("look again", (image.info,))]
    assert texts(state.transcript.items) == [
        replies.blocks_reply(
            [
                {"type": "text"},
                {"type": "image", "mime_type": "image/png", "extras": {"filename": "photo.png"}},
            ]
        )
    ]
    # the branch left keeps its files too
    h.service.switch_branch(state.id, 0, -1)
    await h.settle()
    assert users(h.service.states[state.id]) == [("see", (image.info,))]
    await h.close()
