"""Settings: file safety, precedence, validation, snippet parsing and keeping the PAT private."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fleet_tui.cli.config import run_config
from fleet_tui.settings import config
from fleet_tui.settings.config import (
    AgentProfile,
    ConfigError,
    Resolved,
    Settings,
    SnippetError,
    default_config_path,
    is_loopback_url,
    load_settings,
    mask_secret,
    normalise_url,
    parse_snippet,
    resolve,
    save_settings,
    validate_profile,
)

FAKE_PAT = "fake-pat-0000-test"
ENV_PAT = "fake-pat-1111-envv"
DOTENV_PAT = "fake-pat-2222-dotv"
FAKE_HEADER_VALUE = "fake-user-token-3333-hdrv"
AGENT_ID = "3f2b9c1e-7a44-4d2b-9a1e-5c6d7e8f9a0b"
URL = "https://my-agent-1a2b3c.us.langgraph.app"
ALL_SECRETS = (FAKE_PAT, ENV_PAT, DOTENV_PAT, FAKE_HEADER_VALUE)
ENV_KEYS = (
    "LANGGRAPH_API_KEY",
    "LANGSMITH_API_KEY",
    "FLEET_API_URL",
    "FLEET_AGENT_ID",
    "FLEET_AUTH_SCHEME",
    "FLEET_CUSTOM_AUTH_HEADER",
    "FLEET_CUSTOM_AUTH_VALUE",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real config dir, the real environment's tokens, or a real .env."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def saved_profile(path: Path, **kwargs: object) -> Path:
    settings = Settings()
    settings.replace_profile(AgentProfile(name="default", **kwargs))  # type: ignore[arg-type]
    return save_settings(settings, path)


# --------------------------------------------------------------------------- the file


def test_default_path_follows_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if sys.platform != "linux":
        pytest.skip("XDG_CONFIG_HOME only applies on Linux/BSD")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "elsewhere"))
    assert default_config_path() == tmp_path / "elsewhere" / "fleet-tui" / "settings.json"


def test_new_file_is_0600_and_dir_0700_even_with_a_permissive_umask(tmp_path: Path):
    old_umask = os.umask(0)
    try:
        path = saved_profile(default_config_path(), url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT)
    finally:
        os.umask(old_umask)
    assert path == tmp_path / "xdg" / "fleet-tui" / "settings.json"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    # Missing parents are ours too: created private, not with the default mode.
    assert mode(tmp_path / "xdg") == 0o700


def test_every_save_leaves_0600(tmp_path: Path):
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings()
    settings.replace_profile(AgentProfile(name="a", url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT))
    for i in range(3):
        save_settings(settings, path)
        assert mode(path) == 0o600
        os.chmod(path, 0o644)  # somebody loosened it between saves
        settings.theme = f"theme-{i}"
    save_settings(settings, path)
    assert mode(path) == 0o600
    assert not [p for p in path.parent.iterdir() if p.name != "settings.json"], "temp file left"


def test_file_is_private_from_the_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "settings.json"
    seen: list[tuple[int, int]] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        # At the moment of the rename the temp file already holds the PAT: it must be 0600.
        seen.append((mode(Path(src)), Path(src).stat().st_size))
        real_replace(src, dst)

    monkeypatch.setattr(config.os, "replace", spy)
    old_umask = os.umask(0)
    try:
        saved_profile(path, url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT)
    finally:
        os.umask(old_umask)
    assert seen and seen[0][0] == 0o600 and seen[0][1] > 0


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = saved_profile(tmp_path / "cfg" / "settings.json", url=URL, agent_id=AGENT_ID)
    before = path.read_text()

    def boom(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.os, "fsync", boom)
    settings, _ = load_settings(path)
    settings.theme = "changed"
    with pytest.raises(ConfigError, match="No space left"):
        save_settings(settings, path)
    assert path.read_text() == before
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


def test_round_trip_of_several_profiles(tmp_path: Path):
    path = tmp_path / "settings.json"
    settings = Settings(theme="nord")
    settings.add_profile(AgentProfile(name="work", url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT))
    settings.add_profile(
        AgentProfile(
            name="local",
            url="http://127.0.0.1:2024",
            agent_id="agent",
            custom_header_name="X-User-Token",
            custom_header_value=FAKE_HEADER_VALUE,
            stream_modes=["values"],
            allow_insecure_http=True,
        )
    )
    settings.switch("local")
    save_settings(settings, path)
    loaded, warnings = load_settings(path)
    assert warnings == []
    assert loaded == settings
    assert loaded.current_profile() == settings.profiles["local"]
    data = json.loads(path.read_text())
    assert data["version"] == 1 and data["current"] == "local" and data["theme"] == "nord"
    assert data["profiles"]["work"]["url"] == URL


def test_settings_helpers():
    s = Settings()
    assert s.current_profile() is None
    s.add_profile(AgentProfile(name="a"))
    assert s.current == "a"  # the first profile becomes current
    s.add_profile(AgentProfile(name="b"))
    assert s.current == "a"
    with pytest.raises(ValueError, match="already saved"):
        s.add_profile(AgentProfile(name="b"))
    s.replace_profile(AgentProfile(name="b", url=URL), make_current=True)
    assert s.current_profile() == AgentProfile(name="b", url=URL)
    s.rename_profile("b", "c")
    assert list(s.profiles) == ["a", "c"] and s.current == "c" and s.profiles["c"].name == "c"
    with pytest.raises(ValueError, match="no saved agent"):
        s.switch("zzz")
    s.remove_profile("c")
    assert s.current == "a"
    s.remove_profile("a")
    assert s.current is None and s.current_profile() is None


def test_world_readable_file_with_pat_is_tightened_with_warning(tmp_path: Path):
    path = saved_profile(tmp_path / "settings.json", url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT)
    os.chmod(path, 0o644)
    settings, warnings = load_settings(path)
    assert mode(path) == 0o600
    assert settings.current_profile().api_key == FAKE_PAT  # type: ignore[union-attr]
    assert len(warnings) == 1
    assert "0644" in warnings[0] and "0600" in warnings[0] and str(path) in warnings[0]
    # Once tightened, loading is quiet.
    assert load_settings(path)[1] == []


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2, 3]", b'{"profiles": []}', b"\xff\xfe\x00garbage"],
    ids=["bad-json", "not-an-object", "bad-profiles", "not-utf8"],
)
def test_corrupt_file_is_moved_aside(tmp_path: Path, content: bytes):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    settings, warnings = load_settings(path)
    assert settings == Settings()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    assert not path.exists()
    assert len(warnings) == 1 and str(aside[0]) in warnings[0] and "default" in warnings[0]
    # A second corrupt file on the same second does not overwrite the first one moved aside.
    path.write_bytes(content)
    load_settings(path)
    assert len([p for p in tmp_path.iterdir() if ".corrupt-" in p.name]) == 2


def test_bad_field_types_are_dropped_with_warning(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "current": "missing",
                "profiles": {"a": {"url": URL, "agent_id": 42, "stream_modes": "updates"}},
            }
        )
    )
    os.chmod(path, 0o600)
    settings, warnings = load_settings(path)
    prof = settings.current_profile()
    assert prof is not None and prof.name == "a" and prof.url == URL
    assert prof.agent_id == "" and prof.stream_modes == ["messages-tuple", "updates"]
    assert len(warnings) == 3
    assert any("'missing' is not saved" in w for w in warnings)


def test_missing_file_gives_defaults(tmp_path: Path):
    assert load_settings(tmp_path / "nope.json") == (Settings(), [])


# --------------------------------------------------------------------------- precedence


def test_precedence_flag_env_dotenv_file(tmp_path: Path, isolated: Path):
    cfg = saved_profile(
        tmp_path / "settings.json",
        url="https://file.example.com",
        agent_id="file-agent",
        api_key=FAKE_PAT,
        auth_scheme="file-scheme",
        custom_header_name="X-File",
    )
    (isolated / ".env").write_text(
        "FLEET_API_URL=https://dotenv.example.com\n"
        "FLEET_AGENT_ID=dotenv-agent\n"
        f"LANGGRAPH_API_KEY={DOTENV_PAT}\n"
        "FLEET_AUTH_SCHEME=dotenv-scheme\n"
    )
    environ = {"FLEET_API_URL": "https://env.example.com/", "LANGGRAPH_API_KEY": ENV_PAT}

    r = resolve(url="flag.example.com", environ=environ, config_path=cfg)
    p = r.profile
    assert p.url == "https://flag.example.com"  # bare host normalised
    assert p.agent_id == "dotenv-agent"
    assert p.api_key == ENV_PAT
    assert p.auth_scheme == "dotenv-scheme"
    assert p.custom_header_name == "X-File"
    assert p.custom_header_value is None
    assert r.sources == {
        "url": "flag",
        "agent_id": ".env",
        "api_key": "environment",
        "auth_scheme": ".env",
        "custom_header_name": "settings file",
        "custom_header_value": "default",
        "stream_modes": "settings file",
        "allow_insecure_http": "settings file",
    }
    assert r.env_file == isolated / ".env"
    assert r.settings.current_profile().url == "https://file.example.com"  # type: ignore[union-attr]

    # Peel the layers off one by one.
    r = resolve(environ=environ, config_path=cfg)
    assert (r.profile.url, r.sources["url"]) == ("https://env.example.com", "environment")
    (isolated / ".env").unlink()
    r = resolve(environ={}, config_path=cfg)
    assert r.profile.url == "https://file.example.com" and r.sources["url"] == "settings file"
    assert r.profile.api_key == FAKE_PAT and r.sources["api_key"] == "settings file"
    assert r.profile.agent_id == "file-agent"
    r = resolve(environ={}, config_path=tmp_path / "none.json")
    assert r.profile == AgentProfile(name="default")
    assert set(r.sources.values()) == {"default"}


def test_resolve_reads_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("FLEET_AGENT_ID", AGENT_ID)
    r = resolve(config_path=tmp_path / "none.json")
    assert r.profile.agent_id == AGENT_ID and r.sources["agent_id"] == "environment"


def test_langsmith_api_key_is_the_fallback(tmp_path: Path, isolated: Path):
    cfg = tmp_path / "none.json"
    both = {"LANGGRAPH_API_KEY": ENV_PAT, "LANGSMITH_API_KEY": FAKE_PAT}
    assert resolve(environ=both, config_path=cfg).profile.api_key == ENV_PAT
    only = {"LANGSMITH_API_KEY": FAKE_PAT, "LANGGRAPH_API_KEY": ""}
    assert resolve(environ=only, config_path=cfg).profile.api_key == FAKE_PAT
    # Layer first, then name: the environment's LANGSMITH_API_KEY beats .env's LANGGRAPH_API_KEY.
    (isolated / ".env").write_text(f"LANGGRAPH_API_KEY={DOTENV_PAT}\n")
    r = resolve(environ={"LANGSMITH_API_KEY": FAKE_PAT}, config_path=cfg)
    assert r.profile.api_key == FAKE_PAT and r.sources["api_key"] == "environment"


def test_env_file_option(tmp_path: Path, isolated: Path):
    cfg = tmp_path / "none.json"
    (isolated / ".env").write_text("FLEET_AGENT_ID=from-cwd\n")
    other = tmp_path / "other.env"
    other.write_text(f"FLEET_AGENT_ID=from-option\nexport LANGGRAPH_API_KEY='{DOTENV_PAT}'\n")
    r = resolve(env_file=other, environ={}, config_path=cfg)
    assert r.profile.agent_id == "from-option" and r.profile.api_key == DOTENV_PAT
    assert r.env_file == other
    with pytest.raises(ConfigError, match="does not exist"):
        resolve(env_file=tmp_path / "missing.env", environ={}, config_path=cfg)
    # A .env elsewhere is found through `cwd`, and parsing never touches os.environ.
    r = resolve(environ={}, config_path=cfg, cwd=tmp_path)
    assert r.profile.agent_id == ""
    r = resolve(environ={}, config_path=cfg, cwd=isolated)
    assert r.profile.agent_id == "from-cwd"
    assert "FLEET_AGENT_ID" not in os.environ and "LANGGRAPH_API_KEY" not in os.environ


def test_named_profile(tmp_path: Path):
    cfg = tmp_path / "settings.json"
    settings = Settings()
    settings.add_profile(AgentProfile(name="a", agent_id="agent-a"))
    settings.add_profile(AgentProfile(name="b", agent_id="agent-b"))
    save_settings(settings, cfg)
    assert resolve(environ={}, config_path=cfg).profile.agent_id == "agent-a"
    assert resolve(profile="b", environ={}, config_path=cfg).profile.agent_id == "agent-b"
    with pytest.raises(ConfigError, match="no saved agent named 'c'"):
        resolve(profile="c", environ={}, config_path=cfg)


def test_env_provided_pat_is_never_written(tmp_path: Path, isolated: Path):
    cfg = saved_profile(tmp_path / "settings.json", url=URL, agent_id=AGENT_ID)
    (isolated / ".env").write_text(f"FLEET_CUSTOM_AUTH_VALUE={FAKE_HEADER_VALUE}\n")
    r = resolve(environ={"LANGGRAPH_API_KEY": ENV_PAT}, config_path=cfg)
    assert r.profile.api_key == ENV_PAT

    # Saving the file's settings as loaded cannot pick the PAT up.
    save_settings(r.settings, cfg)
    assert ENV_PAT not in cfg.read_text() and FAKE_HEADER_VALUE not in cfg.read_text()

    # Nor can saving the effective profile (what a settings screen edits), even after a copy.
    edited = r.profile.copy()
    edited.stream_modes = ["updates"]
    r.settings.replace_profile(edited)
    save_settings(r.settings, cfg)
    text = cfg.read_text()
    assert ENV_PAT not in text and FAKE_HEADER_VALUE not in text
    saved = load_settings(cfg)[0].current_profile()
    assert saved is not None and saved.api_key is None and saved.stream_modes == ["updates"]


def test_env_pat_does_not_replace_the_saved_one(tmp_path: Path):
    cfg = saved_profile(tmp_path / "settings.json", url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT)
    r = resolve(environ={"LANGGRAPH_API_KEY": ENV_PAT}, config_path=cfg)
    r.settings.replace_profile(r.profile)
    save_settings(r.settings, cfg)
    assert json.loads(cfg.read_text())["profiles"]["default"]["api_key"] == FAKE_PAT

    # A PAT the user typed over the env-provided one is theirs to save.
    r = resolve(environ={"LANGGRAPH_API_KEY": ENV_PAT}, config_path=cfg)
    r.profile.api_key = DOTENV_PAT
    r.settings.replace_profile(r.profile)
    save_settings(r.settings, cfg)
    assert json.loads(cfg.read_text())["profiles"]["default"]["api_key"] == DOTENV_PAT


def test_missing_names_each_value_and_how_to_set_it(tmp_path: Path):
    r = resolve(environ={}, config_path=tmp_path / "none.json")
    missing = r.missing()
    assert len(missing) == 3
    assert missing[0].startswith("no deployment URL") and "--url" in missing[0]
    assert "FLEET_API_URL" in missing[0] and "config set url" in missing[0]
    assert missing[1].startswith("no agent id") and "FLEET_AGENT_ID" in missing[1]
    assert missing[2].startswith("no Personal Access Token") and "LANGGRAPH_API_KEY" in missing[2]
    assert ".env" in missing[2] and "config set api_key" in missing[2]
    full = {"FLEET_API_URL": URL, "FLEET_AGENT_ID": AGENT_ID, "LANGGRAPH_API_KEY": ENV_PAT}
    assert resolve(environ=full, config_path=tmp_path / "none.json").missing() == []
    r = resolve(
        environ={**full, "FLEET_CUSTOM_AUTH_HEADER": "X-User"}, config_path=tmp_path / "n.json"
    )
    assert r.missing() == [
        "no value for the custom auth header 'X-User': set FLEET_CUSTOM_AUTH_VALUE or run "
        "`fleet-tui config set custom_header_value -`"
    ]


# --------------------------------------------------------------------------- validation


def problems_of(**kwargs: object) -> dict[str, tuple[str, str]]:
    base: dict[str, object] = {"name": "x", "url": URL, "agent_id": AGENT_ID, "api_key": FAKE_PAT}
    base.update(kwargs)
    return {p.field: (p.severity, p.message) for p in validate_profile(AgentProfile(**base))}  # type: ignore[arg-type]


def test_a_good_profile_has_no_problems():
    assert problems_of() == {}
    assert problems_of(url="http://localhost:2024", agent_id="agent") == {
        "agent_id": (
            "warning",
            "the agent id 'agent' is not a UUID; Fleet agent ids are UUIDs "
            "(a local development server also accepts a graph name)",
        )
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "the deployment URL is empty"),
        (
            "ftp://example.com",
            "the deployment URL must start with https:// or http:// (not ftp://)",
        ),
        ("https://", "the deployment URL has no valid host name"),
        ("https://exa mple.com", "the deployment URL has no valid host name"),
        ("https://example.com:99999", "the deployment URL is not valid: Port out of range 0-65535"),
        ("<AGENT-BUILDER-URL>.us.langgraph.app", "the documentation's placeholder"),
    ],
)
def test_url_errors(url: str, message: str):
    severity, text = problems_of(url=url)["url"]
    assert severity == "error" and message in text


def test_plain_http_to_a_remote_host_needs_confirmation():
    severity, message = problems_of(url="http://agents.example.com")["url"]
    assert severity == "confirm"
    assert "agents.example.com" in message and "unencrypted" in message
    assert FAKE_PAT not in message
    assert problems_of(url="http://agents.example.com", allow_insecure_http=True) == {}
    assert problems_of(url="http://agents.example.com", api_key=None)["url"][0] == "warning"
    for local in ("http://localhost:2024", "http://127.0.0.1:8123", "http://[::1]:2024"):
        assert problems_of(url=local) == {}, local


def test_agent_id_and_other_field_problems():
    assert problems_of(agent_id="") == {"agent_id": ("error", "the agent id is empty")}
    assert problems_of(agent_id="your-agent-id")["agent_id"][0] == "error"
    assert problems_of(api_key="your-personal-access-token")["api_key"][0] == "error"
    assert problems_of(api_key="fake pat with spaces")["api_key"][0] == "error"
    assert problems_of(auth_scheme="")["auth_scheme"][0] == "warning"
    assert problems_of(custom_header_name="X-User")["custom_header_value"] == (
        "error",
        "the custom auth header 'X-User' has no value",
    )
    assert problems_of(custom_header_name="Bad Header", custom_header_value="v")[
        "custom_header_name"
    ] == (
        "error",
        "the custom auth header name has U+0020 SPACE at position 4: a header name is letters, "
        "digits and - (like X-User-Token)",
    )
    assert (
        problems_of(custom_header_name="x-api-key", custom_header_value="v")["custom_header_name"][
            0
        ]
        == "error"
    )
    assert problems_of(custom_header_value="v")["custom_header_name"][0] == "warning"
    assert problems_of(stream_modes=[])["stream_modes"][0] == "error"
    assert problems_of(stream_modes=["updates", "bogus"])["stream_modes"][0] == "warning"


def test_normalise_url_and_loopback():
    assert normalise_url(" my-agent.us.langgraph.app/ ") == "https://my-agent.us.langgraph.app"
    assert normalise_url("HTTPS://Example.com/base//") == "https://Example.com/base"
    assert normalise_url("localhost:2024") == "http://localhost:2024"
    assert normalise_url("127.0.0.1:2024/") == "http://127.0.0.1:2024"
    assert normalise_url("") == ""
    assert is_loopback_url("http://localhost:2024")
    assert is_loopback_url("http://127.0.0.2")
    assert is_loopback_url("http://[::1]:2024")
    assert is_loopback_url("api.localhost")
    assert not is_loopback_url("http://localhost.example.com")
    assert not is_loopback_url(URL)
    assert not is_loopback_url("")


def test_mask_secret():
    assert mask_secret(FAKE_PAT) == "****test"
    assert mask_secret("short-one") == "****"
    assert mask_secret("") == "" and mask_secret(None) == ""


# --------------------------------------------------------------------------- snippets

# The three samples of shared/reference/fleet-invoke.md, exactly as the page has them
# (flattened onto one line).
PYTHON_SAMPLE = 'import osfrom dotenv import load_dotenvfrom langgraph_sdk.client import get_clientload_dotenv()agent_id = "your-agent-id"api_key = os.getenv("LANGGRAPH_API_KEY")api_url = "<AGENT-BUILDER-URL>.us.langgraph.app"client = get_client( url=api_url, api_key=api_key, headers={ "X-Auth-Scheme": "langsmith-api-key", },)thread = await client.threads.create()async for chunk in client.runs.stream( thread["thread_id"], agent_id, input={ "messages": [ {"role": "user", "content": "Hi, my name is Alice."} ] }, stream_mode="updates",): if chunk.data and "run_id" not in chunk.data: print(chunk.data)async for chunk in client.runs.stream( thread["thread_id"], agent_id, input={ "messages": [ {"role": "user", "content": "What is my name?"} ] }, stream_mode="updates",): if chunk.data and "run_id" not in chunk.data: print(chunk.data)'  # noqa: E501
TYPESCRIPT_SAMPLE = 'import "dotenv/config";import { Client } from "@langchain/langgraph-sdk";const agentId = "your-agent-id";const apiKey = process.env.LANGGRAPH_API_KEY;const apiUrl = "<AGENT-BUILDER-URL>.us.langgraph.app";const client = new Client({ apiUrl, apiKey, defaultHeaders: { "X-Auth-Scheme": "langsmith-api-key", },});const thread = await client.threads.create();let streamResponse = client.runs.stream( thread["thread_id"], agentId, { input: { messages: [ { role: "user", content: "Hi, my name is Alice." } ] }, streamMode: "updates" });for await (const chunk of streamResponse) { if (chunk.data && !("run_id" in chunk.data)) { console.log(chunk.data); }}streamResponse = client.runs.stream( thread["thread_id"], agentId, { input: { messages: [ { role: "user", content: "What is my name?" } ] }, streamMode: "updates" });for await (const chunk of streamResponse) { if (chunk.data && !("run_id" in chunk.data)) { console.log(chunk.data); }}'  # noqa: E501
CURL_SAMPLE = """curl --request POST \\ --url "<AGENT-BUILDER-URL>.us.langgraph.app/runs/stream" \\ --header 'Content-Type: application/json' \\ --header 'X-Api-Key: your-personal-access-token' \\ --header 'X-Auth-Scheme: langsmith-api-key' \\ --data '{ "assistant_id": "your-agent-id", "input": { "messages": [ { "role": "user", "content": "What can you help me with?" } ] }, "stream_mode": [ "updates" ] }'"""  # noqa: E501


def real_values(sample: str) -> str:
    """The sample as the agent's dialog shows it: pre-populated with (fake) real values."""
    return (
        sample.replace("your-agent-id", AGENT_ID)
        .replace("<AGENT-BUILDER-URL>", "https://my-agent-1a2b3c")
        .replace("your-personal-access-token", FAKE_PAT)
    )


