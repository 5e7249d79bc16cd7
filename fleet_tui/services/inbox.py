"""The inbox across every saved agent: its entries, read from the store, and answering a
single-action approval from the list. Shared by the TUI and `fleet-tui inbox`. No Textual
import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from fleet_tui.domain.inbox import InboxEntry, InboxKind, quick_answer, waiting_actions

if TYPE_CHECKING:
    from fleet_tui.services.conversation_service import ConversationService
    from fleet_tui.settings.config import AgentProfile
    from fleet_tui.storage.store import Store

ALREADY_ANSWERED = "It was already answered elsewhere; nothing was sent."
NOT_READ = "The thread could not be read from the server; nothing was sent."
NOT_QUICK = "This one needs the review (enter): it is not a single approve-or-reject."


def saved_agents(store: Store, profiles: Iterable[AgentProfile]) -> dict[int, str]:
    """Stored agent key → the name of the saved profile that serves it (the first one)."""
    by_target: dict[tuple[str, str], str] = {}
    for profile in profiles:
        if profile.url and profile.agent_id:
            by_target.setdefault((profile.url.rstrip("/"), profile.agent_id), profile.name)
    out: dict[int, str] = {}
    for agent in store.list_agents():
        name = by_target.get((agent.url.rstrip("/"), agent.agent_id))
        if name is not None:
            out[agent.id] = name
    return out


def entries(
    store: Store, profiles: Iterable[AgentProfile], *, limit: int = 5000
) -> list[InboxEntry]:
    """What waits, failed or finished unread, for the saved agents, newest first."""
    agents = saved_agents(store, profiles)
    out: list[InboxEntry] = []
    for row in store.inbox_rows(agents, limit=limit):
        conversation = row.conversation
        kind: InboxKind
        if conversation.status == "interrupted":
            kind = "waiting"
        elif conversation.status == "error":
            kind = "failed"
        else:
            kind = "finished"
        out.append(
            InboxEntry(
                kind,
                conversation.agent_pk,
                agents[conversation.agent_pk],
                conversation.id,
                conversation.thread_id,
                conversation.title,
                row.changed_at if row.changed_at is not None else conversation.updated_at,
                waiting_actions(row.waiting) if kind == "waiting" else (),
                row.waiting if kind == "waiting" else (),
                row.failure if kind == "failed" else "",
            )
        )
    return out


async def answer_waiting(
    service: ConversationService, entry: InboxEntry, decision: str, reason: str = ""
) -> list[str]:
    """Approve or reject `entry`'s one action; the problems found ([] when the answer went).

    What is pending is read from the server first: it may have been answered elsewhere.
    The run the answer starts goes on in its conversation, with its agent's client.
    """
    if entry.quick_action is None:
        return [NOT_QUICK]
    state = service.load(entry.conversation_id)
    if state is None:
        return ["That conversation no longer exists."]
    if service.client_of(state) is None:
        return [f"The settings of {entry.agent!r} cannot be used now; fix them in the settings."]
    if not await service.refresh_now(entry.conversation_id):
        return [NOT_READ]
    wanted = entry.interrupts[0].id
    pending = {i.id: i for i in state.pending()}
    interrupt = pending.get(wanted)
    if interrupt is None:
        if not pending:
            service.store.set_waiting(entry.conversation_id, [])
        return [ALREADY_ANSWERED]
    value = quick_answer(interrupt, decision, reason)
    if value is None:
        return [NOT_QUICK]
    problems = service.answer(entry.conversation_id, {wanted: value})
    if not problems:
        # answered: it leaves the inbox now; the run the answer started says what comes next
        service.store.set_waiting(entry.conversation_id, [])
    return problems
