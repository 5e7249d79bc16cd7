"""The bundled demo agent: a real deep agent (deepagents harness, as Fleet agents are)
driven by scripted models, so it needs no LLM key.

What it does is chosen from the latest human message, so any turn of any thread behaves the
same way:
- a message mentioning "weather" calls `get_weather(city)` and answers with its result;
- a message mentioning "email" or "send" proposes `send_email(...)`, which waits for a
  human decision (langchain's `HumanInTheLoopMiddleware`, as on Fleet);
- a message mentioning "plan", "research" or "report" takes the deep tour: a plan
  (`write_todos`), a `researcher` sub-agent with its own tool, a state file written and
  edited (`/report.md`), the plan completed, and a short answer;
- anything else: turn 1, 4, 7… gets a markdown tour, turns 2, 5… the weather, turns 3, 6…
  the email, so a newcomer typing anything sees every feature.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence
from typing import Any

from deepagents import create_deep_agent
from langchain.agents.middleware import TodoListMiddleware
from langchain_core.messages import BaseMessage
from langchain_core.tools import tool

from fleet_tui.demo.scripted import (
    Reply,
    ScriptedChatModel,
    human_count,
    last_human_text,
    tool_results_since_last_human,
)

MARKDOWN_REPLY = """\
# Welcome to the fleet-tui demo

This agent runs on a **real LangGraph Agent Server** on your machine, with a scripted
model instead of an LLM, so it needs no key and always answers the same way.

Things to try:

- ask about the **weather** (for example *"weather in Lisbon"*): the agent calls a tool;
- ask it to **send an email**: the agent asks for your approval first;
- ask it to **research** something or to plan a report: it makes a plan, hands the research
  to a sub-agent and writes a file;
- press the keys shown in the footer to manage threads.

```python
from langgraph_sdk import get_client

client = get_client(url="http://127.0.0.1:2024")
async for part in client.runs.stream(None, "agent", input=payload):
    print(part.event, part.data)
```

| feature | where it comes from |
|---|---|
| streaming text | `messages-tuple` stream mode |
| tool calls | `updates` stream mode |
| approvals | `HumanInTheLoopMiddleware` interrupts |
| plans, files, sub-agents | the deep agent's state and subgraphs |
"""

DEFAULT_CITY = "Paris"
DEMO_EMAIL = {
    "to": "ada@example.com",
    "subject": "Hello from fleet-tui",
    "body": "Hi Ada,\n\nthis email was drafted by the fleet-tui demo agent.\n",
}
_CONDITIONS = ("sunny", "light rain", "cloudy", "windy", "clear skies", "fog")


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city (demo data, made up deterministically)."""
    seed = zlib.crc32(city.strip().lower().encode())
    return f"{city}: {8 + seed % 20}°C, {_CONDITIONS[seed % len(_CONDITIONS)]} (demo data)"


@tool
def send_email(to: str, subject: str, body: str) -> str:
    """Send an email (the demo only pretends to)."""
    return f"Email sent to {to} with subject {subject!r}."


def _city(text: str) -> str:
    match = re.search(r"\b(?:in|for|at)\s+([A-Za-z][A-Za-z .'-]*)", text)
    if not match:
        return DEFAULT_CITY
    return match.group(1).strip(" .'-").title() or DEFAULT_CITY


_DEEP_WORDS = re.compile(r"\b(?:plan|planning|research\w*|reports?)\b", re.IGNORECASE)


def _intent(text: str, turn: int) -> str:
    lowered = text.lower()
    if "weather" in lowered:
        return "weather"
    if "email" in lowered or "send" in lowered:
        return "email"
    if _DEEP_WORDS.search(text):
        return "deep"
    return ("markdown", "weather", "email")[(turn - 1) % 3]


# --- the deep tour: plan, sub-agent, state file, plan completed ----------------------------

DEFAULT_TOPIC = "terminal user interfaces"
REPORT_PATH = "/report.md"
RESEARCHER = "researcher"
_TOPIC_RE = re.compile(
    r"\b(?:research(?:es|ing)?(?:\s+(?:on|into|about))?|about|on|into)\s+(?!a\b|the report\b)"
    r"([A-Za-z][A-Za-z0-9 '-]*?)\s*(?:\band\b|[.,;:!?]|$)",
    re.IGNORECASE,
)
_PLAN = ("Research {topic}", "Write " + REPORT_PATH, "Review the report", "Answer with a summary")


def _topic(text: str) -> str:
    match = _TOPIC_RE.search(text)
    topic = match.group(1).strip(" '-") if match else ""
    return topic if 2 < len(topic) <= 60 else DEFAULT_TOPIC


def _todos(topic: str, done: int) -> dict[str, Any]:
    # Everything before `done` is finished, the next step is under way, the rest waits.
    statuses = ["completed"] * done + ["in_progress"] + ["pending"] * len(_PLAN)
    items = [
        {"content": step.format(topic=topic), "status": statuses[i]} for i, step in enumerate(_PLAN)
    ]
    return {"todos": items}


@tool
def lookup_sources(query: str) -> str:
    """Look up sources on a topic (demo data, made up deterministically)."""
    seed = zlib.crc32(query.strip().lower().encode())
    return (
        f"3 sources found: Field notes #{seed % 97}, The {1970 + seed % 40} survey, "
        "A recent blog post"
    )


def _research_topic(description: str) -> str:
    match = re.match(r"Research (.+?): ", description)
    return match.group(1) if match else description


