"""Tool blocks for a deep agent's own tools, and the approval decision shown on any tool block.

A deep agent plans with `write_todos`, keeps files with `write_file` / `edit_file` and reads them
with `read_file`, `ls`, `glob`, `grep`. Shown as generic calls these are JSON full of `\\n`; here
the plan is a checklist, an edit a diff, a written file its path, size and first lines, and a read
one line. Arguments that do not have the expected shape fall back to the generic block.

Everything the agent wrote goes through `shown` / `shown_line` into `Text` objects, never markup.
"""

from __future__ import annotations

import ast
import difflib
import json
from typing import TYPE_CHECKING, Any

from rich.syntax import Syntax
from rich.text import Text

from fleet_tui.common.redaction import redact, redact_value
from fleet_tui.domain.deep_state import human_size, parse_todos
from fleet_tui.tui.widgets.lines import Line, pack_lines, shown, shown_line

if TYPE_CHECKING:
    from fleet_tui.domain.deep_state import Todo
    from fleet_tui.domain.transcript import ToolItem
    from fleet_tui.tui.widgets.item_render import ItemRenderer

INDENT = 2
TODO_MARKS = {"completed": "✓", "in_progress": "▶"}
PENDING_MARK = "○"
# collapsed blocks preview this much; expanded ones show up to the MAX_ values
TODO_PREVIEW = 8
DIFF_PREVIEW = 6
FILE_PREVIEW = 3
MAX_DIFF_LINES = 400
MAX_FILE_LINES = 400
MAX_FILE_CHARS = 100_000
# a finer diff than "all old lines, then all new ones" costs too much past this
MAX_MATCHED_LINES = 2_000
MAX_LISTING_CHARS = 200_000

LEXERS = {
    "py": "python", "md": "markdown", "markdown": "markdown", "js": "javascript",
    "ts": "typescript", "tsx": "tsx", "jsx": "jsx", "json": "json", "yaml": "yaml",
    "yml": "yaml", "toml": "toml", "sh": "bash", "bash": "bash", "html": "html", "css": "css",
    "sql": "sql", "go": "go", "rs": "rust", "java": "java", "c": "c", "h": "c", "cpp": "cpp",
    "rb": "ruby", "xml": "xml", "ini": "ini", "diff": "diff",
}  # fmt: skip

DEEP_TOOLS = frozenset(
    {"write_todos", "edit_file", "write_file", "read_file", "ls", "glob", "grep"}
)

# decision type → (label, style name in PaneStyles)
DECISIONS = {
    "awaiting": ("⏸ awaiting approval", "interrupt"),
    "approve": ("✓ approved", "tool_done"),
    "edit": ("✎ edited", "interrupt"),
    "reject": ("✗ rejected", "tool_failed"),
    "respond": ("↩ answered", "meta"),
}


def lexer_for(path: str) -> str:
    """The Pygments lexer name for a file's extension ("text" when unknown)."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return LEXERS.get(ext, "text")


def deep_tool(r: ItemRenderer, item: ToolItem) -> list[Line] | None:
    """The block of a deep agent's tool call; None when it is not one (or its args are odd)."""
    args = item.ran_args
    name = item.name
    if name == "write_todos":
        todos = parse_todos(args.get("todos"))
        return None if todos is None else _todos(r, item, todos)
    path = args.get("file_path", args.get("path"))
    if name == "edit_file":
        old, new = args.get("old_string"), args.get("new_string")
        if isinstance(path, str) and isinstance(old, str) and isinstance(new, str):
            return _edit(r, item, path, old, new)
        return None
    if name == "write_file":
        content = args.get("content")
        if isinstance(path, str) and isinstance(content, str):
            return _write(r, item, path, content)
        return None
    if name in ("read_file", "ls", "glob", "grep"):
        return _read(r, item)
    return None


# -- shared parts ---------------------------------------------------------------------------
def _head(r: ItemRenderer, item: ToolItem, summary: str, extra: str = "") -> Line:
    """`▸ ⚙ name summary · extra  ✓ done`, the summary cut to what room is left."""
    s = r.styles
    head = r.tool_head(item)
    state = r.tool_state(item)
    tail = Text(f" · {extra}" if extra else "", style=s.meta)
    room = r.width - head.cell_len - state.cell_len - tail.cell_len - 3
    summary = shown_line(summary)
    if room > 3 and summary:
        piece = Text(" " + summary, style=s.tool)
        piece.truncate(room + 1, overflow="ellipsis")
        head.append_text(piece)
    if room > 3:
        head.append_text(tail)
    head.append("  ")
    head.append_text(state)
    return r.one_line(head)


