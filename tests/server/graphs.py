"""Graphs the test suite talks to, all served by one Agent Server (see langgraph.json).

Every reply is a pure function of the conversation; the exact texts live in `replies.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import replies  # type: ignore[import-not-found]  # on the server's path via langgraph.json
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import BaseTool, tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt

from fleet_tui.demo.scripted import (
    Reply,
    ScriptedChatModel,
    human_count,
    last_human_text,
    tokenize,
    tool_results_since_last_human,
)


def _agent(
    script: Callable[[Sequence[BaseMessage]], Reply],
    tools: Sequence[BaseTool] = (),
    middleware: Sequence[Any] = (),
) -> Any:
    return create_agent(
        ScriptedChatModel(script=script), tools=list(tools), middleware=list(middleware)
    )


def _single_node(name: str, node: Callable[[MessagesState], dict[str, Any]]) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node(name, node)
    builder.add_edge(START, name)
    builder.add_edge(name, END)
    return builder.compile()


# --- scripted / echo ---------------------------------------------------------------------


def _echo(messages: Sequence[BaseMessage]) -> Reply:
    return Reply(replies.echo_reply(last_human_text(messages), human_count(messages)))


scripted = _agent(_echo)


# --- tools -------------------------------------------------------------------------------


@tool
def lookup(query: str) -> str:
    """Look something up (deterministic test data)."""
    return str(replies.tool_result(query))


def _tools(messages: Sequence[BaseMessage]) -> Reply:
    results = tool_results_since_last_human(messages)
    if results:
        return Reply("The tool says: " + results[-1].text)
    # Like most real models: a tool-calling message with no text.
    return Reply("", [(replies.TOOL_NAME, {"query": last_human_text(messages)})])


tools = _agent(_tools, [lookup])


# --- hitl: langchain's HumanInTheLoopMiddleware ------------------------------------------


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email (test double: only reports the args it ran with)."""
    return str(replies.hitl_sent({"to": to, "subject": subject, "body": body}))


_REJECT_REASON = re.compile(r"with reason: (.*)\Z", re.DOTALL)


def _hitl(messages: Sequence[BaseMessage]) -> Reply:
    results = tool_results_since_last_human(messages)
    if not results:
        return Reply("", [(replies.HITL_TOOL, replies.hitl_args(last_human_text(messages)))])
    result = results[-1]
    text = result.text
    if text.startswith("User rejected"):
        match = _REJECT_REASON.search(text)
        return Reply(replies.hitl_final("reject", reason=match.group(1) if match else ""))
    sent = [line for line in text.splitlines() if line.startswith("SENT ")]
    if result.status == "error" or not sent:
        return Reply(f"Tool error: {text}")
    # The middleware prepends a notice to the result of an edited call.
    decision = "edit" if "human reviewer replaced" in text else "approve"
    return Reply(replies.hitl_final(decision, json.loads(sent[-1].removeprefix("SENT "))))


hitl = _agent(
    _hitl,
    [send_email],
    [
        HumanInTheLoopMiddleware(
            interrupt_on={
                replies.HITL_TOOL: {
                    "allowed_decisions": list(replies.HITL_ALLOWED_DECISIONS),
                    "description": replies.HITL_DESCRIPTION,
                }
            }
        )
    ],
)


# the same agent in the middleware's per-call mode: one interrupt per gated call, each with
# its own id and a `response_schema` listing the decisions allowed
hitl_per_call = _agent(
    _hitl,
    [send_email],
    [
        HumanInTheLoopMiddleware(
            interrupt_on={
                replies.HITL_TOOL: {
                    "allowed_decisions": ["approve", "reject"],
                    "description": replies.HITL_DESCRIPTION,
                }
            },
            interrupt_mode="per_call",
        )
    ],
)


# --- inbox: the older agent-inbox interrupt shape ----------------------------------------


def _inbox_review(state: MessagesState) -> dict[str, Any]:
    response = interrupt(replies.inbox_request())
    return {"messages": [AIMessage(replies.inbox_final(response))]}


inbox = _single_node("review", _inbox_review)


# --- json_interrupt: any JSON value -------------------------------------------------------


def _json_question(state: MessagesState) -> dict[str, Any]:
    answer = interrupt(replies.JSON_INTERRUPT_VALUE)
    return {"messages": [AIMessage(replies.json_final(answer))]}


json_interrupt = _single_node("ask", _json_question)


# --- fail ----------------------------------------------------------------------------------


def _fail(state: MessagesState) -> dict[str, Any]:
    raise ValueError(replies.FAIL_MESSAGE)


fail = _single_node("explode", _fail)


# --- slow: "tokens=N delay=S" in the message changes the pace ------------------------------


def _slow(messages: Sequence[BaseMessage]) -> Reply:
    text = last_human_text(messages)
    tokens = re.search(r"tokens=(\d+)", text)
    delay = re.search(r"delay=(\d+(?:\.\d+)?)", text)
    count = min(int(tokens.group(1)), 10_000) if tokens else replies.SLOW_TOKENS
    pause = min(float(delay.group(1)), 5.0) if delay else replies.SLOW_DELAY
    return Reply(replies.slow_reply(count), token_delay=pause)


slow = _agent(_slow)


# --- long: ~5,000 tokens of markdown, as fast as possible ----------------------------------

_LONG = replies.long_reply()
long = _agent(lambda messages: Reply(_LONG))


# --- hostile: markup, terminal escapes, control characters, a 100,000-char token ----------


@tool
def hostile_tool(markup: str, escapes: str) -> str:
    """Return text full of markup and terminal escapes."""
    return str(replies.hostile_tool_result())


def _hostile(messages: Sequence[BaseMessage]) -> Reply:
    if not tool_results_since_last_human(messages):
        return Reply(replies.hostile_reply(), [("hostile_tool", dict(replies.HOSTILE_TOOL_ARGS))])
    head = f"Final: {replies.HOSTILE_ESCAPES} {replies.HOSTILE_MARKUP}\n"
    # The huge token is one chunk on the wire, as a pathological model might send it.
    tokens = [*tokenize(head), replies.HUGE_TOKEN, "\nend"]
    return Reply("".join(tokens), tokens=tokens)


hostile = _agent(_hostile, [hostile_tool])


# --- subgraph: an agent inside a graph, for `stream_subgraphs` ------------------------------

_inner = create_agent(
    ScriptedChatModel(script=lambda m: Reply(replies.subgraph_reply(last_human_text(m)))),
    tools=[],
    name="inner",
)
subgraph = _single_node("inner", _inner)


# --- usage: replies that report what they cost (usage_metadata and a model name) ----------

USAGE_MODEL = "scripted-usage-1"
usage = create_agent(ScriptedChatModel(script=_echo, model_name=USAGE_MODEL, report_usage=True))
usage_tools = create_agent(
    ScriptedChatModel(script=_tools, model_name=USAGE_MODEL, report_usage=True), tools=[lookup]
)


# --- blocks: reports the content blocks of the last human message -------------------------


def _blocks(state: MessagesState) -> dict[str, Any]:
    last = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)
    content = last.content if last is not None else ""
    blocks = [content] if isinstance(content, str) else list(content)
    return {"messages": [AIMessage(replies.blocks_reply(blocks))]}


blocks = _single_node("report", _blocks)
