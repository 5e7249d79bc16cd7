"""Command line: `fleet-tui` (the TUI), `fleet-tui ask`, `fleet-tui threads`, `fleet-tui inbox`,
`fleet-tui config`.

Only argparse and the standard library at import time: `ask` must start fast and never load
Textual; each command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fleet_tui import __version__
from fleet_tui.common.exit_codes import EXIT_CODES_HELP, ExitCode

SETTINGS_HELP = """settings come from (first wins): command-line flags, the environment
(FLEET_API_URL, FLEET_AGENT_ID, LANGGRAPH_API_KEY or LANGSMITH_API_KEY, FLEET_AUTH_SCHEME),
a .env file (the current directory's, or --env-file), then the saved settings
(`fleet-tui config path`). The Personal Access Token is never a command-line flag."""


def _connection_flags(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """The connection flags, accepted before the command and after it.

    argparse copies every attribute of a subcommand's namespace over the top level's, defaults
    included, so a subcommand's own default would erase a flag given before the command. The
    subcommands' copies therefore set nothing unless given (SUPPRESS): a flag after the command
    wins over the same flag before it, and one before it is kept when there is none after.
    """
    unset: dict[str, Any] = {} if top_level else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("connection")
    group.add_argument("--url", help="deployment URL (the agent's api_url)", **unset)
    group.add_argument("--agent-id", help="agent id (the assistant id, a UUID on Fleet)", **unset)
    group.add_argument("--env-file", type=Path, help="read settings from this .env file", **unset)
    group.add_argument(
        "--demo",
        action="store_true",
        help="start the bundled demo agent on a local Agent Server and use it (no account needed)",
        **unset,
    )
    group.add_argument(
        "--debug",
        action="store_true",
        help="write a debug log (tokens masked) to fleet-tui.log in the log directory "
        "(also FLEET_TUI_DEBUG=1)",
        **unset,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fleet-tui",
        description="A full-screen terminal client for LangSmith Fleet agents. "
        "Without a command, opens the TUI.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fleet-tui {__version__}")
    _connection_flags(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser(
        "ask",
        help="send one message and stream the reply to stdout (no TUI)",
        description="Send MESSAGE to the agent and stream its reply to stdout. Tool calls, "
        "sub-agent progress and plan changes go to stderr. Without --thread the run is "
        "stateless. When the run stops for an approval, each pending interrupt is listed on "
        "stderr with its id, allowed decisions and a command that answers it.",
        epilog=EXIT_CODES_HELP + "\n" + SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_flags(ask, top_level=False)
    ask.add_argument(
        "--thread",
        metavar="new|last|THREAD_ID",
        help="run on a server thread: 'new' creates one, 'last' continues the most recent "
        "conversation, or give a thread id; the thread id is printed on stderr",
    )
    answer = ask.add_mutually_exclusive_group()
    answer.add_argument(
        "--resume",
        metavar="JSON",
        help="answer the thread's pending interrupts (needs --thread): a map "
        "'{\"<interrupt id>\": <answer>, ...}' (several in one resume), or, when exactly one "
        'is pending, the bare answer, e.g. \'{"type": "approve"}\'',
    )
    answer.add_argument(
        "--approve",
        action="store_true",
        help="approve every pending tool call of the thread (needs --thread)",
    )
    answer.add_argument(
        "--reject",
        nargs="?",
        const="",
        metavar="REASON",
        help="reject every pending tool call of the thread, with an optional reason the agent "
        "is told (needs --thread)",
    )
    ask.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="PATH",
        help="attach a file to the message (repeatable): images (png, jpeg, gif, webp) and "
        "PDFs go as content blocks, UTF-8 text files inlined; at most attachment_max_mb "
        "(default 20 MB)",
    )
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object per event (NDJSON) instead"
    )
    ask.add_argument("message", nargs="?", help="the message to send ('-' reads stdin)")

    threads = sub.add_parser(
        "threads",
        help="list the saved conversations of the current agent",
        description="List the saved conversations of the current agent, newest first.",
    )
    _connection_flags(threads, top_level=False)
    threads.add_argument("--json", action="store_true", help="print JSON")

    inbox = sub.add_parser(
        "inbox",
        help="list what waits for you, failed or finished unread, across all saved agents",
        description="Look at every saved agent once, then list the conversations that wait for "
        "an approval, whose run failed, or whose run finished since you last opened them, "
        "newest first: age, kind, agent, title, what. Agents that could not be checked are "
        "named on stderr.",
        epilog="exit codes: 6 something waits for you, 0 nothing does, 5 no agent could be "
        "checked, 2 no saved agents, 130 Ctrl-C (--watch ends so)",
    )
    inbox.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object {"items": [...], "unchecked": [{"agent", "problem"}]}; '
        "with --watch one object per line, per new item",
    )
    inbox.add_argument(
        "--watch",
        action="store_true",
        help="keep looking and print one line per new item until Ctrl-C",
    )
    inbox.add_argument(
        "--interval",
        type=float,
        metavar="SECONDS",
        help="with --watch: seconds between looks, 1 to 86400 (default: the watch_interval "
        "setting)",
    )

    config = sub.add_parser(
        "config",
        help="show or change the saved settings",
        description="Show or change the saved settings.",
    )
    config_sub = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    config_sub.add_parser("show", help="show the settings (the token masked)")
    config_set = config_sub.add_parser(
        "set", help="save one value (use '-' as VALUE to read it from stdin)"
    )
    config_set.add_argument("key")
    config_set.add_argument("value")
    config_sub.add_parser("path", help="print the settings file's path")

    paths = sub.add_parser(
        "paths",
        help="print where settings, conversations, exports and logs are kept",
        description="Print where fleet-tui keeps its settings, conversations, exports and logs.",
    )
    paths.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from fleet_tui.common.crash import install_thread_hook, report_crash, setup_logging

    setup_logging(_debug_wanted(args))
    install_thread_hook()
    try:
        return _dispatch(args)
    except Exception as exc:  # a bug of ours: one line and a redacted report, no traceback
        report_crash(exc)
        return ExitCode.INTERNAL


def _debug_wanted(args: argparse.Namespace) -> bool:
    """`--debug`, FLEET_TUI_DEBUG=1, or `fleet-tui config set debug_log true`."""
    if getattr(args, "debug", False) or os.environ.get("FLEET_TUI_DEBUG", "") not in ("", "0"):
        return True
    from fleet_tui.settings.config_file import debug_log_wanted

    return debug_log_wanted()


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "ask":
        from fleet_tui.cli.ask import run_ask

        return run_ask(args)
    if args.command == "threads":
        from fleet_tui.cli.threads import run_threads

        return run_threads(args)
    if args.command == "inbox":
        from fleet_tui.cli.inbox import run_inbox

        return run_inbox(args)
    if args.command == "paths":
        from fleet_tui.cli.paths import run_paths

        return run_paths(sys.stdout, as_json=args.json)
    if args.command == "config":
        from fleet_tui.cli.config import run_config

        return run_config(
            args.action,
            getattr(args, "key", None),
            getattr(args, "value", None),
            out=sys.stdout,
            err=sys.stderr,
        )
    # No cycle collection until the first frame: the objects start-up makes live as long as
    # the app, and collecting them while they are made costs ~15 ms (FleetApp turns it on).
    from fleet_tui.common import gc_policy

    gc_policy.pause_for_startup()
    try:
        from fleet_tui.tui.main import run_tui

        return run_tui(args)
    finally:
        gc_policy.resume()


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