def researcher_script(messages: Sequence[BaseMessage]) -> Reply:
    """The researcher sub-agent: its task description is its first human message."""
    task = last_human_text(messages)
    topic = _research_topic(task)
    results = tool_results_since_last_human(messages)
    if not results:
        return Reply(f"Looking up sources on {topic}.", [("lookup_sources", {"query": topic})])
    sources = results[-1].text.split(": ", 1)[-1]
    return Reply(
        f"### Findings: {topic}\n\n"
        f"- **Three sources** agree that {topic} work best when they stay simple.\n"
        f"- Keyboard-first designs come up again and again as what users value most.\n"
        f"- One open question remains: how {topic} behave on slow or lossy links.\n\n"
        f"Sources: {sources} *(made-up demo data)*."
    )


def _report(topic: str, finding: str) -> str:
    bullets = [line for line in finding.splitlines() if line.startswith("- ")]
    return "\n".join(
        [
            f"# Report: {topic}",
            "",
            "Status: draft",
            "",
            "## Summary",
            "",
            f"The `researcher` sub-agent looked into {topic}; this file collects what it found.",
            "",
            "## Findings",
            "",
            *(bullets or ["- (no findings)"]),
            "",
            "## Next steps",
            "",
            "1. Share the report with the team.",
            "2. Follow up on the open question.",
            "",
            "| item | value |",
            "|---|---|",
            "| sources | 3 |",
            "| open questions | 1 |",
            "",
        ]
    )


def _deep_tour(messages: Sequence[BaseMessage], topic: str) -> Reply:
    # One tool call per step, so the number of tool results says which step is next.
    results = tool_results_since_last_human(messages)
    step = len(results)
    if step == 0:
        return Reply(
            f"Let me plan this first: a short report on {topic}.",
            [("write_todos", _todos(topic, 0))],
        )
    if step == 1:
        description = f"Research {topic}: find the key facts and name the sources."
        return Reply(
            "I'll hand the research to the **researcher** sub-agent.",
            [("task", {"subagent_type": RESEARCHER, "description": description})],
        )
    if step == 2:
        return Reply("The research is in. Updating the plan.", [("write_todos", _todos(topic, 1))])
    if step == 3:
        finding = next((r.text for r in results if r.name == "task"), "")
        args = {"file_path": REPORT_PATH, "content": _report(topic, finding)}
        return Reply(f"Writing `{REPORT_PATH}`.", [("write_file", args)])
    if step == 4:
        edit = {
            "file_path": REPORT_PATH,
            "old_string": "Status: draft",
            "new_string": "Status: reviewed",
        }
        return Reply("Reviewing it.", [("edit_file", edit)])
    if step == 5:
        return Reply("", [("write_todos", _todos(topic, len(_PLAN)))])
    return Reply(
        f"Done. The report on **{topic}** is in `{REPORT_PATH}`: open the **Files** view to "
        "read it.\n\n- the plan is complete (4 of 4 steps)\n"
        "- the research came from the `researcher` sub-agent"
    )


def demo_script(messages: Sequence[BaseMessage]) -> Reply:
    text = last_human_text(messages)
    intent = _intent(text, human_count(messages))
    if intent == "deep":
        return _deep_tour(messages, _topic(text))
    results = tool_results_since_last_human(messages)
    if results:
        result = results[-1]
        outcome = result.text.strip().splitlines()[-1] if result.text.strip() else ""
        if result.name == "get_weather":
            return Reply(
                f"Here is the weather: **{outcome}**\n\n"
                "That came from the `get_weather` tool, which makes the weather up."
            )
        if result.status == "error":
            return Reply(f"Understood, I did not send the email.\n\n> {outcome}")
        return Reply(f"Done: {outcome}")
    if intent == "weather":
        city = _city(text)
        return Reply(f"Let me look up the weather in {city}.", [("get_weather", {"city": city})])
    if intent == "email":
        return Reply(
            f"I drafted an email to {DEMO_EMAIL['to']}. It needs your approval before it goes out.",
            [("send_email", dict(DEMO_EMAIL))],
        )
    return Reply(MARKDOWN_REPLY)


def _token_delay() -> float:
    # A short pause between tokens makes the demo look like a real model; tests set 0.
    try:
        return max(0.0, float(os.environ.get("FLEET_DEMO_TOKEN_DELAY", "0.02")))
    except ValueError:
        return 0.02


_DELAY = _token_delay()
# what the demo's replies say they cost (shown with `u`), as a hosted model's would
DEMO_MODEL = "demo-scripted-1"

# deepagents would pick a hosted model when given none: every agent here gets a scripted one.
graph = create_deep_agent(
    model=ScriptedChatModel(
        script=demo_script, token_delay=_DELAY, model_name=DEMO_MODEL, report_usage=True
    ),
    tools=[get_weather, send_email],
    system_prompt="You are the fleet-tui demo agent.",
    # deepagents 0.7 has no `write_todos` of its own: TodoListMiddleware brings it.
    middleware=[TodoListMiddleware()],
    subagents=[
        {
            "name": RESEARCHER,
            "description": "Researches a topic and reports the key facts with sources.",
            "system_prompt": "You are the researcher of the fleet-tui demo.",
            "model": ScriptedChatModel(
                script=researcher_script,
                token_delay=_DELAY,
                model_name=DEMO_MODEL,
                report_usage=True,
            ),
            "tools": [lookup_sources],
        }
    ],
    interrupt_on={
        "send_email": {
            "allowed_decisions": ["approve", "edit", "reject"],
            "description": "The agent wants to send an email. Approve, edit or reject it.",
        }
    },
    name="fleet-demo",
)