def _note(r: ItemRenderer, text: str, indent: int = INDENT) -> Line:
    return r.one_line(Text.assemble(" " * indent, (text, r.styles.hint)))


def _result_if_failed(r: ItemRenderer, item: ToolItem) -> list[Line]:
    if item.state == "failed" and item.result is not None:
        return r.text(Text(shown(redact(item.result)), style=r.styles.tool_failed), INDENT)
    return []


def decision_lines(r: ItemRenderer, item: ToolItem) -> list[Line]:
    """What the user decided about a call that needed approval (nothing if it did not)."""
    decision = item.decision
    if not decision:
        return []
    s = r.styles
    label, style_name = DECISIONS.get(decision, (f"• {shown_line(decision)}", "meta"))
    style = getattr(s, style_name)
    if decision == "edit" and item.ran_args is not item.args:
        return _edited(r, item, label, style)
    detail = redact(item.decision_detail or "")
    if not item.expanded or not detail or decision == "edit":
        head = Text.assemble(" " * INDENT, (label, style))
        if detail and not item.expanded:
            head.append(": " + shown_line(detail), style=s.meta)
        lines = [r.one_line(head)]
        if item.expanded and detail:  # edit: the new arguments
            lines.extend(_json_or_text(r, detail, 2 * INDENT))
        return lines
    head = Text.assemble((label, style), (": ", s.meta), (shown(detail), s.tool))
    return r.text(head, INDENT)


def _edited(r: ItemRenderer, item: ToolItem, label: str, style: Any) -> list[Line]:
    """An edited call: the block above shows the arguments it ran with; the ones the agent
    proposed are shown here, expanded."""
    s = r.styles
    if not item.expanded:
        note = ": ran with your arguments (enter shows the proposed ones)"
        return [r.one_line(Text.assemble(" " * INDENT, (label, style), (note, s.meta)))]
    lines = [r.one_line(Text.assemble(" " * INDENT, (label, style), (" — as proposed:", s.meta)))]
    lines.extend(r.json_block(redact_value(item.args), 2 * INDENT))
    return lines


def _json_or_text(r: ItemRenderer, text: str, indent: int) -> list[Line]:
    try:
        value = json.loads(text)
    except ValueError:
        return r.text(Text(shown(text), style=r.styles.tool), indent)
    return r.json_block(redact_value(value), indent)


# -- write_todos ----------------------------------------------------------------------------
def _todos(r: ItemRenderer, item: ToolItem, todos: tuple[Todo, ...]) -> list[Line]:
    s = r.styles
    done = sum(todo.done for todo in todos)
    summary = f"plan: {len(todos)} task{'s' if len(todos) != 1 else ''}, {done} done"
    lines = [_head(r, item, summary)]
    lines.extend(decision_lines(r, item))
    shown_todos = todos if item.expanded else todos[:TODO_PREVIEW]
    for todo in shown_todos:
        mark = TODO_MARKS.get(todo.status, PENDING_MARK)
        style = s.tool_done if todo.done else s.tool_running if todo.active else s.tool
        text = Text.assemble((f"{mark} ", style), (shown_line(todo.content), style))
        lines.extend(r.text(text, INDENT))
    if len(shown_todos) < len(todos):
        lines.append(_note(r, f"… {len(todos) - len(shown_todos)} more (enter shows all)"))
    return lines + _result_if_failed(r, item)


