"""Code snippets for calling the current agent, like the web UI's "View code snippets".

The samples follow the reference page (Python with `langgraph_sdk`, TypeScript with
`@langchain/langgraph-sdk`, cURL against the REST API), filled in with the profile's real URL
and agent id. The Personal Access Token is never written into a snippet, whatever the profile
holds: Python and TypeScript read it from `LANGGRAPH_API_KEY`, cURL expands `$LANGGRAPH_API_KEY`.
The same goes for a custom auth header's value (`FLEET_CUSTOM_AUTH_VALUE`, the variable fleet-tui
itself reads). Nothing here takes the secret fields: only url, agent_id, auth_scheme and
custom_header_name are read from the profile.

Values are escaped per language (`json.dumps` gives a literal that is valid in both Python and
TypeScript; `shlex.quote` for the shell), so a URL or id holding quotes cannot break a snippet
or inject code into it. No Textual import.
"""

from __future__ import annotations

import json
import shlex
from typing import Final, Protocol

from fleet_tui.common.sanitize import clean_line

__all__ = [
    "CUSTOM_VALUE_ENV_VAR",
    "KINDS",
    "LANGUAGES",
    "PAT_ENV_VAR",
    "render_snippets",
]

# Language name -> lexer name (Pygments) for highlighting.
LANGUAGES: Final[dict[str, str]] = {"Python": "python", "TypeScript": "typescript", "cURL": "bash"}
# Kind -> label shown to the user.
KINDS: Final[dict[str, str]] = {
    "stateless": "Stateless, streaming",
    "wait": "Stateless, wait for the result",
    "thread": "Thread (two turns)",
}

PAT_ENV_VAR: Final = "LANGGRAPH_API_KEY"
CUSTOM_VALUE_ENV_VAR: Final = "FLEET_CUSTOM_AUTH_VALUE"

# The reference page's placeholders, used when the profile has no value yet.
URL_PLACEHOLDER: Final = "https://<AGENT-BUILDER-URL>.us.langgraph.app"
AGENT_ID_PLACEHOLDER: Final = "your-agent-id"

FIRST_QUESTION: Final = "What can you help me with?"
THREAD_TURNS: Final = ("Hi, my name is Alice.", "What is my name?")


class SnippetProfile(Protocol):
    """The fields a snippet needs; `config.AgentProfile` has them (and its secrets are unread)."""

    @property
    def url(self) -> str: ...
    @property
    def agent_id(self) -> str: ...
    @property
    def auth_scheme(self) -> str: ...
    @property
    def custom_header_name(self) -> str | None: ...


class _Values:
    def __init__(self, profile: SnippetProfile) -> None:
        # Control characters have no business in a URL, an id or a header name; made visible
        # they cannot reach a terminal when the snippet is shown, printed or pasted.
        self.url = clean_line((profile.url or "").strip()).rstrip("/") or URL_PLACEHOLDER
        self.agent_id = clean_line((profile.agent_id or "").strip()) or AGENT_ID_PLACEHOLDER
        self.auth_scheme = clean_line((profile.auth_scheme or "").strip())
        self.custom_header = clean_line((profile.custom_header_name or "").strip()) or None


def _lit(value: str) -> str:
    """A string literal valid in Python and TypeScript (ASCII-only, every quote escaped)."""
    return json.dumps(value)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


# --------------------------------------------------------------------------- Python


def _py_setup(v: _Values) -> str:
    headers = []
    if v.auth_scheme:
        headers.append(f"        {_lit('X-Auth-Scheme')}: {_lit(v.auth_scheme)},")
    if v.custom_header:
        headers.append(
            "        # The end user's token for the deployment's custom auth.\n"
            f'        {_lit(v.custom_header)}: os.getenv({_lit(CUSTOM_VALUE_ENV_VAR)}, ""),'
        )
    headers_block = "    headers={\n" + "\n".join(headers) + "\n    },\n" if headers else ""
    return (
        "import asyncio\n"
        "import os\n"
        "\n"
        "from dotenv import load_dotenv\n"
        "from langgraph_sdk.client import get_client\n"
        "\n"
        f"# Put your Personal Access Token in a .env file: {PAT_ENV_VAR}=...\n"
        "load_dotenv()\n"
        "\n"
        f"agent_id = {_lit(v.agent_id)}\n"
        f"api_key = os.getenv({_lit(PAT_ENV_VAR)})\n"
        f"api_url = {_lit(v.url)}\n"
        "\n"
        "client = get_client(\n"
        "    url=api_url,\n"
        "    api_key=api_key,\n"
        f"{headers_block}"
        ")\n"
    )


