"""Exact texts the test graphs produce, shared by the server and the tests.

The server imports this module as `replies` (its folder is on the server's path); tests get
it as `server_fixture.replies`. Standard library only, so both sides can load it cheaply.
"""

from __future__ import annotations

import json
from typing import Any

# --- scripted / echo -------------------------------------------------------------------


def echo_reply(text: str, turn: int) -> str:
    """Reply of the `scripted` (alias `echo`) graph to `text`, the `turn`-th human message."""
    return f"## Echo {turn}\n\nYou said: **{text}**\n\n- human messages seen: {turn}\n"


# --- tools -----------------------------------------------------------------------------

TOOL_NAME = "lookup"


def tool_result(query: str) -> str:
    """What the `lookup` tool returns for `query`."""
    return f"lookup result for {query!r}: 42"


def tools_answer(query: str) -> str:
    """Final answer of the `tools` graph (its first AI message only carries the tool call)."""
    return f"The tool says: {tool_result(query)}"


# --- hitl (HumanInTheLoopMiddleware) ----------------------------------------------------

HITL_TOOL = "send_email"
HITL_DESCRIPTION = "Review the email before it is sent."
HITL_ALLOWED_DECISIONS = ["approve", "edit", "reject"]


def hitl_args(text: str) -> dict[str, str]:
    """Args of the proposed `send_email` call; the body is the human message."""
    return {"to": "alice@example.com", "subject": "Quarterly report", "body": text}


def hitl_sent(args: dict[str, Any]) -> str:
    """What `send_email` returns (args as actually executed)."""
    return "SENT " + json.dumps(args, sort_keys=True)


def hitl_final(decision: str, args: dict[str, Any] | None = None, reason: str = "") -> str:
    """Final AI message after resuming: the decision and the args the tool really ran with.

    `decision` is "approve" or "edit" (pass the executed args) or "reject" (pass `reason`,
    the reject message, or "" when none was given).
    """
    if decision == "reject":
        return f"Decision: reject. The email was not sent. Reason: {reason or '(none)'}"
    return f"Decision: {decision}. Email sent with args {json.dumps(args, sort_keys=True)}"


# --- inbox (older agent-inbox interrupt shape) -----------------------------------------

INBOX_ARGS = {"to": "bob@example.com", "subject": "Lunch?"}


def inbox_request() -> list[dict[str, Any]]:
    return [
        {
            "action_request": {"action": "send_email", "args": dict(INBOX_ARGS)},
            "config": {
                "allow_accept": True,
                "allow_edit": True,
                "allow_respond": True,
                "allow_ignore": True,
            },
            "description": "Send this email to Bob?",
        }
    ]


def inbox_final(response: Any) -> str:
    """Final AI message of `inbox` for the resume value (a list of responses, or one)."""
    first = response[0] if isinstance(response, list) and response else response
    if isinstance(first, dict):
        kind = first.get("type", "?")
        args = first.get("args")
    else:
        kind, args = "?", first
    return f"Inbox response: {kind}; args: {json.dumps(args, sort_keys=True)}"


# --- json_interrupt ---------------------------------------------------------------------

JSON_INTERRUPT_VALUE: dict[str, Any] = {
    "question": "Pick a number",
    "options": [1, 2, 3],
    "nested": {"flag": True, "nothing": None, "ratio": 1.5, "text": "ünïcødé ✓"},
}


def json_final(answer: Any) -> str:
    return f"You answered: {json.dumps(answer, sort_keys=True)}"


# --- fail -----------------------------------------------------------------------------

FAIL_MESSAGE = "scripted failure for tests"


# --- slow ------------------------------------------------------------------------------

SLOW_TOKENS = 40
SLOW_DELAY = 0.1


def slow_reply(tokens: int = SLOW_TOKENS) -> str:
    """The `slow` graph's reply: `tokens` tokens. Say "tokens=N delay=S" to change pace."""
    return " ".join(f"w{i}" for i in range(1, tokens + 1))


# --- long ------------------------------------------------------------------------------


