"""Turn transcript items into lines (see `lines.py`) at a given width.

Everything an agent or a tool wrote goes through `shown` (known secrets masked, escapes made
visible) and into `Text(...)` or markdown tokens: it is never parsed as Rich markup, so `[bold]`
stays literal. Structured values are masked before they are shortened for display, so a cut
cannot leave half a secret.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.style import Style
from rich.text import Text

from fleet_tui.common.redaction import redact, redact_value
from fleet_tui.domain.transcript import (
    ErrorItem,
    InterruptItem,
    Item,
    NoticeItem,
    ReasoningItem,
    ToolItem,
    UserItem,
)
from fleet_tui.tui.widgets.cells import fit
from fleet_tui.tui.widgets.lines import Line, pack_lines, shown, shown_line

INDENT = 2
MAX_VALUE_CHARS = 240
MAX_LIST_ITEMS = 40
MAX_RESULT_LINES = 40
MAX_RESULT_CHARS = 8000
# A result longer than this is shown as text: parsing megabytes of JSON to show 40 lines of it
# would stall the app each time it is drawn.
MAX_JSON_RESULT_CHARS = 200_000
PREVIEW_VALUE_CHARS = 40
SUMMARY_CHARS = 200

STATE_LABELS = {
    "running": "… running",
    "done": "✓ done",
    "failed": "✗ failed",
    "stopped": "⏹ stopped",
}


class PaneStyles(NamedTuple):
    """Rich styles of the pane's parts, read from its component classes."""

    user_label: Style = Style(bold=True)
    agent_label: Style = Style(bold=True)
    meta: Style = Style(dim=True)
    user_text: Style = Style()
    tool: Style = Style()
    tool_name: Style = Style(bold=True)
    tool_running: Style = Style(italic=True)
    tool_done: Style = Style()
    tool_failed: Style = Style(bold=True)
    reasoning: Style = Style(italic=True, dim=True)
    error_title: Style = Style(bold=True)
    error_text: Style = Style()
    hint: Style = Style(dim=True)
    notice: Style = Style(dim=True, italic=True)
    auth: Style = Style(bold=True)
    auth_url: Style = Style(underline=True)
    interrupt: Style = Style(bold=True)
    interrupted: Style = Style(dim=True, italic=True)
    diff_removed: Style = Style(color="red")
    diff_added: Style = Style(color="green")
    subagent: Style = Style(bold=True)


