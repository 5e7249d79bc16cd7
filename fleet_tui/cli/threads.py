"""`fleet-tui threads`: the current agent's saved conversations, newest first."""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from typing import TextIO

from fleet_tui.cli.output import OutputClosed, json_text, write_out
from fleet_tui.cli.store_access import open_for_cli
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import for_row, print_err
from fleet_tui.services.launch import SetupError, resolve_target
from fleet_tui.storage.store import Conversation, StoreError


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def run_threads(
    args: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        target = resolve_target(args, require_complete=False)
    except SetupError as exc:
        print_err(exc, err)
        return ExitCode.USAGE
    profile = target.profile
    if not profile.url or not profile.agent_id:
        print_err(
            "no current agent: pass --url and --agent-id, set FLEET_API_URL and "
            "FLEET_AGENT_ID, or save them with `fleet-tui config set`.",
            err,
        )
        return ExitCode.USAGE
    try:
        store = open_for_cli(err)
    except (OSError, sqlite3.Error, StoreError) as exc:
        print_err(f"cannot open the local store: {exc}", err)
        return ExitCode.RUN_FAILED
    with store:
        agent = store.ensure_agent(profile.url, profile.agent_id)
        rows = []
        offset = 0
        while page := store.list_conversations(agent.id, limit=500, offset=offset):
            rows.extend(page)
            offset += len(page)
    try:
        _print_rows(rows, out, err, as_json=bool(args.json))
    except OutputClosed as exc:
        # `threads --json | head`: the reader has what it wanted; anything else is a problem
        if not exc.quiet:
            print_err(exc, err)
        return exc.exit_code
    return ExitCode.OK


def _print_rows(rows: list[Conversation], out: TextIO, err: TextIO, *, as_json: bool) -> None:
    if as_json:
        records = [
            {
                "id": c.id,
                "thread_id": c.thread_id,
                "title": c.title,
                "updated_at": c.updated_at,
                "created_at": c.created_at,
                "message_count": c.message_count,
                "status": c.status,
                "stateless": c.stateless,
            }
            for c in rows
        ]
        write_out(out, json_text(records, indent=2) + "\n")
        return
    if not rows:
        print_err("No saved conversations with this agent yet.", err, prefix="")
        return
    for c in rows:
        thread = c.thread_id or "(stateless)"
        status = c.status or "-"
        write_out(
            out,
            f"{c.id:>6}  {thread:<36}  {_when(c.updated_at)}  {c.message_count:>5} msgs  "
            f"{status:<11}  {for_row(c.title)}\n",
        )