def long_reply(sections: int = 37) -> str:
    """~5,000 tokens (~32 KB) of markdown: headings, lists, code blocks, tables."""
    parts = ["# A long report\n\nThis reply is long on purpose: it exercises streaming.\n"]
    for i in range(1, sections + 1):
        parts.append(
            f"\n## Section {i}: findings\n\n"
            f"Paragraph {i} explains the results in plain words. The numbers below come "
            f"from run {i} and were checked twice; each value is within the expected range, "
            f"and nothing in section {i} needs attention before the next review meeting.\n\n"
            f"- first point of section {i} with **bold** text\n"
            f"- second point with `inline code` and a [link](https://example.invalid/{i})\n"
            f"  - a nested point that wraps onto a second line when the pane is narrow\n"
            f"- third point, *emphasised*\n\n"
            f"```python\n"
            f"def section_{i}(values: list[int]) -> int:\n"
            f'    """Sum the values of section {i}."""\n'
            f"    total = 0\n"
            f"    for value in values:\n"
            f"        total += value * {i}\n"
            f"    return total\n"
            f"```\n\n"
            f"| metric | value | change |\n"
            f"|---|---:|---:|\n"
            f"| alpha | {i * 3} | +{i}% |\n"
            f"| beta | {i * 7} | -{i % 5}% |\n"
            f"| gamma | {i * 11} | 0% |\n"
        )
    parts.append("\n---\n\nEnd of the report.\n")
    return "".join(parts)


# --- hostile ---------------------------------------------------------------------------

HUGE_TOKEN = "A" * 100_000

HOSTILE_MARKUP = "[bold red]x[/] [link=https://example.invalid]click[/link] [/] [red"
HOSTILE_ESCAPES = (
    "csi:\x1b[2J\x1b[H "
    "osc0:\x1b]0;pwned\x07 "
    "osc2:\x1b]2;pwned\x07 "
    "osc8:\x1b]8;;https://example.invalid\x1b\\link\x1b]8;;\x1b\\ "
    "osc52:\x1b]52;c;aGVsbG8=\x07 "
    "bel:\x07 "
    "nul:\x00 "
    "c1:\x9b31m "
    "del:\x7f "
    "bs:\x08\x08 "
    "cr:\rover"
)
# Real lone surrogates make the server fail the run ("TypeError: str is not valid UTF-8:
# surrogates not allowed"), so they appear only as literal escape text.
HOSTILE_INVALID = (
    '\\ud800 \\u0000 {"unterminated": [ </script> \u202eevil\u202c e\u0301 \u200b 漢字 🧨'
)


def on_the_wire(text: str) -> str:
    """`text` as the server sends it: its JSON encoder replaces NUL (and even the literal
    text `\\u0000`) with U+FFFD."""
    return text.replace("\\u0000", "\\ufffd").replace("\x00", "\ufffd")


def hostile_reply() -> str:
    """First AI message of `hostile` (it also calls `hostile_tool`)."""
    return f"Hostile reply: {HOSTILE_MARKUP}\n{HOSTILE_ESCAPES}\n{HOSTILE_INVALID}\n"


def hostile_tool_result() -> str:
    return f"Tool result: {HOSTILE_MARKUP} {HOSTILE_ESCAPES} {HOSTILE_INVALID}"


HOSTILE_TOOL_ARGS = {"markup": HOSTILE_MARKUP, "escapes": HOSTILE_ESCAPES}


def hostile_final() -> str:
    """Final AI message of `hostile`: more of the same, then a 100,000-char single token."""
    return f"Final: {HOSTILE_ESCAPES} {HOSTILE_MARKUP}\n{HUGE_TOKEN}\nend"


# --- subgraph --------------------------------------------------------------------------


def subgraph_reply(text: str) -> str:
    return f"Subgraph reply to: {text}"


# --- blocks ----------------------------------------------------------------------------


def block_summary(block: Any) -> str:
    """One content block as the `blocks` graph reports it: type, mime type, file name."""
    if isinstance(block, str):
        return "str"
    if not isinstance(block, dict):
        return type(block).__name__
    extras = block.get("extras") if isinstance(block.get("extras"), dict) else {}
    parts = [str(block.get("type")), str(block.get("mime_type") or extras.get("mime_type") or "-")]
    parts.append(str(extras.get("filename") or block.get("filename") or "-"))
    return " ".join(parts)


def blocks_reply(blocks: list[Any]) -> str:
    """Reply of the `blocks` graph: one line per content block of the last human message."""
    return "blocks:\n" + "\n".join(f"- {block_summary(b)}" for b in blocks)
