"""An approval is "answered" on screen only when the run its answer started went on well."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from fleet_tui.domain.events import InterruptRequest
from fleet_tui.domain.transcript import InterruptItem, Transcript
from fleet_tui.services import approvals
from fleet_tui.services.conversation_state import ConversationState
from fleet_tui.storage.store import memory_store
from fleet_tui.tui.widgets.item_render import ItemRenderer, PaneStyles
from fleet_tui.tui.widgets.lines import text_of

VALUE = {"question": "send the report?"}


def waiting_state() -> tuple[ConversationState, InterruptItem]:
    store = memory_store()
    agent = store.ensure_agent("http://127.0.0.1:1", "agent")
    conversation = store.create_conversation(agent.id, thread_id="t1")
    state = ConversationState(conversation, Transcript())
    event = InterruptRequest("i1", VALUE)
    state.transcript.apply(event)
    assert approvals.on_event(state, event)
    state.answering = {"i1": "yes"}
    (item,) = [i for i in state.transcript.items if isinstance(i, InterruptItem)]
    return state, item


def drawn(item: InterruptItem) -> str:
    console = Console(file=io.StringIO(), width=100, force_terminal=True)
    lines = ItemRenderer(console, 90, PaneStyles(), "monokai").interrupt(item)
    return "\n".join(text_of(line) for line in lines)


@pytest.mark.parametrize("status", ["success", "interrupted"])
def test_an_answer_whose_run_went_on_is_answered(status: str) -> None:
    state, item = waiting_state()
    store = memory_store()
    assert approvals.after_run(store, state, status) == (status, False)
    assert item.resolved and not item.run_failed
    assert drawn(item).startswith("↩ answered")


def test_an_answer_whose_run_failed_is_not_shown_answered() -> None:
    state, item = waiting_state()
    store = memory_store()
    status, unsettled = approvals.after_run(store, state, "error")
    assert status == "error" and unsettled and not item.resolved
    # `/state` no longer lists it: the server took the answer, and the run then failed
    approvals.sync_pending(store, state, [], run_failed=True)
    assert item.resolved and item.run_failed
    text = drawn(item)
    assert "answered" not in text.replace("answer sent", "") and "✓" not in text
    assert text.startswith("✗ answer sent, but the run it started failed")


def test_an_answer_the_server_refused_stays_waiting() -> None:
    from fleet_tui.domain.interrupt_model import Interrupt

    state, item = waiting_state()
    store = memory_store()
    approvals.after_run(store, state, "error")
    approvals.sync_pending(store, state, [Interrupt("i1", VALUE)], run_failed=True)
    assert not item.resolved
    assert drawn(item).startswith("⏸ waiting for your approval")