class ItemRenderer:
    """Renders items other than agent text (see `StreamingMarkdown` for that) at one width."""

    def __init__(self, console: Console, width: int, styles: PaneStyles, code_theme: str):
        self.console = console
        self.width = max(8, width)
        self.styles = styles
        self.code_theme = code_theme
        self.max_result_lines = MAX_RESULT_LINES
        self._narrower: dict[int, ItemRenderer] = {}
        from fleet_tui.tui.widgets.markdown_render import BlockRenderer

        self.blocks = BlockRenderer(console, self.width, code_theme)
        self.options = self.blocks.options
        self._json = JSONHighlighter()

    # -- helpers ----------------------------------------------------------------------
    def narrower(self, indent: int) -> ItemRenderer:
        """A renderer `indent` cells narrower (what is drawn inside a sub-agent card), kept."""
        renderer = self._narrower.get(indent)
        if renderer is None:
            renderer = ItemRenderer(self.console, self.width - indent, self.styles, self.code_theme)
            self._narrower[indent] = renderer
        return renderer

    def text(self, text: Text, indent: int = 0) -> list[Line]:
        options = self.options if not indent else self.options.update(width=self.width - indent)
        return pack_lines(self.console.render_lines(text, options, pad=False), indent)

    def one_line(self, text: Text) -> Line:
        text.no_wrap = True
        text.overflow = "ellipsis"
        text.truncate(self.width, overflow="ellipsis")
        return self.text(text)[0]

    # -- items ------------------------------------------------------------------------
    def render(self, item: Item) -> list[Line]:
        if isinstance(item, UserItem):
            if not item.attachments:
                return self.text(Text(shown(item.text), style=self.styles.user_text))
            from fleet_tui.tui.widgets.attachment_chips import chips_text

            chips = self.text(chips_text(item.attachments, self.styles.meta))
            if not item.text:
                return chips
            return self.text(Text(shown(item.text), style=self.styles.user_text)) + chips
        if isinstance(item, ToolItem):
            return self.tool(item)
        if isinstance(item, ReasoningItem):
            return self.reasoning(item)
        if isinstance(item, InterruptItem):
            return self.interrupt(item)
        if isinstance(item, ErrorItem):
            return self.error(item)
        if isinstance(item, NoticeItem):
            notice = Text(f"· {shown_line(item.text)} ·", style=self.styles.notice)
            notice.justify = "center"
            return self.text(notice)
        return []

    def plain_note(self, length: int, too_deep: bool) -> Line:
        """The first line of a reply shown as plain text: why it is."""
        if too_deep:
            why = "nested too deeply to draw as markdown at this width"
        else:
            why = f"{length:,} characters, too long to draw as markdown"
        return self.one_line(Text(f"(shown as plain text: {why})", self.styles.meta))

    def interrupted_marker(self) -> Line:
        return self.one_line(Text("⏹ (interrupted — the reply is incomplete)", self.styles.meta))

    def usage_line(self, words: str) -> Line:
        """What a reply cost, dim, under it ("model · 1,234 in · 567 out · 3.2 s")."""
        return self.one_line(Text(shown_line(words), self.styles.meta))

    def tool_head(self, item: ToolItem) -> Text:
        """`▸ ⚙ name`: the start of a tool block's first line."""
        s = self.styles
        return Text.assemble(
            ("▾ " if item.expanded else "▸ ", s.meta),
            ("⚙ ", s.tool),
            (shown_line(item.name), s.tool_name),
            style=s.tool,
        )

    def tool_state(self, item: ToolItem) -> Text:
        s = self.styles
        # a call the user answered for, or turned down, did not run: it did not fail either
        if item.decision in ("reject", "respond") and item.state != "running":
            return Text("⊘ not run", style=s.meta)
        if item.decision == "awaiting" and item.state == "running":
            return Text("⏸ waiting", style=s.interrupt)
        state_style = {
            "running": s.tool_running,
            "done": s.tool_done,
            "failed": s.tool_failed,
            "stopped": s.meta,
        }
        return Text(STATE_LABELS[item.state], style=state_style[item.state])

    def tool(self, item: ToolItem) -> list[Line]:
        from fleet_tui.tui.widgets import tool_blocks

        if item.is_subagent:
            from fleet_tui.tui.widgets.subagent_card import CardLines

            return CardLines(self).render(item)
        if item.name in tool_blocks.DEEP_TOOLS:
            special = tool_blocks.deep_tool(self, item)
            if special is not None:
                return special + (self._auth(item.auth_url) if item.auth_url else [])
        s = self.styles
        state = self.tool_state(item)
        head = self.tool_head(item)
        if not item.expanded:
            preview = shown_line(args_preview(redact_value(item.ran_args)))  # type: ignore[arg-type]
            room = self.width - head.cell_len - state.cell_len - 3
            if room > 3:
                preview = fit(preview, room)
                head.append(f"({preview})", style=s.tool)
            head.append(" ")
            head.append_text(state)
            lines = [self.one_line(head)]
            lines.extend(tool_blocks.decision_lines(self, item))
        else:
            head.append("  ")
            head.append_text(state)
            lines = [self.one_line(head)]
            lines.extend(tool_blocks.decision_lines(self, item))
            lines.append(self.one_line(Text.assemble(" " * (INDENT), ("arguments", s.meta))))
            lines.extend(self._json_block(fold_value(redact_value(item.ran_args)), 2 * INDENT))
            if item.result is not None:
                lines.append(self.one_line(Text.assemble(" " * (INDENT), ("result", s.meta))))
                lines.extend(self._result(item.result))
        if item.auth_url:
            lines.extend(self._auth(item.auth_url))
        return lines

    def _auth(self, url: str) -> list[Line]:
        s = self.styles
        lines = self.text(Text("⚠ Sign-in needed — open this link (c copies it):", s.auth), INDENT)
        lines.extend(self.text(Text(shown_line(url), s.auth_url), INDENT))
        return lines

    def _json_block(self, value: Any, indent: int) -> list[Line]:
        dumped = json.dumps(value, ensure_ascii=False, indent=2, default=str)
        return self.text(self._json(Text(shown(dumped))), indent)

    def json_block(self, value: Any, indent: int) -> list[Line]:
        """A JSON value, long strings and lists shortened, highlighted."""
        return self._json_block(fold_value(value), indent)

    def result_lines(self, result: str, indent: int = 2 * INDENT) -> list[Line]:
        """A tool's result (JSON highlighted, long results cut short with a note)."""
        return self._result(result, indent)

    def _result(self, result: str, indent: int = 2 * INDENT) -> list[Line]:
        result = redact(result)  # before it is cut short
        stripped = result.strip()
        if stripped[:1] in ("{", "[") and len(stripped) <= MAX_JSON_RESULT_CHARS:
            try:
                parsed = json.loads(stripped)
            except ValueError:
                pass
            else:
                lines = self._json_block(fold_value(parsed), indent)
                return self._cap(lines)
        text = result if len(result) <= MAX_RESULT_CHARS else result[:MAX_RESULT_CHARS]
        lines = self.text(Text(shown(text), style=self.styles.tool), indent)
        return self._cap(lines, truncated=len(result) > MAX_RESULT_CHARS)

    def _cap(self, lines: list[Line], truncated: bool = False) -> list[Line]:
        if len(lines) > MAX_RESULT_LINES:
            more = len(lines) - MAX_RESULT_LINES
            lines = lines[:MAX_RESULT_LINES]
            note = f"… {more} more lines (c copies all)"
        elif truncated:
            note = "… (c copies all)"
        else:
            return lines
        lines.append(self.one_line(Text.assemble(" " * (2 * INDENT), (note, self.styles.hint))))
        return lines

    def reasoning(self, item: ReasoningItem) -> list[Line]:
        s = self.styles
        if item.thinking:
            label = "thinking…"
        elif item.seconds is not None:
            label = f"thought for {max(1, round(item.seconds))} s"
        else:
            label = "reasoning"
        head = Text.assemble(("▾ " if item.expanded else "▸ ", s.meta), (f"∴ {label}", s.reasoning))
        lines = [self.one_line(head)]
        if item.expanded and item.text:
            lines.extend(self.text(Text(shown(item.text), style=s.reasoning), INDENT))
        return lines

    def interrupt(self, item: InterruptItem) -> list[Line]:
        s = self.styles
        summary = shown_line(interrupt_summary(redact_value(item.value), item.response_schema))
        if item.resolved and item.run_failed:
            lead = "✗ answer sent, but the run it started failed: "
            return self.text(Text.assemble((lead, s.error_title), (summary, s.meta)))
        if item.resolved:
            label, style_name = answered_label(item.decisions)
            if item.value is None:  # rebuilt from the stored decisions: the calls they name
                summary = ", ".join(dict.fromkeys(shown_line(name) for _, name in item.decisions))
            head = Text(label, style=getattr(s, style_name))
            if summary:
                head.append(": " + summary, style=s.meta)
            return self.text(head)
        lines = self.text(Text.assemble(("⏸ waiting for your approval: ", s.interrupt), summary))
        lines.append(self.one_line(Text("enter: review and answer", style=s.hint)))
        return lines

    def error(self, item: ErrorItem) -> list[Line]:
        s = self.styles
        lines = self.text(Text(f"✗ {shown_line(item.title)}", style=s.error_title))
        if item.message:
            lines.extend(self.text(Text(shown(item.message), style=s.error_text), INDENT))
        if item.retryable:
            lines.append(self.one_line(Text.assemble(" " * (INDENT), ("r: retry", s.hint))))
        return lines


