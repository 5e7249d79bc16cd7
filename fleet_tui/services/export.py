"""Export a conversation to Markdown or JSON.

Both formats are built from the stored records only: nothing here takes a profile or a token,
so an export cannot carry the Personal Access Token. As a last line of defence (a server may
have echoed a token into a reply or an error), every known secret is masked in the output
(`redaction.redact`). Agent text is Markdown already and goes
into the Markdown export as written, except that control characters are made visible
(`sanitize.clean_text`): an exported file that is later `cat`-ed must not drive the terminal.
The JSON export keeps every string exactly, with the characters a terminal or an editor could
act on written as `\\uXXXX` escapes. No Textual import.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from fleet_tui.common.errors import split_stored_error
from fleet_tui.common.redaction import redact, redact_value
from fleet_tui.common.sanitize import clean_line, clean_text
from fleet_tui.domain.attachments import format_size
from fleet_tui.domain.deep_state import human_size
from fleet_tui.domain.usage import totals_of, totals_words, usage_words
from fleet_tui.storage.store import Conversation, StoredMessage, ThreadState

__all__ = [
    "EXTENSIONS",
    "FORMAT_ID",
    "ExportFormat",
    "default_export_path",
    "export_json",
    "export_markdown",
    "export_text",
    "write_export",
]

ExportFormat = Literal["markdown", "json"]
FORMAT_ID: Final = "fleet-tui.conversation/1"
EXTENSIONS: Final[dict[str, str]] = {"markdown": ".md", "json": ".json"}
DEFAULT_DIRNAME: Final = "fleet-tui-exports"
SLUG_MAX = 60
_MAX_SUFFIX = 10_000

_ROLE_HEADINGS: Final[dict[str, str]] = {
    "human": "You",
    "ai": "Agent",
    "system": "System",
    "error": "Error",
}


# --------------------------------------------------------------------------- helpers


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _local(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def _fence(text: str, info: str = "") -> str:
    """`text` in a fenced block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def _code_span(text: str) -> str:
    """`text` as inline code, safe whatever backticks it holds (CommonMark code spans)."""
    text = clean_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _pretty(value: Any) -> str:
    return clean_text(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _tool_result_block(content: str) -> str:
    # Tools often return JSON: pretty-printed it is far easier to read, and it is the same data.
    stripped = content.strip()
    if stripped[:1] in ("{", "["):
        try:
            return _fence(_pretty(json.loads(stripped)), "json")
        except ValueError:
            pass
    return _fence(clean_text(content), "text")


def _plain(text: str) -> str:
    """One line of text that Markdown shows as written (its emphasis and link marks escaped)."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", clean_line(text))


def _details(summary: str, body: str) -> str:
    # A `</details>` inside the body would close the block early and spill the rest.
    body = clean_text(body).replace("</details", "&lt;/details")
    return f"<details>\n<summary>{summary}</summary>\n\n{body.strip()}\n\n</details>"


# --------------------------------------------------------------------------- sub-agents

# a sub-agent's stored messages by the `task` call whose run they are
Nested = dict[str, list[StoredMessage]]


def _split(messages: Sequence[StoredMessage]) -> tuple[list[StoredMessage], Nested]:
    """The conversation's own messages, and the sub-agents' by the call they belong to."""
    own: list[StoredMessage] = []
    nested: Nested = {}
    for msg in messages:
        if msg.parent_call_id:
            nested.setdefault(msg.parent_call_id, []).append(msg)
        else:
            own.append(msg)
    return own, nested


def _calls_in(messages: Iterable[StoredMessage], nested: Nested) -> set[str]:
    """Every call id in `messages` and, through the calls, in their sub-agents' messages."""
    found: set[str] = set()
    pending = list(messages)
    while pending:
        msg = pending.pop()
        for call in msg.tool_calls:
            call_id = call.get("id")
            if isinstance(call_id, str) and call_id not in found:
                found.add(call_id)
                pending.extend(nested.get(call_id, ()))
    return found


def _subagent_title(call: dict[str, Any]) -> str:
    raw = call.get("args")
    args: dict[str, Any] = raw if isinstance(raw, dict) else {}
    agent, description = args.get("subagent_type"), args.get("description")
    agent = clean_line(agent).strip() if isinstance(agent, str) else ""
    description = description if isinstance(description, str) else ""
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    title = f"Sub-agent {agent or 'run'}"
    return f"{title}: {clean_line(first)}" if first else title


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _subagent_markdown(call: dict[str, Any], messages: list[StoredMessage], nested: Nested) -> str:
    body = [f"#### {_subagent_title(call)}"]
    body += [_message_markdown(m, nested) for m in messages]
    return _quoted("\n\n".join(body))


# --------------------------------------------------------------------------- Markdown


def _message_markdown(msg: StoredMessage, nested: Nested | None = None) -> str:
    incomplete = "" if msg.complete else " (incomplete)"
    parts: list[str] = []
    if msg.role == "tool":
        name = _code_span(msg.name) if msg.name else "(unnamed tool)"
        parts.append(f"### Tool result: {name}{incomplete}")
        parts.append(_tool_result_block(msg.content))
        return "\n\n".join(parts)

    heading = _ROLE_HEADINGS.get(msg.role, clean_line(msg.role).capitalize() or "Message")
    parts.append(f"### {heading}{incomplete}")
    if msg.reasoning.strip():
        parts.append(_details("Reasoning", msg.reasoning))
    if msg.role == "error":
        # A quote keeps an error visibly apart from the agent's own words.
        title, text = split_stored_error(msg.content)
        lines = clean_text(f"{title}: {text}").strip().splitlines() or [""]
        parts.append("\n".join(f"> {line}".rstrip() for line in lines))
    elif msg.content.strip():
        parts.append(clean_text(msg.content).strip())
    if msg.attachments:
        parts.append(
            "**Attached:** "
            + ", ".join(
                f"{_code_span(clean_line(a.name))} ({a.mime_type}, {format_size(a.size)})"
                for a in msg.attachments
            )
        )
    for call in msg.tool_calls:
        name = str(call.get("name") or "")
        parts.append(f"**Tool call:** {_code_span(name) if name else '(unnamed)'}")
        parts.append(_fence(_pretty({"name": name, "args": call.get("args", {})}), "json"))
        run = nested.get(str(call.get("id"))) if nested else None
        if run:
            parts.append(_subagent_markdown(call, run, nested or {}))
    if len(parts) == 1 and not msg.complete:
        parts.append("*(no text received)*")
    if words := usage_words(msg.usage):
        parts.append(f"*Usage: {_plain(words)}*")
    return "\n\n".join(parts)


def export_markdown(
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    *,
    agent_name: str,
    url: str,
    exported_at: datetime | None = None,
    thread_state: ThreadState | None = None,
) -> str:
    """The conversation as a Markdown document: a header with its facts, then every message
    (a sub-agent's quoted under the call that started it), then the agent's plan and files."""
    messages, nested = _split(messages)
    exported = (exported_at or datetime.now()).astimezone()
    title = clean_line(conversation.title).strip() or "Untitled conversation"
    thread = (
        _code_span(conversation.thread_id)
        if conversation.thread_id
        else "none (stateless, kept only in fleet-tui)"
    )
    facts = [
        f"- **Agent:** {clean_line(agent_name) or '(unnamed)'}",
        f"- **Deployment:** {_code_span(url) if url else '(unknown)'}",
        f"- **Thread:** {thread}",
    ]
    if conversation.status:
        facts.append(f"- **Status:** {clean_line(conversation.status)}")
    facts += [
        f"- **Started:** {_local(conversation.created_at)}",
        f"- **Messages:** {len(messages)}",
        *_usage_facts(messages, nested),
        f"- **Exported:** {exported.strftime('%Y-%m-%d %H:%M %Z').strip()} by fleet-tui",
    ]
    sections = [f"# {title}", "\n".join(facts), "---"]
    sections += [_message_markdown(m, nested) for m in messages]
    placed = _calls_in(messages, nested)
    for call_id, run in nested.items():
        if call_id not in placed:  # its call was not stored: shown apart rather than lost
            sections.append(_subagent_markdown({"id": call_id}, run, nested))
    sections += _deep_state_markdown(thread_state)
    return redact("\n\n".join(sections) + "\n")


def _usage_facts(messages: Sequence[StoredMessage], nested: Nested) -> list[str]:
    """The header's line on what the replies that reported it cost, sub-agents' included."""
    totals = totals_of(m.usage for m in [*messages, *(m for run in nested.values() for m in run)])
    if not totals:
        return []
    models = f" ({', '.join(_plain(m) for m in totals.models)})" if totals.models else ""
    return [f"- **Usage:** {_plain(totals_words(totals).removeprefix('Σ '))}{models}"]


def _deep_state_markdown(thread_state: ThreadState | None) -> list[str]:
    if thread_state is None:
        return []
    sections: list[str] = []
    marks = {"completed": "[x]", "in_progress": "[ ]", "pending": "[ ]"}
    if thread_state.todos:
        lines = [
            f"- {marks.get(todo.status, '[ ]')} {clean_line(todo.content)}"
            + (" *(in progress)*" if todo.active else "")
            for todo in thread_state.todos
        ]
        sections += ["---", "## Plan", "\n".join(lines)]
    if thread_state.files:
        lines = []
        for path, file in sorted(thread_state.files.items()):
            facts = [human_size(file.size)]
            if file.is_binary:
                facts.append("binary")
            if file.modified_at:
                facts.append(f"changed {clean_line(file.modified_at)}")
            lines.append(f"- {_code_span(path)} — {', '.join(facts)}")
        sections += ["---" if not sections else "", "## Files", "\n".join(lines)]
    return [section for section in sections if section]


# --------------------------------------------------------------------------- JSON

# JSON already escapes C0 controls; these are the other characters that a terminal may act on
# (DEL, C1 such as the 8-bit CSI) or that break lines or encoding (separators, lone surrogates).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape_unsafe(text: str) -> str:
    # Outside strings JSON is pure ASCII, so every match is inside a string literal, where a
    # `\\uXXXX` escape denotes exactly the same character.
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _message_record(msg: StoredMessage, nested: Nested | None = None) -> dict[str, Any]:
    calls: list[dict[str, Any]] = []
    for call in msg.tool_calls:
        run = nested.get(str(call.get("id"))) if nested else None
        if run:
            call = {**call, "subagent": [_message_record(m, nested) for m in run]}
        calls.append(call)
    return {
        "seq": msg.seq,
        "role": msg.role,
        "content": msg.content,
        "reasoning": msg.reasoning,
        "tool_calls": calls,
        "tool_call_id": msg.tool_call_id,
        "name": msg.name,
        "run_id": msg.run_id,
        "server_id": msg.server_id,
        "complete": msg.complete,
        "created_at": _iso(msg.created_at),
        "usage": msg.usage.to_dict() if msg.usage is not None else None,
        **(
            {
                "attachments": [
                    {"name": a.name, "mime_type": a.mime_type, "size": a.size}
                    for a in msg.attachments
                ]
            }
            if msg.attachments
            else {}
        ),
    }


def export_json(
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    *,
    agent_name: str,
    url: str,
    exported_at: datetime | None = None,
    thread_state: ThreadState | None = None,
) -> str:
    """The conversation as a versioned JSON document (`"format": "fleet-tui.conversation/1"`).

    Timestamps are ISO 8601 in UTC. Local database ids are left out: they mean nothing elsewhere.
    A sub-agent's messages are a `subagent` list on the tool call that started it; a deep
    agent's plan and files are `plan` and `files`.
    """
    exported = exported_at or datetime.now(UTC)
    messages, nested = _split(messages)
    doc = {
        "format": FORMAT_ID,
        "exported_at": exported.astimezone(UTC).isoformat(),
        "agent": {"name": agent_name, "url": url},
        "conversation": {
            "title": conversation.title,
            "thread_id": conversation.thread_id,
            "stateless": conversation.stateless,
            "status": conversation.status,
            "created_at": _iso(conversation.created_at),
            "updated_at": _iso(conversation.updated_at),
            "message_count": len(messages),
        },
        "messages": [_message_record(m, nested) for m in messages],
    }
    # what the replies that reported it cost, sub-agents' included (each message once)
    totals = totals_of(m.usage for m in [*messages, *(m for run in nested.values() for m in run)])
    if totals:
        doc["usage"] = totals.to_dict()
    if thread_state is not None and thread_state.todos:
        doc["plan"] = [{"content": t.content, "status": t.status} for t in thread_state.todos]
    if thread_state is not None and thread_state.files:
        doc["files"] = {path: f.to_json() for path, f in thread_state.files.items()}
    text = json.dumps(redact_value(doc), indent=2, ensure_ascii=False, default=str)
    return _escape_unsafe(text) + "\n"


def export_text(
    fmt: ExportFormat,
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    *,
    agent_name: str,
    url: str,
    thread_state: ThreadState | None = None,
) -> str:
    render = export_markdown if fmt == "markdown" else export_json
    return render(conversation, messages, agent_name=agent_name, url=url, thread_state=thread_state)


# --------------------------------------------------------------------------- files


def slugify(text: str, max_len: int = SLUG_MAX) -> str:
    """A file-name-safe, lower-case ASCII slug of `text` ("conversation" when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "conversation"


def default_export_path(
    conversation: Conversation,
    fmt: ExportFormat,
    directory: Path | None = None,
    *,
    now: datetime | None = None,
) -> Path:
    """`~/fleet-tui-exports/<slugified-title>-<YYYYmmdd-HHMM>.<md|json>` (or in `directory`)."""
    base = directory if directory is not None else Path.home() / DEFAULT_DIRNAME
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M")
    return base / f"{slugify(conversation.title)}-{stamp}{EXTENSIONS[fmt]}"


def with_format(path: Path, fmt: ExportFormat) -> Path:
    """`path` with the extension of `fmt` (a known export extension is replaced, others kept)."""
    if path.suffix.lower() in EXTENSIONS.values():
        return path.with_suffix(EXTENSIONS[fmt])
    return path.with_name(path.name + EXTENSIONS[fmt])


def _candidates(path: Path) -> Iterable[Path]:
    yield path
    for n in range(1, _MAX_SUFFIX):
        yield path.with_name(f"{path.stem}-{n}{path.suffix}")


def write_export(path: Path | str, text: str, *, overwrite: bool = False) -> Path:
    """Write `text` to `path` (`~` expanded, parent folders created) and return where it went.

    An existing file is never replaced unless `overwrite`: the export goes to the first free
    `name-1.md`, `name-2.md`, ... instead, claimed with an exclusive create so two exports at
    the same minute cannot clobber each other. Raises `OSError` (e.g. `PermissionError`,
    `IsADirectoryError`) when the file cannot be written.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder: add a file name")
    # mkdir would report a file in the way as "File exists", which reads like the export's own
    # name is taken; say what is wrong instead.
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"{parent} is a file, not a folder")
            break
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8", errors="replace")
    if overwrite:
        target.write_bytes(data)
        return target
    for candidate in _candidates(target):
        try:
            with candidate.open("xb") as fh:
                fh.write(data)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"{target} and {_MAX_SUFFIX - 1} numbered variants already exist")
