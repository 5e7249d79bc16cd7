"""The local store for the command line, opened with one note per problem on stderr.

`fleet-tui ask --thread …` saves its exchanges through the conversation service (the TUI's
recorder), so they show in the TUI."""

from __future__ import annotations

from typing import TextIO

from fleet_tui.common.sanitize import print_err
from fleet_tui.storage.store import Store


def open_for_cli(err: TextIO) -> Store:
    """Open the default store, saying on `err` where a damaged file went and why nothing will
    be saved (once, at open, or later when saving stops). Raises what `Store.open` raises
    when the store cannot even be read (OSError, sqlite3.Error, StoreError)."""
    store = Store.open()
    if store.recovered_from:
        print_err(
            f"the local store was damaged; it was moved to {store.recovered_from} and a fresh "
            "one was started.",
            err,
        )
    if store.problem:
        print_err(store.problem, err)
    store.on_problem = lambda problem: print_err(problem, err)
    return store
