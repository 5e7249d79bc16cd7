"""Code snippets: real values in, the token never, and hostile values cannot break out.

The last tests run the Python and cURL snippets for real against the test Agent Server, with
the token in the environment only, as a user who copied them would.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from server_fixture import AgentServer, replies

from fleet_tui.services.snippets import (
    AGENT_ID_PLACEHOLDER,
    KINDS,
    LANGUAGES,
    URL_PLACEHOLDER,
    render_snippets,
)
from fleet_tui.settings.config import AgentProfile

FAKE_PAT = "fake-pat-LEAKCHECK-0000"
FAKE_CUSTOM = "fake-custom-LEAKCHECK-1111"
URL = "https://my-agent-0000.us.langgraph.app"
AGENT_ID = "0b5d3c1e-2f4a-4b6c-8d9e-0123456789ab"
HOSTILE_URL = "https://x.example/a\"b'c\\d`whoami`$(touch PWNED)${HOME}"
HOSTILE_ID = "id\"');print('PWNED');//$(touch PWNED)"

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def profile(**overrides: object) -> AgentProfile:
    values: dict[str, object] = {
        "name": "test",
        "url": URL,
        "agent_id": AGENT_ID,
        "api_key": FAKE_PAT,
    }
    values.update(overrides)
    return AgentProfile(**values)  # type: ignore[arg-type]


def all_snippets(p: AgentProfile) -> list[tuple[str, str, str]]:
    return [
        (lang, kind, code)
        for lang, kinds in render_snippets(p).items()
        for kind, code in kinds.items()
    ]


def curl_words(code: str) -> list[str]:
    """The shell words of a one-command cURL snippet (line continuations joined, as bash does)."""
    return shlex.split(code.replace("\\\n", " "), comments=True)


def option_values(words: list[str], option: str) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w == option]


# ----------------------------------------------------------------------------- shape


def test_every_language_and_kind_is_rendered() -> None:
    snippets = render_snippets(profile())
    assert list(snippets) == ["Python", "TypeScript", "cURL"] == list(LANGUAGES)
    for kinds in snippets.values():
        assert list(kinds) == list(KINDS)
        assert {"stateless", "thread"} <= set(kinds)
        for code in kinds.values():
            # Multi-line and formatted like the reference, not flattened onto one line.
            assert code.count("\n") >= 10
            assert code.endswith("\n")


@pytest.mark.parametrize(("lang", "kind", "code"), all_snippets(profile()))
def test_snippet_has_url_agent_id_and_auth_scheme(lang: str, kind: str, code: str) -> None:
    assert URL in code
    assert AGENT_ID in code
    assert "X-Auth-Scheme" in code
    assert "langsmith-api-key" in code
    assert "LANGGRAPH_API_KEY" in code


def test_snippets_follow_the_reference_calls() -> None:
    s = render_snippets(profile())
    assert "client.runs.stream(\n        None,\n        agent_id," in s["Python"]["stateless"]
    assert 'stream_mode="updates"' in s["Python"]["stateless"]
    assert s["Python"]["thread"].count("client.runs.stream(") == 2
    assert "thread = await client.threads.create()" in s["Python"]["thread"]
    assert 'os.getenv("LANGGRAPH_API_KEY")' in s["Python"]["thread"]
    assert "client.runs.stream(\n  null,\n  agentId," in s["TypeScript"]["stateless"]
    assert "process.env.LANGGRAPH_API_KEY" in s["TypeScript"]["stateless"]
    assert s["TypeScript"]["thread"].count("client.runs.stream(") == 2
    assert "const thread = await client.threads.create();" in s["TypeScript"]["thread"]
    assert f"{URL}/runs/stream" in s["cURL"]["stateless"]
    assert f"{URL}/runs/wait" in s["cURL"]["wait"]
    assert "/threads/$THREAD_ID/runs/stream" in s["cURL"]["thread"]
    assert "$LANGGRAPH_API_KEY" in s["cURL"]["stateless"]


def test_trailing_slash_in_url_is_not_doubled() -> None:
    code = render_snippets(profile(url=URL + "/"))["cURL"]["stateless"]
    assert f"{URL}/runs/stream" in code
    assert "//runs" not in code


def test_placeholders_when_the_profile_is_empty() -> None:
    for _, _, code in all_snippets(profile(url="", agent_id="", api_key=None)):
        assert URL_PLACEHOLDER in code
        assert AGENT_ID_PLACEHOLDER in code


def test_custom_auth_header_has_a_placeholder_value() -> None:
    p = profile(custom_header_name="X-User-Token", custom_header_value=FAKE_CUSTOM)
    s = render_snippets(p)
    assert '"X-User-Token": os.getenv("FLEET_CUSTOM_AUTH_VALUE", "")' in s["Python"]["stateless"]
    assert '"X-User-Token": process.env.FLEET_CUSTOM_AUTH_VALUE' in s["TypeScript"]["stateless"]
    words = curl_words(s["cURL"]["stateless"])
    assert "X-User-Token: $FLEET_CUSTOM_AUTH_VALUE" in option_values(words, "--header")
    for _, _, code in all_snippets(p):
        assert FAKE_CUSTOM not in code


def test_no_auth_scheme_header_when_the_scheme_is_empty() -> None:
    for _, _, code in all_snippets(profile(auth_scheme="")):
        assert "X-Auth-Scheme" not in code


# ----------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("custom", [None, "X-User-Token"])
def test_no_token_in_any_snippet(custom: str | None) -> None:
    p = profile(custom_header_name=custom, custom_header_value=FAKE_CUSTOM if custom else None)
    for lang, kind, code in all_snippets(p):
        assert FAKE_PAT not in code, (lang, kind)
        assert "LEAKCHECK" not in code, (lang, kind)


# ----------------------------------------------------------------------------- validity


def python_literals(code: str) -> dict[str, object]:
    tree = ast.parse(code)
    out: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            target = node.targets[0]
            if isinstance(target, ast.Name):
                out[target.id] = node.value.value
    return out


@pytest.mark.parametrize(
    "p",
    [
        profile(),
        profile(url=HOSTILE_URL, agent_id=HOSTILE_ID, custom_header_name="X-Tok'en\""),
        profile(auth_scheme=""),
    ],
    ids=["plain", "hostile", "no-scheme"],
)
def test_python_snippets_compile_and_hold_the_exact_values(p: AgentProfile) -> None:
    for kind, code in render_snippets(p)["Python"].items():
        compile(code, f"<python {kind}>", "exec")
        literals = python_literals(code)
        assert literals["agent_id"] == p.agent_id
        assert literals["api_url"] == p.url
        assert "PWNED" not in "".join(
            line for line in code.splitlines() if not line.lstrip().startswith(("agent_id", "api"))
        )


_TS_CONST = re.compile(r"^const (agentId|apiUrl) = (.*);$", re.MULTILINE)


@pytest.mark.parametrize("p", [profile(), profile(url=HOSTILE_URL, agent_id=HOSTILE_ID)])
def test_typescript_literals_hold_the_exact_values(p: AgentProfile) -> None:
    for code in render_snippets(p)["TypeScript"].values():
        consts = {name: json.loads(lit) for name, lit in _TS_CONST.findall(code)}
        assert consts == {"agentId": p.agent_id, "apiUrl": p.url}
        # Brackets balance: no value closed a string early.
        stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', code)
        for open_, close in ("()", "{}", "[]"):
            assert stripped.count(open_) == stripped.count(close)


@pytest.mark.parametrize("kind", ["stateless", "wait"])
@pytest.mark.parametrize("p", [profile(), profile(url=HOSTILE_URL, agent_id=HOSTILE_ID)])
def test_curl_splits_into_the_exact_request(p: AgentProfile, kind: str) -> None:
    words = curl_words(render_snippets(p)["cURL"][kind])
    assert words[:3] == ["curl", "--request", "POST"]
    path = "/runs/stream" if kind == "stateless" else "/runs/wait"
    assert option_values(words, "--url") == [p.url + path]
    body = json.loads(option_values(words, "--data")[0])
    assert body["assistant_id"] == p.agent_id
    assert body["input"]["messages"][0]["role"] == "user"
    assert ("stream_mode" in body) == (kind == "stateless")
    headers = option_values(words, "--header")
    assert "Content-Type: application/json" in headers
    assert "X-Auth-Scheme: langsmith-api-key" in headers
    # shlex does not expand variables: the word is the literal the shell will expand.
    assert "X-Api-Key: $LANGGRAPH_API_KEY" in headers


def test_control_characters_never_reach_a_snippet() -> None:
    p = profile(url=URL + "\x1b]0;pwned\x07", agent_id=AGENT_ID + "\x9b31m")
    for _, _, code in all_snippets(p):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", code)


@needs_bash
@pytest.mark.parametrize("kind", list(KINDS))
def test_bash_runs_the_curl_snippet_with_exact_arguments(kind: str, tmp_path: Path) -> None:
    """bash itself parses the snippet, with `curl`/`jq` stubbed: nothing hostile executes."""
    p = profile(url=HOSTILE_URL, agent_id=HOSTILE_ID, custom_header_name="X-User-Token")
    code = render_snippets(p)["cURL"][kind]
    script = (
        'curl() { printf \'ARG<%s>\\n\' "$@" >> args.txt; echo \'{"thread_id": "t-1"}\'; }\n'
        "jq() { cat >/dev/null; echo t-1; }\n" + code
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANGGRAPH_API_KEY": FAKE_PAT,
        "FLEET_CUSTOM_AUTH_VALUE": FAKE_CUSTOM,
    }
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "PWNED").exists()
    args = (tmp_path / "args.txt").read_text()
    assert "whoami" in args  # passed on literally, never run
    assert f"ARG<X-Api-Key: {FAKE_PAT}>" in args  # the shell expanded the variable
    assert f"ARG<X-User-Token: {FAKE_CUSTOM}>" in args
    urls = re.findall(r"ARG<--url>\nARG<(.*?)>\n", args)
    if kind == "thread":
        assert urls == [f"{p.url}/threads"] + [f"{p.url}/threads/t-1/runs/stream"] * 2
    else:
        assert urls == [p.url + ("/runs/stream" if kind == "stateless" else "/runs/wait")]
    assert json.dumps(p.agent_id)[1:-1] in args


# ----------------------------------------------------------------------------- no Textual


def test_snippets_and_export_do_not_import_textual() -> None:
    code = (
        "import sys, fleet_tui.services.snippets, fleet_tui.services.export; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')[:3])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- real server


def _first_line(text: str) -> str:
    # Output holds the reply inside a repr or JSON string: compare one line, no escapes in it.
    return text.strip().splitlines()[0]


def _last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def _server_profile(agent_server: AgentServer) -> AgentProfile:
    # The owner's key is deliberately NOT in the profile: the snippet must get it from the env.
    return profile(url=agent_server.url, agent_id=agent_server.assistant_id("echo"), api_key=None)


def _env(agent_server: AgentServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGGRAPH_", "LANGSMITH_"))}
    env.update(HOME=str(tmp_path), LANGGRAPH_API_KEY=agent_server.owner_key, NO_PROXY="*")
    return env


@pytest.mark.parametrize("kind", list(KINDS))
def test_python_snippet_runs_against_the_server(
    agent_server: AgentServer, tmp_path: Path, kind: str
) -> None:
    pytest.importorskip("langgraph_sdk")
    code = render_snippets(_server_profile(agent_server))["Python"][kind]
    script = tmp_path / "snippet.py"
    script.write_text(code)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_env(agent_server, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _first_line(replies.echo_reply("What can you help me with?", 1)) in result.stdout
    if kind == "thread":
        # The second run saw the first turn: the thread kept the history.
        assert _last_line(replies.echo_reply("What is my name?", 2)) in result.stdout
    assert agent_server.owner_key not in code


@pytest.mark.skipif(
    not (shutil.which("bash") and shutil.which("curl") and shutil.which("jq")),
    reason="needs bash, curl and jq",
)
@pytest.mark.parametrize("kind", list(KINDS))
def test_curl_snippet_runs_against_the_server(
    agent_server: AgentServer, tmp_path: Path, kind: str
) -> None:
    code = render_snippets(_server_profile(agent_server))["cURL"][kind]
    result = subprocess.run(
        ["bash", "-e", "-c", code],
        cwd=tmp_path,
        env=_env(agent_server, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _first_line(replies.echo_reply("What can you help me with?", 1)) in result.stdout
    if kind == "thread":
        assert _last_line(replies.echo_reply("What is my name?", 2)) in result.stdout
