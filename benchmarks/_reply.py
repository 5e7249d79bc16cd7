"""A deterministic markdown reply of about 5,000 tokens, shaped like what agents write.

Headings, paragraphs with inline markup, bullet and numbered lists, fenced code blocks in a few
languages, a table and a quote. `tokens()` cuts it the way a model streams: words with their
leading space, and runs of punctuation.
"""

from __future__ import annotations

import random
import re

_WORDS = [
    "agent",
    "deployment",
    "thread",
    "token",
    "stream",
    "request",
    "server",
    "client",
    "message",
    "tool",
    "result",
    "value",
    "config",
    "retry",
    "network",
    "latency",
    "cache",
    "buffer",
    "render",
    "layout",
    "widget",
    "screen",
    "event",
    "handler",
    "python",
    "async",
    "await",
    "function",
    "module",
    "package",
    "install",
    "version",
    "release",
    "update",
    "state",
    "graph",
    "node",
    "edge",
    "interrupt",
    "approval",
    "review",
    "decision",
    "resume",
    "cancel",
    "timeout",
    "backoff",
    "header",
]

_PYTHON = '''def fetch_{n}(client, thread_id: str, *, limit: int = {k}) -> list[dict]:
    """Fetch the latest messages of a thread."""
    response = client.get(f"/threads/{{thread_id}}/state", params={{"limit": limit}})
    response.raise_for_status()
    values = response.json().get("values", {{}})
    return [m for m in values.get("messages", []) if m.get("type") != "system"]
'''

_SHELL = """pip install 'langgraph-cli[inmem]'
langgraph dev --no-browser --no-reload --port {k}
curl -s http://127.0.0.1:{k}/ok
"""

_TS = """const stream = client.runs.stream(threadId, assistantId, {{
  input: {{ messages: [{{ role: "user", content: "step {n}" }}] }},
  streamMode: "messages-tuple",
}});
for await (const chunk of stream) {{
  console.log(chunk.event, chunk.data);
}}
"""


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_WORDS) for _ in range(words)]
    if words > 6:
        chosen[2] = f"**{chosen[2]}**"
        chosen[5] = f"`{chosen[5]}()`"
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(2, 4)))


def build_reply(target_tokens: int = 5000, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts: list[str] = ["# Streaming report", _paragraph(rng)]
    section = 0
    while len(tokens_of("\n\n".join(parts))) < target_tokens:
        section += 1
        parts.append(f"## Section {section}: {rng.choice(_WORDS)} {rng.choice(_WORDS)}")
        parts.append(_paragraph(rng))
        kind = section % 5
        if kind == 1:
            parts.append("\n".join(f"- {_sentence(rng, rng.randint(5, 12))}" for _ in range(6)))
        elif kind == 2:
            parts.append(f"```python\n{_PYTHON.format(n=section, k=section * 10)}```")
        elif kind == 3:
            header = "| name | status | latency (ms) |\n|---|---|---:|"
            rows = "\n".join(
                f"| {rng.choice(_WORDS)} | {rng.choice(['ok', 'retry', 'failed'])} | "
                f"{rng.randint(3, 900)} |"
                for _ in range(6)
            )
            parts.append(f"{header}\n{rows}")
        elif kind == 4:
            parts.append(
                "\n".join(f"{i}. {_sentence(rng, rng.randint(6, 14))}" for i in range(1, 6))
            )
            parts.append(f"```bash\n{_SHELL.format(k=8000 + section)}```")
        else:
            parts.append(f"> {_sentence(rng, 14)}\n> {_sentence(rng, 10)}")
            parts.append(f"```typescript\n{_TS.format(n=section)}```")
        parts.append(_paragraph(rng))
    return "\n\n".join(parts) + "\n"


_TOKEN = re.compile(r"\s*\S+|\s+")


def tokens_of(text: str) -> list[str]:
    """Cut text into model-like tokens; joining them gives the text back."""
    out: list[str] = []
    for piece in _TOKEN.findall(text):
        # long words are several tokens for a real model
        while len(piece) > 8:
            out.append(piece[:6])
            piece = piece[6:]
        out.append(piece)
    return out


def reply_tokens(target_tokens: int = 5000) -> list[str]:
    text = build_reply(target_tokens)
    return tokens_of(text)