def test_reference_samples_are_copied_verbatim():
    page = Path(__file__).parents[1].parent / "shared" / "reference" / "fleet-invoke.md"
    if not page.exists():
        page = Path("/work/shared/reference/fleet-invoke.md")
    if not page.exists():
        pytest.skip("reference page not available")
    lines = page.read_text().splitlines()
    for sample in (PYTHON_SAMPLE, TYPESCRIPT_SAMPLE, CURL_SAMPLE):
        assert sample in lines


@pytest.mark.parametrize(
    ("sample", "api_key"),
    [(PYTHON_SAMPLE, None), (TYPESCRIPT_SAMPLE, None), (CURL_SAMPLE, FAKE_PAT)],
    ids=["python", "typescript", "curl"],
)
def test_parse_snippet_flattened_samples_with_real_values(sample: str, api_key: str | None):
    values = parse_snippet(real_values(sample))
    assert values.agent_id == AGENT_ID
    assert values.url == URL  # no /runs/stream on the cURL one
    assert values.api_key == api_key
    assert values.placeholders() == []


@pytest.mark.parametrize("sample", [PYTHON_SAMPLE, TYPESCRIPT_SAMPLE, CURL_SAMPLE])
def test_parse_snippet_with_placeholders(sample: str):
    values = parse_snippet(sample)
    assert values.agent_id == "your-agent-id"
    assert values.url == "https://<AGENT-BUILDER-URL>.us.langgraph.app"
    assert values.api_key is None  # `your-personal-access-token` is not a key
    assert values.placeholders() == ["url", "agent_id"]


