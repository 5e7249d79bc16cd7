"""The sub-agent side of a transcript: each sub-agent's run kept inside the card of the `task`
call that started it, live from `SubagentEvent`/`SubagentBound` or rebuilt from stored rows.
`Transcript` takes these methods from `SubagentRuns`. No Textual import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fleet_tui.domain.events import Event, SubagentBound, SubagentEvent, ToolCall
from fleet_tui.domain.transcript_items import Item, ToolItem

if TYPE_CHECKING:
    from fleet_tui.domain.transcript import Transcript


class SubagentRuns:
    items: list[Item]
    _tools: dict[str, int]
    # sub-agent runs by namespace segment, and the tool call each one is tied to
    _runs: dict[str, Transcript]
    _run_call: dict[str, str]
    # stored rows of sub-agent runs, by the call they belong to, until its card is shown
    _nested_rows: dict[str, list[Any]]
    _append: Callable[[Item], int]
    _apply: Callable[[Event], list[int]]
    _add_rows: Callable[[Any], list[int]]

    def _new_run(self) -> Transcript:
        return type(self)()  # type: ignore[return-value]

    def open_subagents(self) -> list[tuple[str | None, ToolCall]]:
        """`task` calls still waiting for their result, with the namespace segment each is
        tied to (a run resumed after an approval goes on in the same sub-agent)."""
        segment_of = {call: segment for segment, call in self._run_call.items()}
        out = []
        for index in self._tools.values():
            item = self.items[index]
            if isinstance(item, ToolItem) and item.name == "task" and item.result is None:
                out.append(
                    (segment_of.get(item.call_id), ToolCall(item.call_id, item.name, item.args))
                )
        return out

    def run_for(self, call_id: str) -> Transcript | None:
        """The transcript of the sub-agent run the tool call `call_id` started, if any."""
        index = self._tools.get(call_id)
        item = self.items[index] if index is not None else None
        return item.subagent if isinstance(item, ToolItem) else None

    def _card(self, segment: str) -> int | None:
        call_id = self._run_call.get(segment)
        return self._tools.get(call_id) if call_id is not None else None

    def _subagent_event(self, event: SubagentEvent) -> list[int]:
        segment, _, rest = event.namespace.partition("|")
        run = self._runs.get(segment)
        if run is None:
            run = self._runs[segment] = self._new_run()
        run._apply(SubagentEvent(rest, event.event) if rest else event.event)
        index = self._card(segment)
        if index is None:
            return []  # kept until the run is tied to its call
        self.items[index].touch()
        return [index]

    def _subagent_bound(self, event: SubagentBound) -> list[int]:
        segment, _, rest = event.namespace.partition("|")
        if rest:
            run = self._runs.setdefault(segment, self._new_run())
            run._apply(SubagentBound(rest, event.tool_call_id, event.agent, event.exact))
            index = self._card(segment)
            return [index] if index is not None else []
        changed = []
        previous = self._card(segment)
        self._run_call[segment] = event.tool_call_id
        run = self._runs.setdefault(segment, self._new_run())
        if previous is not None:
            item = self.items[previous]
            if isinstance(item, ToolItem) and item.subagent is run:
                item.subagent = None
                item.touch()
                changed.append(previous)
        index = self._tools.get(event.tool_call_id)
        if index is None:
            index = self._append(ToolItem(call_id=event.tool_call_id, name="task"))
        item = self.items[index]
        assert isinstance(item, ToolItem)
        item.subagent = run
        item.agent = event.agent or item.agent
        item.touch()
        changed.append(index)
        return sorted(set(changed))

    def _mark_waiting(self, namespace: tuple[str, ...], waiting: bool) -> list[int]:
        """Mark the card of the sub-agent an approval was raised in."""
        index = self._card(namespace[0]) if namespace else None
        item = self.items[index] if index is not None else None
        if not isinstance(item, ToolItem) or item.waiting == waiting:
            return []
        item.waiting = waiting
        item.touch()
        return [index]  # type: ignore[list-item]

    def _nest_rows(self) -> list[int]:
        """Put stored sub-agent messages into the cards of the `task` calls they belong to
        (a nested sub-agent's card is inside its parent's run, so this goes round until no
        more rows find their card). Rows whose card is not shown yet wait for it."""
        changed: list[int] = []
        progress = True
        while progress and self._nested_rows:
            progress = False
            for call_id in list(self._nested_rows):
                found = self._find_card(call_id)
                if found is None:
                    continue
                index, card = found
                rows = self._nested_rows.pop(call_id)
                if card.subagent is None:
                    card.subagent = self._new_run()
                card.subagent._add_rows(rows)
                agent = card.args.get("subagent_type")
                if card.agent is None and isinstance(agent, str):
                    card.agent = agent
                card.touch()
                changed.append(index)
                progress = True
        return changed

    def _find_card(self, call_id: str) -> tuple[int, ToolItem] | None:
        """The tool item of `call_id`, here or in a sub-agent's run, with the index of the
        item of this transcript that holds it."""
        index = self._tools.get(call_id)
        if index is not None:
            item = self.items[index]
            assert isinstance(item, ToolItem)
            return index, item
        for index in self._tools.values():
            item = self.items[index]
            if isinstance(item, ToolItem) and item.subagent is not None:
                found = item.subagent._find_card(call_id)
                if found is not None:
                    return index, found[1]
        return None