DECIDED_WORDS = {
    "approve": "approved",
    "edit": "edited",
    "reject": "rejected",
    "respond": "answered",
}


def answered_label(decisions: tuple[tuple[str, str], ...]) -> tuple[str, str]:
    """What an answered approval says was decided, and the name of its style: "✓ approved",
    "✎ edited", "✗ rejected", "↩ answered" (a response), or for several decisions
    "2 decisions: 1 approved, 1 rejected"."""
    from fleet_tui.tui.widgets.tool_blocks import DECISIONS

    kinds = [kind for kind, _ in decisions]
    if not kinds:
        return "✓ resolved", "meta"
    if len(kinds) == 1:
        return DECISIONS.get(kinds[0], (f"• {shown_line(kinds[0])}", "meta"))
    counts = {kind: kinds.count(kind) for kind in dict.fromkeys(kinds)}
    parts = [f"{n} {DECIDED_WORDS.get(kind, shown_line(kind))}" for kind, n in counts.items()]
    mark, style_name = "•", "meta"
    if len(counts) == 1:
        mark, style_name = DECISIONS.get(kinds[0], ("•", "meta"))
        mark = mark.split(" ", 1)[0]
    return f"{mark} {len(kinds)} decisions: {', '.join(parts)}", style_name


def fold_value(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON value with long strings and lists shortened, for display."""
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            return f"{value[:MAX_VALUE_CHARS]}… (+{len(value) - MAX_VALUE_CHARS} chars)"
        return value
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {str(k): fold_value(v, depth + 1) for k, v in items[:MAX_LIST_ITEMS]}
        if len(items) > MAX_LIST_ITEMS:
            out["…"] = f"+{len(items) - MAX_LIST_ITEMS} more keys"
        return out
    if isinstance(value, (list, tuple)):
        out_list = [fold_value(v, depth + 1) for v in value[:MAX_LIST_ITEMS]]
        if len(value) > MAX_LIST_ITEMS:
            out_list.append(f"… +{len(value) - MAX_LIST_ITEMS} more items")
        return out_list
    return value


def _short_repr(value: Any) -> str:
    if isinstance(value, str):
        text = value if len(value) <= PREVIEW_VALUE_CHARS else value[:PREVIEW_VALUE_CHARS] + "…"
        return repr(text)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= PREVIEW_VALUE_CHARS else text[:PREVIEW_VALUE_CHARS] + "…"
    return repr(value)


def args_preview(args: dict[str, Any]) -> str:
    """`city='Paris', days=3` — a call's arguments on one line."""
    if set(args) == {"__raw__"}:
        return _short_repr(args["__raw__"])
    return ", ".join(f"{key}={_short_repr(value)}" for key, value in args.items())


def interrupt_summary(value: Any, response_schema: Any = None) -> str:
    """One line for an interrupt: `interrupts.summary`, the one every view uses."""
    # loaded with the first interrupt shown: the first frame does without it
    from fleet_tui.domain.interrupts import summary

    return summary(value, response_schema, limit=SUMMARY_CHARS)