def _py_stream(thread: str, text: str) -> str:
    return (
        "async for chunk in client.runs.stream(\n"
        f"    {thread},\n"
        "    agent_id,\n"
        "    input={\n"
        '        "messages": [\n'
        f'            {{"role": "user", "content": {_lit(text)}}}\n'
        "        ]\n"
        "    },\n"
        '    stream_mode="updates",\n'
        "):\n"
        '    if chunk.data and "run_id" not in chunk.data:\n'
        "        print(chunk.data)\n"
    )


def _py_main(body: str) -> str:
    # The reference page uses top-level `await` (a notebook); a script needs an event loop.
    return f"\n\nasync def main() -> None:\n{_indent(body, '    ')}\n\n\nasyncio.run(main())\n"


def _python(v: _Values, kind: str) -> str:
    if kind == "stateless":
        body = _py_stream("None", FIRST_QUESTION)
    elif kind == "wait":
        body = (
            "result = await client.runs.wait(\n"
            "    None,\n"
            "    agent_id,\n"
            "    input={\n"
            '        "messages": [\n'
            f'            {{"role": "user", "content": {_lit(FIRST_QUESTION)}}}\n'
            "        ]\n"
            "    },\n"
            ")\n"
            "print(result)\n"
        )
    else:
        body = "thread = await client.threads.create()\n\n" + "\n".join(
            _py_stream('thread["thread_id"]', text) for text in THREAD_TURNS
        )
    return _py_setup(v) + _py_main(body)


# --------------------------------------------------------------------------- TypeScript


def _ts_setup(v: _Values) -> str:
    headers = []
    if v.auth_scheme:
        headers.append(f"    {_lit('X-Auth-Scheme')}: {_lit(v.auth_scheme)},")
    if v.custom_header:
        headers.append(
            "    // The end user's token for the deployment's custom auth.\n"
            f'    {_lit(v.custom_header)}: process.env.{CUSTOM_VALUE_ENV_VAR} ?? "",'
        )
    headers_block = "  defaultHeaders: {\n" + "\n".join(headers) + "\n  },\n" if headers else ""
    return (
        'import "dotenv/config";\n'
        'import { Client } from "@langchain/langgraph-sdk";\n'
        "\n"
        f"// Put your Personal Access Token in a .env file: {PAT_ENV_VAR}=...\n"
        f"const agentId = {_lit(v.agent_id)};\n"
        f"const apiKey = process.env.{PAT_ENV_VAR};\n"
        f"const apiUrl = {_lit(v.url)};\n"
        "\n"
        "const client = new Client({\n"
        "  apiUrl,\n"
        "  apiKey,\n"
        f"{headers_block}"
        "});\n"
    )


def _ts_stream(decl: str, thread: str, text: str) -> str:
    return (
        f"{decl}streamResponse = client.runs.stream(\n"
        f"  {thread},\n"
        "  agentId,\n"
        "  {\n"
        "    input: {\n"
        "      messages: [\n"
        f'        {{ role: "user", content: {_lit(text)} }}\n'
        "      ]\n"
        "    },\n"
        '    streamMode: "updates"\n'
        "  }\n"
        ");\n"
        "for await (const chunk of streamResponse) {\n"
        '  if (chunk.data && !("run_id" in chunk.data)) {\n'
        "    console.log(chunk.data);\n"
        "  }\n"
        "}\n"
    )