PYTHON_MULTILINE = f'''import os
from dotenv import load_dotenv
from langgraph_sdk.client import get_client

load_dotenv()

agent_id = "{AGENT_ID}"
api_key = "{FAKE_PAT}"
api_url = "{URL}/"

client = get_client(
    url=api_url,
    api_key=api_key,
    headers={{
        "X-Auth-Scheme": "langsmith-api-key",
    }},
)
'''

TYPESCRIPT_MULTILINE = f"""import "dotenv/config";
import {{ Client }} from "@langchain/langgraph-sdk";

const agentId = '{AGENT_ID}';
const apiKey = process.env.LANGGRAPH_API_KEY;
const apiUrl = '{URL}';

const client = new Client({{
  apiUrl,
  apiKey,
  defaultHeaders: {{ "X-Auth-Scheme": "langsmith-api-key" }},
}});
"""

CURL_MULTILINE = f"""curl --request POST \\
  --url "{URL}/threads/0b6f1d2e-0000-4000-8000-000000000000/runs/stream" \\
  --header 'Content-Type: application/json' \\
  --header "X-Api-Key: {FAKE_PAT}" \\
  --header 'X-Auth-Scheme: langsmith-api-key' \\
  --data "{{\\"assistant_id\\": \\"{AGENT_ID}\\", \\"input\\": {{}}}}"
"""


