"""How the app follows its agent's connection: the header after each request, the server's
requests to wait, and the question before a token goes over plain http.

Functions of the app (`FleetApp`), kept apart so app.py stays about wiring.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from typing import TYPE_CHECKING

from fleet_tui.tui.widgets.notices import tell

if TYPE_CHECKING:
    from fleet_tui.agent_server.client import FleetClient, Reachability
    from fleet_tui.common.errors import FleetError
    from fleet_tui.domain.events import ServerWait
    from fleet_tui.settings.config import AgentProfile
    from fleet_tui.tui.app import FleetApp
    from fleet_tui.tui.widgets.status import ConnectionState


def set_connection(app: FleetApp, state: ConnectionState, detail: str = "") -> None:
    was = app.connection_state
    app.connection_state, app.connection_detail = state, detail
    app.chat.show_connection()
    if state == "authentication failed" and was != state:
        # an expired or revoked token is the usual cause: say where to fix it
        tell(
            app,
            "The server refused the Personal Access Token (it may have expired or been "
            "revoked). Press ctrl+o to enter a new one.",
            title="Authentication failed",
            severity="error",
            timeout=20,
        )


def request_outcome(
    app: FleetApp, client: FleetClient, outcome: Reachability, error: FleetError | None
) -> None:
    """Every request of the agent's client ends here: the header follows the last one."""
    if app._thread_id != threading.get_ident():
        with suppress(RuntimeError):  # the app is closing: nobody left to tell
            app.call_from_thread(request_outcome, app, client, outcome, error)
        return
    if client is not app._client or not app.is_running:
        return  # the user switched agents meanwhile
    detail = "" if error is None else str(error)
    if outcome == app.connection_state and (error is None or detail == app.connection_detail):
        return
    set_connection(app, outcome, detail)


def server_wait(app: FleetApp, wait: ServerWait) -> None:
    """The server asked to wait before a request is retried: the header says so."""
    from fleet_tui.tui.widgets.status import AgentBar

    app.chat.query_one(AgentBar).show_wait(wait)


def confirm_cleartext(app: FleetApp, profile: AgentProfile) -> None:
    """Ask before the token goes over plain http to another host; nothing is sent until yes."""
    from fleet_tui.settings.config import cleartext_question
    from fleet_tui.tui.screens.confirm import ConfirmScreen

    question = cleartext_question(profile)
    if question is None:
        return

    def answered(yes: object) -> None:
        if not yes:
            tell(
                app,
                "Nothing was sent. Use an https:// URL in the settings (ctrl+o).",
                severity="warning",
            )
            return
        profile.allow_insecure_http = True
        app._use_profile(profile)
        app.chat.agent_changed()
        app.check_agent()

    app.push_screen(
        ConfirmScreen(
            question.title,
            question.body,
            confirm_label=question.confirm_label,
            cancel_label="Don't send",
            danger=True,
        ),
        answered,
    )
