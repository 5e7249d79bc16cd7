"""Deep-agent graphs (deepagents harness) the tests and benchmarks talk to.

Each is a real `create_deep_agent` with scripted models; every reply is a pure function of
the conversation and the exact texts live in `deep_replies.py`. See langgraph.json for the
names they are served under.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, cast

import deep_replies as dr  # type: ignore[import-not-found,unused-ignore]  # server's path
from deepagents import create_deep_agent
from deepagents.backends.utils import create_file_data
from langchain.agents.middleware import (
    HumanInTheLoopMiddleware,
    InterruptOnConfig,
    TodoListMiddleware,
)
from langchain.agents.middleware.human_in_the_loop import DecisionType
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, InjectedToolCallId, tool
from langgraph.types import Command

from fleet_tui.demo.scripted import (
    Reply,
    ScriptedChatModel,
    last_human_text,
    tool_results_since_last_human,
)

Script = Callable[[Sequence[BaseMessage]], Reply]

# A huge context window keeps deepagents' summarization (which would call the scripted
# model with a summary prompt) from triggering on big files or long sub-agent replies.
_PROFILE = ModelProfile(max_input_tokens=1_000_000_000)


def _model(script: Script) -> ScriptedChatModel:
    return ScriptedChatModel(script=script, profile=_PROFILE)


def _subagent(
    name: str,
    script: Script,
    tools: Sequence[BaseTool] = (),
    interrupt_on: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "description": f"The {name} sub-agent (scripted).",
        "system_prompt": f"You are the {name}.",
        "model": _model(script),
        "tools": list(tools),
    }
    if interrupt_on is not None:
        spec["interrupt_on"] = interrupt_on
    return spec


def _deep(
    script: Script,
    *,
    tools: Sequence[BaseTool] = (),
    subagents: Sequence[dict[str, Any]] = (),
    middleware: Sequence[Any] = (),
    interrupt_on: dict[str, Any] | None = None,
    name: str,
) -> Any:
    # deepagents 0.7 does not add `write_todos` by itself: TodoListMiddleware brings it.
    return create_deep_agent(
        model=_model(script),
        tools=list(tools),
        middleware=[TodoListMiddleware(), *middleware],
        subagents=list(subagents),  # type: ignore[arg-type]
        interrupt_on=interrupt_on,
        name=name,
    )


@tool
def search_notes(query: str) -> str:
    """Search the notes (deterministic test data)."""
    return str(dr.search_result(query))


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email (test double: only reports the args it ran with)."""
    return str(dr.email_sent({"to": to, "subject": subject, "body": body}))


def _outcomes(messages: Sequence[BaseMessage]) -> list[str]:
    """One `outcome_line` per tool call of the last AI message, in the order of the calls."""
    results = {m.tool_call_id: m for m in tool_results_since_last_human(messages)}
    calls: list[Any] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, AIMessage) and message.tool_calls:
            calls = message.tool_calls
            break
    lines = []
    for call in calls:
        result = results.get(call["id"] or "")
        if result is None:
            continue
        data = result.additional_kwargs.get("lc_data") or {}
        decision, detail = dr.classify(result.text, result.status, data.get("decision"))
        lines.append(dr.outcome_line(call["name"], decision, detail))
    return list(lines)


# --- deep: plan, two parallel researchers, a file written then edited ---------------------


def _researcher(messages: Sequence[BaseMessage]) -> Reply:
    task = last_human_text(messages)
    if not tool_results_since_last_human(messages):
        return Reply("", [(dr.RESEARCH_TOOL, {"query": task})])
    return Reply(dr.research_finding(task))


def _deep_main(messages: Sequence[BaseMessage]) -> Reply:
    names = [r.name for r in tool_results_since_last_human(messages)]
    if not names:
        return Reply(dr.DEEP_PLAN_TEXT, [("write_todos", {"todos": dr.DEEP_TODOS})])
    if "task" not in names:
        calls = [
            ("task", {"subagent_type": dr.RESEARCHER, "description": dr.research_description(t)})
            for t in dr.DEEP_TOPICS
        ]
        return Reply(dr.DEEP_DELEGATE_TEXT, calls)
    if "write_file" not in names:
        args = {"file_path": dr.DEEP_FILE, "content": dr.DEEP_FILE_CONTENT}
        return Reply("", [("write_file", args)])
    if "edit_file" not in names:
        return Reply("", [("edit_file", {"file_path": dr.DEEP_FILE, **dr.DEEP_EDIT})])
    return Reply(dr.DEEP_FINAL)


deep = _deep(
    _deep_main,
    subagents=[_subagent(dr.RESEARCHER, _researcher, [search_notes])],
    name="deep",
)


# --- deep_batched: one interrupt for two gated calls --------------------------------------


def _batched(messages: Sequence[BaseMessage]) -> Reply:
    if not tool_results_since_last_human(messages):
        args = {"file_path": dr.BATCHED_FILE, "content": dr.BATCHED_FILE_CONTENT}
        return Reply(
            dr.BATCHED_TEXT, [("write_file", args), ("send_email", dict(dr.BATCHED_EMAIL))]
        )
    return Reply(dr.outcomes_text(_outcomes(messages)))


deep_batched = _deep(
    _batched,
    tools=[send_email],
    interrupt_on={
        "write_file": True,
        "send_email": {"allowed_decisions": list(dr.BATCHED_EMAIL_DECISIONS)},
    },
    name="deep_batched",
)