# -- edit_file ------------------------------------------------------------------------------
def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """(" " | "-" | "+", line): the lines `new` takes from `old`, the ones it drops and adds."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    if old == "":
        old_lines = []
    if len(old_lines) + len(new_lines) > MAX_MATCHED_LINES:
        return [("-", line) for line in old_lines] + [("+", line) for line in new_lines]
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend((" ", line) for line in old_lines[i1:i2])
        else:
            out.extend(("-", line) for line in old_lines[i1:i2])
            out.extend(("+", line) for line in new_lines[j1:j2])
    return out


def _edit(r: ItemRenderer, item: ToolItem, path: str, old: str, new: str) -> list[Line]:
    s = r.styles
    diff = diff_lines(redact(old), redact(new))
    removed = sum(sign == "-" for sign, _ in diff)
    added = sum(sign == "+" for sign, _ in diff)
    every = bool(item.ran_args.get("replace_all"))
    extra = f"-{removed} +{added}" + (" · every occurrence" if every else "")
    lines = [_head(r, item, path, extra)]
    lines.extend(decision_lines(r, item))
    limit = MAX_DIFF_LINES if item.expanded else DIFF_PREVIEW
    styles = {"-": s.diff_removed, "+": s.diff_added, " ": s.meta}
    for sign, text in diff[:limit]:
        line = Text(f"{sign} {shown_line(text)}", style=styles[sign])
        if item.expanded:
            lines.extend(r.text(line, INDENT))
        else:
            lines.append(r.one_line(Text.assemble(" " * INDENT, line)))
    if len(diff) > limit:
        hint = "enter shows all" if not item.expanded else "c copies the call"
        lines.append(_note(r, f"… {len(diff) - limit} more diff lines ({hint})"))
    if every and item.expanded:
        lines.append(_note(r, "replace_all: every occurrence of the old text is replaced"))
    return lines + _result_if_failed(r, item)


# -- write_file -----------------------------------------------------------------------------
def _write(r: ItemRenderer, item: ToolItem, path: str, content: str) -> list[Line]:
    s = r.styles
    content = redact(content)
    count = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    size = human_size(len(content.encode("utf-8", "surrogatepass")))
    lines = [_head(r, item, path, f"{size} · {count} line{'s' if count != 1 else ''}")]
    lines.extend(decision_lines(r, item))
    if not item.expanded:
        first = content.split("\n", FILE_PREVIEW)[:FILE_PREVIEW]
        for text in first:
            lines.append(r.one_line(Text.assemble(" " * INDENT, (shown_line(text), s.meta))))
        if count > len(first):
            lines.append(_note(r, f"… {count - len(first)} more lines (enter shows the file)"))
        return lines + _result_if_failed(r, item)
    shown_text = content[:MAX_FILE_CHARS]
    kept = shown_text.split("\n")[:MAX_FILE_LINES]
    code = shown("\n".join(kept)).rstrip("\n")
    if code:
        syntax = Syntax(code, lexer_for(path), theme=r.code_theme, word_wrap=True)
        options = r.options.update(width=max(8, r.width - INDENT))
        lines.extend(pack_lines(r.console.render_lines(syntax, options, pad=False), INDENT))
    if len(kept) < count:
        lines.append(_note(r, f"… {count - len(kept)} more lines (c copies the call)"))
    return lines + _result_if_failed(r, item)


# -- read_file, ls, glob, grep ------------------------------------------------------------
def listing(result: str) -> list[str] | None:
    """The paths of an `ls` / `glob` result (a Python list's repr); None when it is not one."""
    text = result.strip()
    if text == "No files found":
        return []
    if not text.startswith("[") or len(text) > MAX_LISTING_CHARS:
        return None
    head = text.split("\n\n", 1)[0]  # a truncation note may follow the list
    try:
        value = ast.literal_eval(head)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(entry, str) for entry in value):
        return value
    return None


def _read_summary(item: ToolItem) -> tuple[str, str]:
    """(what was read, how much came back) for a read-only file tool."""
    args: dict[str, Any] = item.ran_args
    name = item.name
    path = args.get("file_path", args.get("path"))
    where = str(path) if path is not None else "/"
    if name == "read_file":
        offset, limit = args.get("offset"), args.get("limit")
        if isinstance(offset, int) and isinstance(limit, int):
            where += f" (lines {offset + 1}–{offset + limit})"
        elif isinstance(offset, int) and offset:
            where += f" (from line {offset + 1})"
    elif name == "glob":
        where = f"{args.get('pattern', '')} in {where}"
    elif name == "grep":
        where = f"{json.dumps(str(args.get('pattern', '')), ensure_ascii=False)} in {where}"
        if args.get("glob"):
            where += f" ({args['glob']})"
    if item.result is None or item.state == "failed":
        return where, ""
    found = listing(item.result) if name in ("ls", "glob") else None
    if found is not None:
        noun = "entr" + ("y" if len(found) == 1 else "ies") if name == "ls" else "file"
        return where, f"{len(found)} {noun}{'s' if name == 'glob' and len(found) != 1 else ''}"
    count = item.result.count("\n") + 1 if item.result.strip() else 0
    return where, f"{count} line{'s' if count != 1 else ''}"


def _read(r: ItemRenderer, item: ToolItem) -> list[Line]:
    where, amount = _read_summary(item)
    lines = [_head(r, item, where, amount)]
    lines.extend(decision_lines(r, item))
    if item.expanded and item.result is not None:
        found = listing(item.result) if item.name in ("ls", "glob") else None
        if found is not None:
            for path in found[: r.max_result_lines]:
                entry = Text.assemble(" " * INDENT, (shown_line(path), r.styles.tool))
                lines.append(r.one_line(entry))
            if len(found) > r.max_result_lines:
                lines.append(_note(r, f"… {len(found) - r.max_result_lines} more (c copies all)"))
        else:
            lines.extend(r.result_lines(item.result, INDENT))
    elif not item.expanded:
        lines.extend(_result_if_failed(r, item))
    return lines
