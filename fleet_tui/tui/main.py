"""`fleet-tui` with no command: the full-screen app."""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from fleet_tui.common import lifetime
from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import print_err
from fleet_tui.services.launch import SetupError, Target, demo_target, resolve_target
from fleet_tui.settings.config import AgentProfile, load_settings
from fleet_tui.storage.store import Store, StoreError

if TYPE_CHECKING:
    from fleet_tui.tui.app import FleetApp


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[Target]:
    if args.demo:
        with demo_target() as target:
            yield target
    else:
        yield resolve_target(args, require_complete=False)


def run_tui(args: argparse.Namespace) -> int:
    # SIGTERM and SIGHUP (the terminal closed) unwind through every `finally` below: the demo's
    # Agent Server is stopped and its folders removed, as when the user quits.
    with lifetime.orderly_exit():
        try:
            return _run_tui(args)
        except lifetime.Terminated as exc:
            return exc.exit_code


def _run_tui(args: argparse.Namespace) -> int:
    # The demo's server forgets everything when it stops, and its port changes each time:
    # keep its conversations out of the user's own store.
    scratch = tempfile.TemporaryDirectory(prefix="fleet-tui-demo-") if args.demo else None
    try:
        # the page-by-page check runs after the first frame (FleetApp.verify_store)
        store = Store.open(Path(scratch.name) / "demo.db" if scratch else None, full_check=False)
    except (OSError, sqlite3.Error, StoreError) as exc:
        print_err(f"cannot open the local store: {exc}", sys.stderr)
        return ExitCode.RUN_FAILED
    try:
        with _target(args) as target:
            # The demo runs on the user's own settings plus its own agent: agents the user
            # saves during the demo are theirs to keep (config_lasting.py); the demo's agent,
            # marked session-only, is never written.
            config_path = target.resolved.config_path if target.resolved else None
            settings, notes = load_settings(config_path)
            if target.demo:
                target.profile.name = _free_name(target.profile.name, settings.profiles)
                settings.replace_profile(target.profile, make_current=True)
            notes = list(target.warnings) + [n for n in notes if n not in target.warnings]
            profile: AgentProfile | None = target.profile
            if profile is not None and not (profile.url and profile.agent_id):
                profile = None  # first run: the settings screen opens by itself
            from fleet_tui.tui.app import FleetApp

            app = FleetApp(
                store=store,
                settings=settings,
                profile=profile,
                resolved=target.resolved,
                config_path=config_path,
                demo=target.demo,
                startup_notes=notes,
            )
            _use_tolerant_driver(app)
            # while the app runs, a signal asks it to exit the way ctrl+q does
            with lifetime.on_signal(
                lambda signum: app.exit(return_code=lifetime.exit_code_for(signum))
            ):
                app.run()
            if app.crashed is not None:
                from fleet_tui.common.crash import summary

                print_err(summary(*app.crashed), sys.stderr)
            return app.return_code or 0
    except SetupError as exc:
        print_err(exc, sys.stderr)
        return ExitCode.USAGE
    finally:
        store.close()
        if scratch:
            scratch.cleanup()


def _free_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or "name 2", "name 3"… when a saved agent already has it."""
    names = set(taken)
    candidate, n = name, 1
    while candidate in names:
        n += 1
        candidate = f"{name} {n}"
    return candidate


def _use_tolerant_driver(app: FleetApp) -> None:
    """Input that is not UTF-8 is replaced instead of ending the app (see tui_driver)."""
    if sys.platform == "win32":
        return
    from textual.drivers.linux_driver import LinuxDriver

    if app.driver_class is LinuxDriver:  # not a driver chosen through TEXTUAL_DRIVER
        from fleet_tui.tui.driver import TolerantLinuxDriver

        app.driver_class = TolerantLinuxDriver
