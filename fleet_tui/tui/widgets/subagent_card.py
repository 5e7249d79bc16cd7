"""A sub-agent card: a `task` tool call drawn with the sub-agent's own run inside it.

Collapsed (the default) the card is one status line: the sub-agent, what it was asked, what it
is doing now and how many tool calls it made. Expanded it shows the nested run's items, indented
behind a `│ ` rule (its text as markdown, its tool calls as tool blocks, a nested sub-agent as a
card of its own, expanded), then the card's result as markdown.

The card's `version` changes with every token the sub-agent streams, so a `CardLines` keeps the
lines of every nested item per item version: a token re-renders only the item it belongs to, and
of a reply only its last markdown block (`StreamingMarkdown`). A finished reply becomes markdown
within the frame's deadline, over several frames if need be (`pending`), and the card's result,
which usually repeats it, is drawn from those lines instead of being parsed again. A collapsed
card renders one line whatever its length. One `CardLines` serves one card at one width and set
of styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from fleet_tui.domain.transcript import (
    AssistantItem,
    Item,
    ReasoningItem,
    ToolItem,
    Transcript,
    UserItem,
)
from fleet_tui.tui.widgets.lines import Line, shown, shown_line, style_number
from fleet_tui.tui.widgets.markdown_render import (
    LARGE_REPLY_CHARS,
    PlainText,
    StreamingMarkdown,
    TooDeep,
)
from fleet_tui.tui.widgets.tool_blocks import decision_lines

if TYPE_CHECKING:
    from fleet_tui.tui.widgets.item_render import ItemRenderer

RULE = "│ "
RULE_WIDTH = 2
MAX_AGENT_CELLS = 24
# a description cut shorter than this says nothing: the header leaves it out
MIN_DESCRIPTION_CELLS = 6
MAX_RESULT_CHARS = 50_000
# nested items drawn one under the other without a blank line between them, as in the pane
_COMPACT = (ToolItem, ReasoningItem)


@dataclass(slots=True, eq=False)
class _Cached:
    key: tuple[int, int, bool]
    lines: list[Line]


@dataclass(slots=True, eq=False)
class _Stream:
    """A nested reply being drawn as it grows."""

    generation: int
    view: StreamingMarkdown | PlainText
    ruled: list[Line]
    """The settled lines, ruled once: a token rules only the growing block's lines again."""


def first_difference(old: list[Line], new: list[Line]) -> int:
    """Index of the first line of `new` that is not the very same line as in `old`."""
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a is not b:
            return index
    return min(len(old), len(new))


def card_status(item: ToolItem) -> tuple[str, str]:
    """(what the sub-agent is doing now, the name of its style in PaneStyles)."""
    if item.waiting:
        return "waiting for approval ⚑", "interrupt"
    if item.state == "done":
        return "✓ done", "tool_done"
    if item.state == "failed":
        return "✗ failed", "tool_failed"
    if item.state == "stopped":
        return "⏹ stopped", "meta"
    run = item.subagent
    last = run.items[-1] if run is not None and run.items else None
    if last is None:
        return "starting…", "tool_running"
    if isinstance(last, ToolItem) and last.state == "running":
        what = f"sub-agent {last.agent or 'task'}" if last.is_subagent else last.name
        return f"calling {shown_line(what)}", "tool_running"
    if isinstance(last, AssistantItem) and not last.complete:
        return "writing…", "tool_running"
    if isinstance(last, ReasoningItem) and last.thinking:
        return "thinking…", "tool_running"
    return "working…", "tool_running"


def agent_name(item: ToolItem) -> str:
    name = item.agent or item.args.get("subagent_type") or "sub-agent"
    return shown_line(name)


def description(item: ToolItem) -> str:
    text = item.args.get("description")
    return shown_line(text) if isinstance(text, str) else ""


def tool_count(run: Transcript | None) -> int:
    return sum(isinstance(i, ToolItem) for i in run.items) if run is not None else 0


def _repeated_reply(run: Transcript, result: str | None) -> AssistantItem | None:
    """The sub-agent's last reply when it is the card's result too (shown once, as the result)."""
    if result is None:
        return None
    for nested in reversed(run.items):
        if isinstance(nested, AssistantItem):
            text = result.strip()
            return (
                nested
                if nested.length < 2 * len(text) + 64 and nested.text.strip() == text
                else None
            )
    return None


