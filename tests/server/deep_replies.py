"""Exact texts and constants of the deep-agent test graphs (deep_graphs.py), shared by the
server and the tests.

The server imports this module as `deep_replies` (its folder is on the server's path); tests
load it by path (see tests/test_deep_graphs.py). Standard library only.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

# --- deep: plan, two parallel researchers, a file written then edited -------------------

RESEARCHER = "researcher"
RESEARCH_TOOL = "search_notes"
DEEP_TOPICS = ("the history of terminals", "the cost of redraws")
DEEP_TODOS: list[dict[str, str]] = [
    {"content": "Research the history of terminals", "status": "in_progress"},
    {"content": "Research the cost of redraws", "status": "in_progress"},
    {"content": "Write /notes.md", "status": "pending"},
]
DEEP_FILE = "/notes.md"
DEEP_FILE_CONTENT = "# Notes\n\nStatus: draft\n\n- terminals are old\n- redraws are costly\n"
DEEP_EDIT = {"old_string": "Status: draft", "new_string": "Status: final"}
DEEP_FILE_FINAL = DEEP_FILE_CONTENT.replace(DEEP_EDIT["old_string"], DEEP_EDIT["new_string"])
DEEP_PLAN_TEXT = "I will plan first."
DEEP_DELEGATE_TEXT = "Two researchers will look into it."
DEEP_FINAL = f"All done: the notes are in `{DEEP_FILE}`."


def research_description(topic: str) -> str:
    """The `task` description (the sub-agent's first human message) for `topic`."""
    return f"Research {topic}"


def search_result(query: str) -> str:
    """What the researcher's `search_notes` tool returns."""
    return f"notes about {query}: 3 sources"


def research_finding(description: str) -> str:
    """What a researcher streams once its tool answered (distinct per description)."""
    return f"Finding for *{description}*: the sources agree on {len(description)} points."


# --- deep_batched: two gated calls in one AI message, one interrupt ----------------------

BATCHED_FILE = "/draft.md"
BATCHED_FILE_CONTENT = "# Draft\n\nTo be sent.\n"
BATCHED_EMAIL = {"to": "ada@example.com", "subject": "The draft", "body": "See /draft.md"}
BATCHED_TEXT = "I will save the draft and email it; both need your approval."
# write_file allows every decision; send_email no respond
BATCHED_WRITE_DECISIONS = ["approve", "edit", "reject", "respond"]
BATCHED_EMAIL_DECISIONS = ["approve", "edit", "reject"]


def email_sent(args: dict[str, Any]) -> str:
    """What the deep graphs' `send_email` returns (args as executed)."""
    return "SENT " + json.dumps(args, sort_keys=True)


def outcome_line(tool: str, decision: str, detail: str) -> str:
    """One line of a final answer: what happened to the call of `tool`.

    `decision` is approve|edit|reject|respond; `detail` is the tool's own result (approve,
    edit: the result of the call as executed), the reject reason ("" for none) or the
    respond message.
    """
    if decision == "reject":
        return f"- {tool}: rejected ({detail or 'no reason'})"
    if decision == "respond":
        return f"- {tool}: answered by you: {detail}"
    verb = "edited, then ran" if decision == "edit" else "ran"
    return f"- {tool}: {verb}: {detail}"


def outcomes_text(lines: list[str]) -> str:
    return "Outcome:\n" + "\n".join(lines)


_REJECT_REASON = re.compile(r"with reason: (.*)\Z", re.DOTALL)
_EDIT_MARK = "Tool response:"


def classify(content: str, status: str, lc_decision: str | None) -> tuple[str, str]:
    """The decision behind a tool result, and its detail (see `outcome_line`).

    The middleware marks reject/respond results with `lc_data.decision`; an edited call's
    result starts with a notice ending in "Tool response:".
    """
    if lc_decision == "respond":
        return "respond", content
    if lc_decision == "reject" or content.startswith("User rejected"):
        match = _REJECT_REASON.search(content)
        return "reject", match.group(1) if match else ""
    if "human reviewer replaced" in content:
        return "edit", content.split(_EDIT_MARK, 1)[-1].strip()
    return "approve", content


# --- deep_per_call: two gated calls of different tools, one interrupt each ---------------

PER_CALL_TEXT = "I will email Ada and save a file; each needs its own approval."
PER_CALL_EMAIL = {"to": "ada@example.com", "subject": "Per call", "body": "One of two."}
PER_CALL_EMAIL_DECISIONS = ["approve", "reject"]
PER_CALL_FILE = "/per_call.md"
PER_CALL_FILE_CONTENT = "# Per call\n\nSaved after review.\n"
PER_CALL_WRITE_DECISIONS = ["approve", "edit", "reject", "respond"]

# --- deep_sub_approval: an approval raised inside a sub-agent ----------------------------

MAILER = "mailer"
SUB_DESCRIPTION = "Email Ada the weekly summary"
SUB_EMAIL = {"to": "ada@example.com", "subject": "Weekly summary", "body": "All green."}
SUB_EMAIL_DECISIONS = ["approve", "edit", "reject"]
SUB_DELEGATE_TEXT = "The mailer sub-agent will send it."
SUB_DRAFT_TEXT = "Drafting the email."


def sub_done(result: str) -> str:
    """The mailer's final text; `result` is its email tool result (or rejection)."""
    return f"Mailer finished: {result}"


def sub_final(task_result: str) -> str:
    """The main agent's final text; `task_result` is the `task` tool's result."""
    return f"The mailer reported back. {task_result}"


# --- deep_parallel: "NxM" -> N sub-agents streaming M tokens each -------------------------

PARALLEL_DEFAULT = (3, 2000)
PARALLEL_MAX = (32, 50_000)
WORKER = "worker"


def parallel_shape(text: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\s*x\s*(\d+)", text)
    if not match:
        return PARALLEL_DEFAULT
    return (
        max(1, min(int(match.group(1)), PARALLEL_MAX[0])),
        max(1, min(int(match.group(2)), PARALLEL_MAX[1])),
    )


def parallel_description(index: int, tokens: int) -> str:
    return f"part {index}: write {tokens} tokens"


def parallel_tokens(tag: str, tokens: int) -> list[str]:
    """`tokens` tokens (words with their leading space; a line break every 12)."""
    return [("\n" if i and i % 12 == 0 else " " if i else "") + f"{tag}{i}" for i in range(tokens)]


# --- deep_big: a big file, a long plan, a binary file ------------------------------------

BIG_FILE = "/big.md"
BIG_DEFAULT_BYTES = 1_000_000
BIG_MAX_BYTES = 20_000_000
TODOS_DEFAULT = 200
TODOS_MAX = 5_000
BINARY_FILE = "/pixel.png"
# a 1x1 transparent PNG
BINARY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
BINARY_B64 = base64.b64encode(BINARY_PNG).decode("ascii")
BIG_HELP = "Say `file N`, `todos N` or `binary`."

_BLOCK = (
    "## Section {i}\n\n"
    "Paragraph {i} describes the data in plain words and has **bold** and `code`; "
    "it goes on for a while so that the file looks like a real report and then it stops.\n\n"
    "```python\n"
    "def section_{i}(values: list[int]) -> int:\n"
    "    total = 0\n"
    "    for value in values:\n"
    "        total += value * {i}\n"
    "    return total\n"
    "```\n\n"
)


def big_content(size: int) -> str:
    """ASCII markdown and code of exactly `size` bytes, with no comma.

    The scripted model splits tool-call arguments after commas, and langchain re-parses
    the accumulated partial JSON at every chunk: a comma-free content keeps the streamed
    `write_file` call to two chunks instead of a quadratic parse of a megabyte.
    """
    parts: list[str] = []
    length = 0
    i = 1
    while length < size:
        block = _BLOCK.format(i=i)
        parts.append(block)
        length += len(block)
        i += 1
    return "".join(parts)[:size]


def big_file_done(path: str, size: int) -> str:
    return f"Wrote `{path}` ({size} bytes)."


def big_todos(count: int) -> list[dict[str, str]]:
    statuses = ("completed", "in_progress", "pending", "pending")
    return [
        {"content": f"Step {i}: do part {i} of the work", "status": statuses[i % len(statuses)]}
        for i in range(1, count + 1)
    ]


def big_todos_done(count: int) -> str:
    return f"Planned {count} steps."


BINARY_DONE = f"Saved a tiny image as `{BINARY_FILE}`."
