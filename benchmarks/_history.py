"""A large, realistic saved history for benchmarks: `populate_demo_history(store, agent_pk)`.

Inserts with `executemany` in one transaction (the search triggers still run), so 10,000
conversations of 20 messages take seconds, not minutes.
"""

from __future__ import annotations

import json
import random
import time

from fleet_tui.storage.store import Store, title_from

_TOPICS = (
    "quarterly revenue report", "onboarding checklist", "customer churn analysis",
    "database migration plan", "marketing email draft", "incident postmortem",
    "hiring pipeline", "API rate limits", "Kubernetes cost review", "sales call notes",
    "product roadmap", "security questionnaire", "invoice reconciliation", "sprint retro",
    "support ticket triage", "pricing page copy", "vendor contract renewal", "SEO audit",
    "board meeting prep", "data warehouse schema", "mobile app crash reports", "travel plans",
)  # fmt: skip
_ASKS = (
    "Can you summarise the {t} for me?", "Draft a short update about the {t}.",
    "What are the open questions in the {t}?", "Find last week's notes on the {t}",
    "Compare this month's {t} with the previous one", "Who owns the {t} now?",
    "Write a Python script that helps with the {t}", "List the risks in the {t}",
)  # fmt: skip
_VOCABULARY = (
    "the a we should consider next step team customer data report because however metric "
    "growth owner deadline budget review draft summary update account pipeline forecast "
    "priority issue latency dashboard query export calendar meeting follow up agreed "
    "approve decision context detail example result total average increase decrease risk "
    "mitigation action item quarter week month timeline estimate scope feedback"
)
_WORDS = _VOCABULARY.split()
_TOOLS = ("search_web", "read_calendar", "query_database", "send_email", "read_document")


def _prose(rng: random.Random, words: int) -> str:
    sentences = []
    while words > 0:
        n = min(words, rng.randint(6, 18))
        sentence = " ".join(rng.choices(_WORDS, k=n))
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        words -= n
    return " ".join(sentences)


def _reply(rng: random.Random, topic: str) -> str:
    parts = [f"## {topic.title()}", _prose(rng, rng.randint(25, 70))]
    if rng.random() < 0.5:
        parts.append("\n".join(f"- {_prose(rng, rng.randint(4, 10))}" for _ in range(3)))
    if rng.random() < 0.15:
        name = topic.replace(" ", "_")
        parts.append(f"```python\ndef {name}(rows):\n    return sorted(rows, key=len)[:10]\n```")
    return "\n\n".join(parts)


def populate_demo_history(
    store: Store,
    agent_pk: int,
    conversations: int = 10_000,
    messages_per: int = 20,
    *,
    seed: int = 7,
) -> None:
    rng = random.Random(seed)
    now = time.time()
    conv_rows: list[tuple[object, ...]] = []
    msg_rows: list[tuple[object, ...]] = []
    with store._write() as db:
        first = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM conversations").fetchone()[0]
        for cid in range(first, first + conversations):
            topic = rng.choice(_TOPICS)
            started = now - rng.uniform(0, 180 * 86400)
            when = started
            title = ""
            for seq in range(1, messages_per + 1):
                when += rng.uniform(5, 600)
                calls: list[dict[str, object]] = []
                call_id = name = None
                if seq % 2 == 1:
                    role, text = "human", rng.choice(_ASKS).format(t=topic)
                    title = title or title_from(text)
                elif seq % 6 == 2 and seq < messages_per - 1:
                    role, text = "ai", ""
                    tool = rng.choice(_TOOLS)
                    calls = [{"id": f"call_{cid}_{seq}", "name": tool, "args": {"q": topic}}]
                elif seq % 6 == 3 and msg_rows and msg_rows[-1][4] != "[]":
                    role, text = "tool", json.dumps({"results": [_prose(rng, 20)]})
                    call_id, name = f"call_{cid}_{seq - 1}", "tool"
                else:
                    role, text = "ai", _reply(rng, topic)
                msg_rows.append(
                    (cid, seq, role, text, json.dumps(calls), call_id, name, f"run-{cid}",
                     f"msg-{cid}-{seq}", 1, "", when)
                )  # fmt: skip
            conv_rows.append((cid, agent_pk, f"thread-{cid}", title, started, when, "idle"))
        db.executemany(
            "INSERT INTO conversations"
            " (id, agent_pk, thread_id, title, created_at, updated_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            conv_rows,
        )
        db.executemany(
            "INSERT INTO messages (conversation_id, seq, role, content, tool_calls, tool_call_id,"
            " name, run_id, server_id, complete, reasoning, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            msg_rows,
        )
