"""The bundled demo agent: a real langchain agent driven by a scripted model (no LLM key).

What it does is chosen from the latest human message, so any turn of any thread behaves the
same way:
- a message mentioning "weather" calls `get_weather(city)` and answers with its result;
- a message mentioning "email" or "send" proposes `send_email(...)`, which waits for a
  human decision (langchain's `HumanInTheLoopMiddleware`, as on Fleet);
- anything else: turn 1, 4, 7… gets a markdown tour, turns 2, 5… the weather, turns 3, 6…
  the email, so a newcomer typing anything sees every feature.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Sequence

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
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


def _intent(text: str, turn: int) -> str:
    lowered = text.lower()
    if "weather" in lowered:
        return "weather"
    if "email" in lowered or "send" in lowered:
        return "email"
    return ("markdown", "weather", "email")[(turn - 1) % 3]


def demo_script(messages: Sequence[BaseMessage]) -> Reply:
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
    text = last_human_text(messages)
    intent = _intent(text, human_count(messages))
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


graph = create_agent(
    ScriptedChatModel(script=demo_script, token_delay=_token_delay()),
    tools=[get_weather, send_email],
    system_prompt="You are the fleet-tui demo agent.",
    middleware=[
        HumanInTheLoopMiddleware(
            interrupt_on={
                "send_email": {
                    "allowed_decisions": ["approve", "edit", "reject"],
                    "description": "The agent wants to send an email. Approve, edit or reject it.",
                }
            }
        )
    ],
    name="fleet-demo",
)