class CardLines:
    """The rendered lines of one sub-agent card, kept per nested item version."""

    def __init__(self, renderer: ItemRenderer) -> None:
        self.renderer = renderer
        self._items: dict[int, _Cached] = {}
        self._streams: dict[int, _Stream] = {}
        self._headers: dict[int, tuple[tuple[object, ...], Line]] = {}
        self._results: dict[int, tuple[int, str | None, list[Line]]] = {}
        self._finished: dict[int, tuple[int, str, list[Line]]] = {}
        """A finished nested reply's markdown lines, unruled, by item uid: (width, text, lines).
        The card's result usually repeats it, and is then drawn from them."""
        self._tasks: dict[int, tuple[tuple[int, str], list[Line]]] = {}
        self._rule = style_number(renderer.styles.meta)
        self._deadline: float | None = None
        self.pending = False
        """The last `render` left a nested reply to bring up to date on a later call."""
        self._gap: Line = (RULE.rstrip(), self._rule)

    def render(self, item: ToolItem, deadline: float | None = None) -> list[Line]:
        """The card's lines. With a `deadline`, a finished reply's markdown may take several
        calls: `pending` is then True, and the reply shows its lines from before meanwhile."""
        self.pending = False
        self._deadline = deadline
        return self._card(item, self.renderer, item.expanded)

    # -- the card -----------------------------------------------------------------------
    def header(self, item: ToolItem, r: ItemRenderer, expanded: bool) -> Line:
        status, style_name = card_status(item)
        count = tool_count(item.subagent)
        # the same line while it says the same: the pane then repaints only the growing tail
        key = (r.width, expanded, status, count, item.agent, str(item.args.get("description")))
        cached = self._headers.get(item.uid)
        if cached is not None and cached[0] == key:
            return cached[1]
        s = r.styles
        tail = Text(" — ", style=s.meta)
        tail.append(status, style=getattr(s, style_name))
        counts = Text(f" · {count} tool call{'s' if count != 1 else ''}" if count else "")
        counts.stylize(s.meta)
        agent = Text(agent_name(item), style=s.subagent)
        agent.truncate(MAX_AGENT_CELLS, overflow="ellipsis")
        head = Text.assemble(("▾ " if expanded else "▸ ", s.meta), ("◆ ", s.subagent), agent)
        # by priority: the agent and its state, then what it was asked (cut), then the count
        # of its calls, only whole
        room = r.width - head.cell_len - tail.cell_len
        what = description(item)
        piece = Text(what, style=s.tool)
        cut = bool(what) and piece.cell_len + 3 > room
        if cut:
            piece.truncate(max(0, room - 3), overflow="ellipsis")
            counts = Text("")
        if what and (not cut or piece.cell_len >= MIN_DESCRIPTION_CELLS):
            head.append(" · ", style=s.meta)
            head.append_text(piece)
        head.append_text(tail)
        if head.cell_len + counts.cell_len <= r.width:
            head.append_text(counts)
        line = r.one_line(head)
        self._headers[item.uid] = (key, line)
        return line

    def _card(self, item: ToolItem, r: ItemRenderer, expanded: bool) -> list[Line]:
        lines = [self.header(item, r, expanded)]
        lines.extend(decision_lines(r, item))
        if not expanded:
            return lines
        inner = r.narrower(RULE_WIDTH)
        lines.extend(self._task_lines(item, inner))
        run = item.subagent
        if run is not None:
            previous: Item | None = None
            repeated = _repeated_reply(run, item.result)
            for nested in run.items:
                if nested is repeated:
                    continue
                body = self._nested(nested, inner, item)
                if not body:
                    continue
                compact = isinstance(nested, _COMPACT) and isinstance(previous, _COMPACT)
                if previous is not None and not compact:
                    lines.append(self._gap)
                lines.extend(body)
                previous = nested
        if item.result is not None:
            lines.extend(self._result_lines(item, r))
        elif run is None or not run.items:
            waiting = Text("(no word from the sub-agent yet)", r.styles.hint)
            lines.append(self._ruled(inner.one_line(waiting)))
        return lines

    def _task_lines(self, item: ToolItem, r: ItemRenderer) -> list[Line]:
        """`Task: …`, the whole description the header cuts, wrapped and ruled (kept: the
        card is drawn again with every token)."""
        task = item.args.get("description")
        if not isinstance(task, str) or not task.strip():
            return []
        cached = self._tasks.get(item.uid)
        if cached is not None and cached[0] == (r.width, task):
            return cached[1]
        asked = Text.assemble(("Task: ", r.styles.meta), (shown(task.strip()), r.styles.tool))
        lines = [self._ruled(line) for line in r.text(asked)]
        self._tasks[item.uid] = ((r.width, task), lines)
        return lines

    def _ruled(self, line: Line) -> Line:
        return (RULE, self._rule, *line) if line else self._gap

    def _nested(self, item: Item, r: ItemRenderer, card: ToolItem) -> list[Line]:
        """One nested item's lines, ruled, rendered again only when the item changed."""
        key = (r.width, item.version, item.expanded)
        cached = self._items.get(item.uid)
        if cached is not None and cached.key == key:
            return cached.lines
        if isinstance(item, AssistantItem):
            reply = self._reply(item, r)
            if reply is None:
                self.pending = True
                return cached.lines if cached is not None else []
            self._items[item.uid] = _Cached(key, reply)
            return reply
        if isinstance(item, ToolItem) and item.is_subagent:
            body = self._card(item, r, True)  # nested cards cannot be opened one by one
        elif isinstance(item, UserItem):
            # the sub-agent's task, already in the card's header
            body = [] if shown_line(item.text) == description(card) else r.render(item)
        else:
            body = r.render(item)
        lines = [self._ruled(line) for line in body]
        if not self.pending:  # a nested card with a reply still to finish: again next time
            self._items[item.uid] = _Cached(key, lines)
        return lines

    def _reply(self, item: AssistantItem, r: ItemRenderer) -> list[Line] | None:
        """A nested reply's lines, ruled; while it grows only its last block is redone.
        None when its markdown was not finished by the deadline (finished on a later call)."""
        stream = self._streams.get(item.uid)
        # While it grows, a nested reply is folded as plain text (each character once): with
        # several sub-agents streaming at once, markdown's re-render of each growing block
        # every frame cost more than a frame. Finished, it is drawn as markdown, once.
        plain = not item.complete or item.length > LARGE_REPLY_CHARS
        if (
            stream is None
            or stream.generation != item.generation
            or (not plain and isinstance(stream.view, PlainText))
        ):
            view: StreamingMarkdown | PlainText
            view = PlainText(r.width, []) if plain else StreamingMarkdown(r.blocks)
            stream = self._streams[item.uid] = _Stream(item.generation, view, [])
        view = stream.view
        try:
            if isinstance(view, PlainText):
                view.update_from(item.text_window, item.length, item.complete)
            else:
                if not view.update(item.text_from(view.offset), item.complete, self._deadline):
                    return None
        except TooDeep:
            stream.view = PlainText(r.width, [])
            stream.ruled.clear()
            return self._reply(item, r)
        ruled = stream.ruled
        settled = view.settled_lines
        ruled.extend(self._ruled(line) for line in view.lines[len(ruled) : settled])
        lines = ruled + [self._ruled(line) for line in view.lines[settled:]]
        while not item.complete and lines and lines[-1] is self._gap:
            lines.pop()  # blank lines a growing text ends with: the next words may fill them
        if item.complete:
            del self._streams[item.uid]
            if isinstance(view, StreamingMarkdown):
                self._finished[item.uid] = (r.width, item.text, list(view.lines))
            if item.interrupted:
                lines.append(self._ruled(r.interrupted_marker()))
        return lines

    def _result_lines(self, item: ToolItem, r: ItemRenderer) -> list[Line]:
        """`╰ result`, then the result as markdown (as text when the call failed)."""
        cached = self._results.get(item.uid)
        if cached is not None and cached[0] == r.width and cached[1] is item.result:
            return cached[2]
        s = r.styles
        result = item.result or ""
        lines = [r.one_line(Text("╰ result", style=s.meta))]
        text = result[:MAX_RESULT_CHARS]
        inner = r.narrower(RULE_WIDTH)
        drawn = self._drawn_reply(item, inner.width, text)
        if item.state == "failed":
            lines.extend(r.text(Text(shown(text), style=s.tool_failed), RULE_WIDTH))
        elif drawn is not None:
            lines.extend((" " * RULE_WIDTH, 0, *line) for line in drawn)
        else:
            try:
                body = inner.blocks.render_text(text)
            except TooDeep:
                body = r.text(Text(shown(text)), RULE_WIDTH)
            else:
                body = [(" " * RULE_WIDTH, 0, *line) for line in body]
            lines.extend(body)
        if len(result) > len(text):
            more = f"  … {len(result) - len(text):,} more characters (c copies all)"
            lines.append(r.one_line(Text(more, s.hint)))
        self._results[item.uid] = (r.width, item.result, lines)
        return lines

    def _drawn_reply(self, item: ToolItem, width: int, text: str) -> list[Line] | None:
        """The markdown lines of the sub-agent's last reply when the result is the very same
        text, drawn at this width already: the result is drawn from them, not parsed again."""
        run = item.subagent
        if run is None or len(text) != len(item.result or ""):
            return None
        for nested in reversed(run.items):
            if isinstance(nested, AssistantItem):
                finished = self._finished.get(nested.uid)
                if finished is not None and finished[0] == width and finished[1] == text:
                    return finished[2]
                return None
        return None
