"""The one model of a pending interrupt, and the one place its wire shapes are read.

An interrupt reaches the client three ways, all read here:

- in a run's stream, as an `updates` event `{"__interrupt__": [{"value", "id", ...}]}` (the
  event name `updates|ns…` gives the namespace when it is raised inside a subgraph);
- in `GET /threads/{id}/state`, as `interrupts` (a list) and as each `tasks[].interrupts`;
- in `GET /threads/{id}` and thread searches, as `interrupts`: a dict of task id → list (or a
  list). That one can be incomplete after a failed resume, so `/state` is the one to trust.

Each item is `{"id", "value"}`, plus `response_schema` for the HITL middleware's per-call
mode (the decisions allowed: the review dialog needs it, so it is kept wherever it is sent).
Items without `value` are not interrupts; bare values (old servers) are kept without an id.
No Textual import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Interrupt:
    """A pending request for a human: answered with `command.resume` (keyed by `id` when
    several are pending)."""

    id: str | None
    value: Any
    response_schema: Any = None
    # the subgraph it was raised in (e.g. ("tools:<task id>",)); () for the graph itself
    namespace: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What tells two reports of an interrupt apart: the id, else the value."""
        return self.id or json.dumps(self.value, sort_keys=True, default=str)


def parse_interrupt(item: Any, namespace: tuple[str, ...] = ()) -> Interrupt | None:
    """One wire item (`{"id", "value", "response_schema"?, "ns"?}`) as an `Interrupt`."""
    if not isinstance(item, dict) or "value" not in item:
        return None
    iid = item.get("id") if isinstance(item.get("id"), str) and item.get("id") else None
    ns = item.get("ns")
    if not namespace and isinstance(ns, list) and all(isinstance(n, str) for n in ns):
        namespace = tuple(ns)  # older servers name the subgraph on the item itself
    return Interrupt(iid, item["value"], item.get("response_schema"), namespace)


def parse_interrupts(items: Any, namespace: tuple[str, ...] = ()) -> list[Interrupt]:
    """An `__interrupt__` list (or a single item); a bare value is an interrupt without id."""
    if not isinstance(items, list):
        items = [items]
    out = []
    for item in items:
        parsed = parse_interrupt(item, namespace)
        out.append(parsed if parsed is not None else Interrupt(None, item, None, namespace))
    return out


def _items(raw: Any) -> Iterable[Any]:
    if isinstance(raw, dict):  # task id -> interrupts, as threads list them
        for items in raw.values():
            if isinstance(items, list):
                yield from items
    elif isinstance(raw, list):
        yield from raw


def pending_interrupts(document: Any) -> list[Interrupt]:
    """The interrupts a thread (`GET /threads/{id}`) or its state (`/state`) waits on, once
    each, in order: top-level `interrupts`, then each task's."""
    if not isinstance(document, dict):
        return []
    found: dict[str, Interrupt] = {}

    def add(raw: Any) -> None:
        for item in _items(raw):
            interrupt = parse_interrupt(item)
            if interrupt is not None:
                # the task's copy may carry what the top-level one lacks (the schema)
                known = found.get(interrupt.key)
                if known is None or (known.response_schema is None and interrupt.response_schema):
                    found[interrupt.key] = interrupt

    add(document.get("interrupts"))
    for task in document.get("tasks") or ():
        if isinstance(task, dict):
            add(task.get("interrupts"))
    return list(found.values())


def waiting_status(status: str | None, interrupts: list[Interrupt]) -> str | None:
    """A thread's status as the app shows it: "interrupted" means an interrupt waits for the
    user, and only then. The server also calls a thread whose run was cancelled
    ("interrupt" action) "interrupted", with nothing to answer: that one was cancelled."""
    if interrupts:
        return "interrupted"
    if status == "interrupted":
        return "cancelled"
    return status