def _decisions(names: list[str]) -> list[DecisionType]:
    # deep_replies is standard library only, so its lists are plain strings.
    return cast(list[DecisionType], list(names))


# --- deep_per_call: one interrupt per gated call ------------------------------------------


def _per_call(messages: Sequence[BaseMessage]) -> Reply:
    if not tool_results_since_last_human(messages):
        args = {"file_path": dr.PER_CALL_FILE, "content": dr.PER_CALL_FILE_CONTENT}
        calls = [("send_email", dict(dr.PER_CALL_EMAIL)), ("write_file", args)]
        return Reply(dr.PER_CALL_TEXT, calls)
    return Reply(dr.outcomes_text(_outcomes(messages)))


deep_per_call = _deep(
    _per_call,
    tools=[send_email],
    middleware=[
        HumanInTheLoopMiddleware(
            interrupt_on={
                "send_email": InterruptOnConfig(
                    allowed_decisions=_decisions(dr.PER_CALL_EMAIL_DECISIONS)
                ),
                "write_file": True,
            },
            interrupt_mode="per_call",
        )
    ],
    name="deep_per_call",
)


# --- deep_sub_approval: the approval is raised inside a sub-agent -------------------------


def _mailer(messages: Sequence[BaseMessage]) -> Reply:
    if not tool_results_since_last_human(messages):
        return Reply(dr.SUB_DRAFT_TEXT, [("send_email", dict(dr.SUB_EMAIL))])
    (line,) = _outcomes(messages) or ["- send_email: no result"]
    return Reply(dr.sub_done(line.removeprefix("- ")))


def _sub_main(messages: Sequence[BaseMessage]) -> Reply:
    results = tool_results_since_last_human(messages)
    if not results:
        args = {"subagent_type": dr.MAILER, "description": dr.SUB_DESCRIPTION}
        return Reply(dr.SUB_DELEGATE_TEXT, [("task", args)])
    return Reply(dr.sub_final(results[-1].text))


deep_sub_approval = _deep(
    _sub_main,
    subagents=[
        _subagent(
            dr.MAILER,
            _mailer,
            [send_email],
            interrupt_on={"send_email": {"allowed_decisions": list(dr.SUB_EMAIL_DECISIONS)}},
        )
    ],
    name="deep_sub_approval",
)


# --- deep_parallel: "NxM" -> N sub-agents streaming M tokens, then M tokens at the root ----

_PART = re.compile(r"part (\d+): write (\d+) tokens")


def _worker(messages: Sequence[BaseMessage]) -> Reply:
    match = _PART.search(last_human_text(messages))
    index, count = (int(match.group(1)), int(match.group(2))) if match else (0, 10)
    tokens = dr.parallel_tokens(f"w{index}-", min(count, dr.PARALLEL_MAX[1]))
    return Reply("".join(tokens), tokens=tokens)


def _parallel_main(messages: Sequence[BaseMessage]) -> Reply:
    n, m = dr.parallel_shape(last_human_text(messages))
    if not tool_results_since_last_human(messages):
        calls = [
            ("task", {"subagent_type": dr.WORKER, "description": dr.parallel_description(i, m)})
            for i in range(1, n + 1)
        ]
        return Reply("", calls)
    tokens = dr.parallel_tokens("main", m)
    return Reply("".join(tokens), tokens=tokens)


deep_parallel = _deep(
    _parallel_main, subagents=[_subagent(dr.WORKER, _worker)], name="deep_parallel"
)


# --- deep_big: "file N", "todos N", "binary" ----------------------------------------------


@tool
def save_image(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Save a tiny PNG image as a state file."""
    # The filesystem tools only write text; a binary file is a record with base64 content,
    # merged into `files` by the same reducer.
    record = create_file_data(dr.BINARY_B64, encoding="base64")
    message = ToolMessage(f"Saved {dr.BINARY_FILE}", tool_call_id=tool_call_id, name="save_image")
    return Command(update={"files": {dr.BINARY_FILE: record}, "messages": [message]})


def _number(pattern: str, text: str, default: int, maximum: int) -> int:
    match = re.search(pattern, text)
    return max(1, min(int(match.group(1)), maximum)) if match else default


def _big(messages: Sequence[BaseMessage]) -> Reply:
    text = last_human_text(messages).lower()
    size = _number(r"file\s+(\d+)", text, dr.BIG_DEFAULT_BYTES, dr.BIG_MAX_BYTES)
    count = _number(r"todos\s+(\d+)", text, dr.TODOS_DEFAULT, dr.TODOS_MAX)
    results = tool_results_since_last_human(messages)
    if results:
        done = {
            "write_file": dr.big_file_done(dr.BIG_FILE, size),
            "write_todos": dr.big_todos_done(count),
            "save_image": dr.BINARY_DONE,
        }
        return Reply(done.get(results[-1].name or "", results[-1].text))
    if "file" in text:
        args = {"file_path": dr.BIG_FILE, "content": dr.big_content(size)}
        return Reply("", [("write_file", args)])
    if "todos" in text:
        return Reply("", [("write_todos", {"todos": dr.big_todos(count)})])
    if "binary" in text:
        return Reply("", [("save_image", {})])
    return Reply(dr.BIG_HELP)


deep_big = _deep(_big, tools=[save_image], name="deep_big")