@pytest.mark.parametrize(
    ("text", "api_key"),
    [(PYTHON_MULTILINE, FAKE_PAT), (TYPESCRIPT_MULTILINE, None), (CURL_MULTILINE, FAKE_PAT)],
    ids=["python", "typescript", "curl-escaped-json"],
)
def test_parse_snippet_multiline(text: str, api_key: str | None):
    values = parse_snippet(text)
    assert (values.url, values.agent_id, values.api_key) == (URL, AGENT_ID, api_key)


def test_parse_snippet_other_shapes():
    v = parse_snippet(f'client = get_client(url="{URL}", api_key="lsv2_pt_...")\nagent_id="x-1"')
    assert (v.url, v.agent_id, v.api_key) == (URL, "x-1", None)
    v = parse_snippet(
        f"curl -X POST {URL}/runs/wait -H 'x-api-key: $LANGGRAPH_API_KEY' "
        f'-d \'{{"assistant_id":"{AGENT_ID}"}}\''
    )
    assert (v.url, v.agent_id, v.api_key) == (URL, AGENT_ID, None)
    v = parse_snippet(f'agent_id = "{AGENT_ID}"')
    assert (v.url, v.api_key) == (None, None)


@pytest.mark.parametrize(
    "text",
    ["", "hello there", "https://my-agent.us.langgraph.app", "agent_id = os.getenv('X')", "{}"],
)
def test_parse_snippet_garbage(text: str):
    with pytest.raises(SnippetError) as info:
        parse_snippet(text)
    assert str(info.value) == (
        "no agent id found in the pasted text: paste the whole snippet from the agent's "
        "View code snippets dialog"
    )


