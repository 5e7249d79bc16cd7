"""`fleet-tui inbox [--json] [--watch]`: what waits for you, failed or finished unread, across
every saved agent, after one look at each; the same list as the TUI's inbox.

Exit 6 when something waits, 0 when nothing does; 5 only when no agent could be checked (the
ones that could not are named on stderr, and in the JSON). `--watch` prints one line per new
item until Ctrl-C; only one process watches a store (the lock in the data dir): another one
reads what the watcher stores. Untrusted text (titles, tool arguments, failures) is cleaned
before it reaches the terminal. No Textual import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from fleet_tui.cli.output import OutputClosed, json_text, write_out
from fleet_tui.cli.store_access import open_for_cli
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import for_row, print_err
from fleet_tui.domain.inbox import InboxEntry, age_words

if TYPE_CHECKING:
    from fleet_tui.services.watch import AgentLook, InboxWatch
    from fleet_tui.settings.config import AgentProfile
    from fleet_tui.storage.store import Store

# `--watch` without a saved interval (or with the watch turned off in the settings)
WATCH_DEFAULT = 60.0
# `--interval`: shorter than the settings allow (5 s), for a status bar that wants it
MIN_INTERVAL = 1.0
MAX_INTERVAL = 86_400.0
NO_AGENTS = (
    "no saved agents to check: save one in the TUI's settings or with `fleet-tui config set`."
)


def entry_record(entry: InboxEntry, now: float) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "agent": entry.agent,
        "conversation_id": entry.conversation_id,
        "thread_id": entry.thread_id,
        "title": entry.title,
        "what": entry.what,
        "changed_at": entry.changed_at,
        "age": age_words(now - entry.changed_at),
        "actions": [
            {
                "interrupt_id": a.interrupt_id,
                "tool": a.tool,
                "summary": a.summary,
                "allowed": list(a.allowed),
            }
            for a in entry.actions
        ],
        "failure": entry.failure,
    }


def entry_line(entry: InboxEntry, now: float) -> str:
    """One line: age, kind, agent, title, what (every part cleaned for the terminal)."""
    age = age_words(now - entry.changed_at)
    title = for_row(entry.title) or "(untitled)"
    return f"{age:>6}  {entry.kind:<8}  {for_row(entry.agent)}  {title}  —  {for_row(entry.what)}"


def _saved_profiles(err: TextIO) -> list[AgentProfile] | None:
    from fleet_tui.settings.config import ConfigError, resolve

    try:
        resolved = resolve()
    except (OSError, ValueError, ConfigError) as exc:
        print_err(exc, err)
        return None
    for warning in resolved.warnings:
        print_err(f"warning: {warning}", err)
    return [p for p in resolved.settings.profiles.values() if p.url and p.agent_id]


def _watch_interval() -> float:
    from fleet_tui.settings.config import resolve

    try:
        interval = resolve().settings.watch_interval
    except Exception:  # the settings were read once already; a change is not fatal here
        return WATCH_DEFAULT
    return interval if interval > 0 else WATCH_DEFAULT


def _make_watch(store: Store, profiles: Sequence[AgentProfile], interval: float) -> InboxWatch:
    from fleet_tui.services.client_pool import ClientPool
    from fleet_tui.services.watch import InboxWatch

    pool = ClientPool(store, lambda: profiles)
    return InboxWatch(store, lambda: profiles, pool, interval=lambda: interval)


def run_inbox(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    asked = getattr(args, "interval", None)
    if asked is not None and not MIN_INTERVAL <= asked <= MAX_INTERVAL:
        print_err(f"--interval takes {MIN_INTERVAL:g} to {MAX_INTERVAL:g} seconds", err)
        return ExitCode.USAGE
    profiles = _saved_profiles(err)
    if profiles is None:
        return ExitCode.USAGE
    if not profiles:
        print_err(NO_AGENTS, err)
        return ExitCode.USAGE
    try:
        store = open_for_cli(err)
    except (OSError, sqlite3.Error) as exc:
        print_err(f"cannot open the local store: {exc}", err)
        return ExitCode.RUN_FAILED
    except Exception as exc:  # StoreError: a newer fleet-tui wrote it
        print_err(f"cannot open the local store: {exc}", err)
        return ExitCode.RUN_FAILED
    try:
        with store:
            if args.watch:
                interval = asked or _watch_interval()
                return asyncio.run(_watch(store, profiles, interval, args.json, out, err))
            return asyncio.run(_once(store, profiles, args.json, out, err))
    except KeyboardInterrupt:
        return ExitCode.CTRL_C
    except OutputClosed as exc:
        if not exc.quiet:
            print_err(exc, err)
        return exc.exit_code


async def _once(
    store: Store, profiles: Sequence[AgentProfile], as_json: bool, out: TextIO, err: TextIO
) -> int:
    from fleet_tui.services.inbox import entries

    watch = _make_watch(store, profiles, WATCH_DEFAULT)
    try:
        looks = await watch.look_all()
    finally:
        await watch.clients.aclose()
    unchecked = [look for look in looks if not look.ok]
    for look in unchecked:
        print_err(f"could not check {look.profile!r}: {look.problem}", err)
    items = entries(store, profiles)
    now = time.time()
    if as_json:
        document = {
            "items": [entry_record(e, now) for e in items],
            "unchecked": [{"agent": look.profile, "problem": look.problem} for look in unchecked],
        }
        write_out(out, json_text(document, indent=2) + "\n")
    elif items:
        write_out(out, "".join(entry_line(e, now) + "\n" for e in items))
    else:
        print_err("Nothing waits for you.", err, prefix="")
    if looks and len(unchecked) == len(looks):
        return ExitCode.UNREACHABLE
    return ExitCode.INTERRUPTED if any(e.kind == "waiting" for e in items) else ExitCode.OK


def _key(entry: InboxEntry) -> tuple[str, int, float]:
    return (entry.kind, entry.conversation_id, entry.changed_at)


async def _watch(
    store: Store,
    profiles: Sequence[AgentProfile],
    interval: float,
    as_json: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Print what is there, then one line per new item, until Ctrl-C."""
    from fleet_tui.services.inbox import entries
    from fleet_tui.services.watch_lock import WatchLock, lock_path_for

    lock = WatchLock(lock_path_for(store.path))
    watch = _make_watch(store, profiles, interval)
    looked = asyncio.Event()
    told: dict[str, str] = {}

    def on_look(look: AgentLook) -> None:
        if not look.ok and told.get(look.profile) != look.problem:
            print_err(f"could not check {look.profile!r}: {look.problem}", err)
        told[look.profile] = look.problem
        looked.set()

    watch.on_look = on_look
    shown: set[tuple[str, int, float]] = set()

    def show() -> None:
        now = time.time()
        for entry in reversed(entries(store, profiles)):  # oldest first, as a log reads
            if _key(entry) in shown:
                continue
            shown.add(_key(entry))
            line = json_text(entry_record(entry, now)) if as_json else entry_line(entry, now)
            write_out(out, line + "\n")

    task: asyncio.Task[None] | None = None
    try:
        while True:
            if task is None and lock.acquire():
                task = asyncio.create_task(watch.run())
            elif task is None:
                _note_once(told, err, "another fleet-tui watches this store; reading what it finds")
            show()
            looked.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await looked.wait()
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await watch.clients.aclose()
        lock.release()


def _note_once(told: dict[str, str], err: TextIO, note: str) -> None:
    if told.get("") != note:
        told[""] = note
        print_err(note, err)