def _typescript(v: _Values, kind: str) -> str:
    if kind == "stateless":
        body = _ts_stream("const ", "null", FIRST_QUESTION)
    elif kind == "wait":
        body = (
            "const result = await client.runs.wait(\n"
            "  null,\n"
            "  agentId,\n"
            "  {\n"
            "    input: {\n"
            "      messages: [\n"
            f'        {{ role: "user", content: {_lit(FIRST_QUESTION)} }}\n'
            "      ]\n"
            "    }\n"
            "  }\n"
            ");\n"
            "console.log(result);\n"
        )
    else:
        first, second = THREAD_TURNS
        body = (
            "const thread = await client.threads.create();\n"
            "\n"
            + _ts_stream("let ", 'thread["thread_id"]', first)
            + "\n"
            + _ts_stream("", 'thread["thread_id"]', second)
        )
    return _ts_setup(v) + "\n" + body


# --------------------------------------------------------------------------- cURL


def _sh_headers(v: _Values, *, json_body: bool = True) -> list[str]:
    lines = []
    if json_body:
        lines.append("--header 'Content-Type: application/json'")
    # Double quotes so the shell expands the variable; the token itself is never written here.
    lines.append(f'--header "X-Api-Key: ${PAT_ENV_VAR}"')
    if v.auth_scheme:
        lines.append("--header " + shlex.quote(f"X-Auth-Scheme: {v.auth_scheme}"))
    if v.custom_header:
        lines.append(
            "--header " + shlex.quote(f"{v.custom_header}: ") + f'"${CUSTOM_VALUE_ENV_VAR}"'
        )
    return lines


def _sh_body(v: _Values, text: str, *, stream: bool) -> str:
    # Laid out by hand (like the reference) rather than json.dumps(indent=...), which would
    # spread each message over four lines; every value still goes through json.dumps.
    lines = [
        "{",
        f'    "assistant_id": {json.dumps(v.agent_id)},',
        '    "input": {',
        '      "messages": [',
        f'        {{"role": "user", "content": {json.dumps(text)}}}',
        "      ]",
        "    }" + ("," if stream else ""),
    ]
    if stream:
        lines.append('    "stream_mode": ["updates"]')
    lines.append("  }")
    return shlex.quote("\n".join(lines))


def _sh_command(lines: list[str], indent: str = "  ") -> str:
    """`curl` with one option per line, continued with backslashes."""
    return (" \\\n" + indent).join(lines)


_SH_PAT_HINT = f"# Put your Personal Access Token in the environment: export {PAT_ENV_VAR}=...\n"


def _curl(v: _Values, kind: str) -> str:
    if kind in ("stateless", "wait"):
        path = "/runs/stream" if kind == "stateless" else "/runs/wait"
        return (
            _SH_PAT_HINT
            + _sh_command(
                [
                    "curl --request POST",
                    "--url " + shlex.quote(v.url + path),
                    *_sh_headers(v),
                    "--data " + _sh_body(v, FIRST_QUESTION, stream=kind == "stateless"),
                ]
            )
            + "\n"
        )
    create = _sh_command(
        [
            "THREAD_ID=$(curl --silent --fail --request POST",
            '--url "$FLEET_URL/threads"',
            *_sh_headers(v),
            "--data '{}' | jq -r .thread_id)",
        ]
    )
    runs = [
        _sh_command(
            [
                "curl --request POST",
                '--url "$FLEET_URL/threads/$THREAD_ID/runs/stream"',
                *_sh_headers(v),
                "--data " + _sh_body(v, text, stream=True),
            ]
        )
        for text in THREAD_TURNS
    ]
    return (
        f"{_SH_PAT_HINT}"
        f"FLEET_URL={shlex.quote(v.url)}\n"
        "\n"
        "# Create a thread (needs jq), then run the agent on it twice.\n"
        f"{create}\n"
        "\n"
        f"{runs[0]}\n"
        "\n"
        f"{runs[1]}\n"
    )


# --------------------------------------------------------------------------- API


def render_snippets(profile: SnippetProfile) -> dict[str, dict[str, str]]:
    """Every snippet for `profile`: `{language: {kind: code}}`.

    Languages are the keys of `LANGUAGES` ("Python", "TypeScript", "cURL"), kinds the keys of
    `KINDS` ("stateless", "wait", "thread"), both in display order.
    """
    v = _Values(profile)
    renderers = {"Python": _python, "TypeScript": _typescript, "cURL": _curl}
    return {lang: {kind: renderers[lang](v, kind) for kind in KINDS} for lang in LANGUAGES}