# --------------------------------------------------------------------------- the PAT stays private


def test_pat_absent_from_reprs(tmp_path: Path):
    profile = AgentProfile(
        name="a",
        url=URL,
        agent_id=AGENT_ID,
        api_key=FAKE_PAT,
        custom_header_value=FAKE_HEADER_VALUE,
    )
    settings = Settings()
    settings.replace_profile(profile)
    cfg = save_settings(settings, tmp_path / "settings.json")
    resolved = resolve(environ={"LANGSMITH_API_KEY": ENV_PAT}, config_path=cfg)
    snippet = parse_snippet(real_values(CURL_SAMPLE))
    for obj in (profile, settings, resolved, snippet, [profile], {"p": resolved}):
        for text in (repr(obj), str(obj), f"{obj}"):
            for secret in ALL_SECRETS:
                assert secret not in text
    assert "****test" in repr(profile)
    assert isinstance(resolved, Resolved)


def test_pat_absent_from_logs_and_errors(
    tmp_path: Path, isolated: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    cfg = tmp_path / "cfg" / "settings.json"
    (isolated / ".env").write_text(f"LANGGRAPH_API_KEY={DOTENV_PAT}\n")
    out, err = io.StringIO(), io.StringIO()
    assert run_config("set", "url", URL, out=out, err=err, config_path=cfg, environ={}) == 0
    stdin = io.StringIO(FAKE_PAT + "\n")
    assert run_config("set", "api_key", "-", out=out, err=err, stdin=stdin, config_path=cfg) == 0
    assert (
        run_config(
            "set", "custom_header_value", FAKE_HEADER_VALUE, out=out, err=err, config_path=cfg
        )
        == 0
    )
    os.chmod(cfg, 0o644)
    settings, warnings = load_settings(cfg)
    resolved = resolve(environ={"LANGGRAPH_API_KEY": ENV_PAT}, config_path=cfg)
    validate_profile(resolved.profile)
    parse_snippet(real_values(CURL_SAMPLE))
    assert run_config("show", None, None, out=out, err=err, config_path=cfg) == 0
    (cfg.parent / "blocker").write_text("")
    errors: list[str] = []
    try:
        save_settings(settings, cfg.parent / "blocker" / "settings.json")
    except ConfigError as exc:
        errors.append(str(exc))
    try:
        parse_snippet(f"X-Api-Key: {FAKE_PAT}")
    except SnippetError as exc:
        errors.append(str(exc))
    assert len(errors) == 2
    texts = [r.getMessage() for r in caplog.records] + warnings + errors + [err.getvalue()]
    assert caplog.records, "expected some log records to check"
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text
    for secret in (FAKE_PAT, FAKE_HEADER_VALUE, DOTENV_PAT):
        assert secret not in out.getvalue()


# --------------------------------------------------------------------------- fleet-tui config


def run(*args: str | None, stdin: str | None = None, **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    action, key, value = (*args, None, None)[:3]
    code = run_config(
        action,  # type: ignore[arg-type]
        key,
        value,
        out=out,
        err=err,
        stdin=io.StringIO(stdin) if stdin is not None else None,
        **kwargs,  # type: ignore[arg-type]
    )
    return code, out.getvalue(), err.getvalue()


def test_config_path(tmp_path: Path):
    code, out, _ = run("path")
    assert code == 0 and out == f"{tmp_path / 'xdg' / 'fleet-tui' / 'settings.json'}\n"
    assert not (tmp_path / "xdg").exists()


def test_config_set_creates_default_profile_in_the_default_path(tmp_path: Path):
    code, out, err = run("set", "url", "my-agent-1a2b3c.us.langgraph.app/", environ={})
    assert code == 0
    assert out.startswith(f"saved url = {URL} for agent 'default' in ")
    assert "still needed: no agent id" in err
    path = default_config_path()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert load_settings(path)[0].current_profile() == AgentProfile(name="default", url=URL)


def test_config_set_every_key(tmp_path: Path):
    cfg = tmp_path / "s.json"
    env: dict[str, str] = {}
    assert run("set", "agent-id", AGENT_ID, config_path=cfg, environ=env)[0] == 0
    assert run("set", "url", URL, config_path=cfg, environ=env)[0] == 0
    assert run("set", "auth_scheme", "other", config_path=cfg, environ=env)[0] == 0
    assert run("set", "custom_header_name", "X-User", config_path=cfg, environ=env)[0] == 0
    assert run("set", "stream_modes", "values, updates,", config_path=cfg, environ=env)[0] == 0
    assert run("set", "theme", "nord", config_path=cfg, environ=env)[0] == 0
    assert run("set", "name", "work", config_path=cfg, environ=env)[0] == 0
    code, out, err = run("set", "api_key", FAKE_PAT, config_path=cfg, environ=env)
    assert code == 0 and "shell history" in err and "config set api_key -" in err
    assert FAKE_PAT not in out + err and "****test" in out
    settings = load_settings(cfg)[0]
    assert settings.theme == "nord" and settings.current == "work"
    assert settings.current_profile() == AgentProfile(
        name="work",
        url=URL,
        agent_id=AGENT_ID,
        api_key=FAKE_PAT,
        auth_scheme="other",
        custom_header_name="X-User",
        stream_modes=["values", "updates"],
    )
    assert mode(cfg) == 0o600
    # Empty values clear optional settings and restore defaults.
    assert run("set", "api_key", "", config_path=cfg, environ=env)[0] == 0
    assert run("set", "auth_scheme", "", config_path=cfg, environ=env)[0] == 0
    prof = load_settings(cfg)[0].current_profile()
    assert prof is not None and prof.api_key is None and prof.auth_scheme == "langsmith-api-key"


def test_config_set_reads_a_secret_from_stdin(tmp_path: Path):
    cfg = tmp_path / "s.json"
    code, out, err = run("set", "api_key", "-", stdin=FAKE_PAT + "\n", config_path=cfg)
    assert code == 0 and "shell history" not in err and FAKE_PAT not in out + err
    assert load_settings(cfg)[0].current_profile().api_key == FAKE_PAT  # type: ignore[union-attr]
    assert run("set", "api_key", "-", stdin="", config_path=cfg)[0] == 2  # EOF: nothing saved


def test_config_set_refuses_bad_values(tmp_path: Path):
    cfg = tmp_path / "s.json"
    code, _, err = run("set", "url", "ftp://example.com", config_path=cfg)
    assert code == 2 and "https://" in err and "nothing saved" in err
    assert not cfg.exists()
    assert run("set", "agent_id", "", config_path=cfg)[0] == 2
    assert run("set", "bogus", "x", config_path=cfg)[0] == 2
    assert run("set", "url", None, config_path=cfg)[0] == 2
    assert run("set", None, None, config_path=cfg)[0] == 2
    assert run("set", "allow_insecure_http", "maybe", config_path=cfg)[0] == 2
    assert run("frobnicate", config_path=cfg)[0] == 2
    assert not cfg.exists()
    # A non-UUID id is allowed, with the note.
    code, _, err = run("set", "agent_id", "my-graph", config_path=cfg)
    assert code == 0 and "Fleet agent ids are UUIDs" in err


def test_config_set_plain_http_asks_for_confirmation(tmp_path: Path):
    cfg = tmp_path / "s.json"
    run("set", "api_key", "-", stdin=FAKE_PAT, config_path=cfg)
    code, _, err = run("set", "url", "http://agents.example.com", config_path=cfg)
    assert code == 0 and "needs confirmation" in err and "allow_insecure_http true" in err
    assert run("set", "allow_insecure_http", "true", config_path=cfg)[0] == 0
    confirmed = load_settings(cfg)[0].current_profile()
    assert confirmed is not None and confirmed.allow_insecure_http
    assert [p for p in validate_profile(confirmed) if p.field == "url"] == []
    # Moving to another address withdraws the confirmation.
    run("set", "url", "http://other.example.com", config_path=cfg)
    assert load_settings(cfg)[0].current_profile().allow_insecure_http is False  # type: ignore[union-attr]


def test_config_show(tmp_path: Path, isolated: Path):
    cfg = tmp_path / "s.json"
    settings = Settings(theme="nord")
    settings.add_profile(AgentProfile(name="work", url=URL, agent_id=AGENT_ID, api_key=FAKE_PAT))
    settings.add_profile(AgentProfile(name="other", url="http://localhost:2024", agent_id="a"))
    save_settings(settings, cfg)
    (isolated / ".env").write_text("FLEET_AGENT_ID=from-dotenv\n")
    code, out, _ = run(
        "show", config_path=cfg, environ={"FLEET_API_URL": "https://env.example.com"}
    )
    assert code == 0
    assert FAKE_PAT not in out and "****test" in out
    assert "* work" in out and "  other" in out and "* other" not in out
    assert f"Settings file: {cfg}" in out
    effective = out.split("Effective settings")[1]
    assert "https://env.example.com" in effective and "[environment]" in effective
    assert "from-dotenv" in effective and "[.env]" in effective
    assert "****test" in effective and "[settings file]" in effective
    assert "Fleet agent ids are UUIDs" in out

    code, out, _ = run("show", "api_key", config_path=cfg, environ={})
    assert (code, out) == (0, "****test\n")
    code, out, _ = run("show", "theme", config_path=cfg, environ={})
    assert (code, out) == (0, "nord\n")


def test_config_show_with_nothing_saved(tmp_path: Path):
    code, out, _ = run("show", config_path=tmp_path / "none.json", environ={})
    assert code == 0
    assert "not created yet" in out and "Saved agents: none" in out
    assert "no deployment URL" in out and "no Personal Access Token" in out
    assert "Problems:" not in out  # the empty values are explained once, under "Missing"


def test_config_set_notes_an_environment_override(tmp_path: Path):
    cfg = tmp_path / "s.json"
    code, _, err = run(
        "set", "agent_id", AGENT_ID, config_path=cfg, environ={"FLEET_AGENT_ID": "env-agent"}
    )
    assert code == 0 and "FLEET_AGENT_ID in the environment overrides" in err


def test_config_modules_do_not_import_textual():
    code = (
        "import sys, fleet_tui.settings.config, fleet_tui.cli.config; "
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; "
        "sys.exit(1 if bad else 0)"
    )
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0
