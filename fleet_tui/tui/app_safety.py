"""What the app does when something goes wrong in it: plain-text toasts, redacted crashes.

Textual would show markup from a server's text in a toast, and print every local variable of
every frame (tokens and headers included) when the app crashes; these overrides prevent both.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.notifications import SeverityLevel

from fleet_tui.common.exit_codes import ExitCode
from fleet_tui.common.sanitize import for_notification, for_row
from fleet_tui.tui.widgets.notices import TITLE_LIMIT, plain_notification


class SafeApp(App[int]):
    """The base of the app: its toasts and its crash handling, safe for tokens and text."""

    def __init__(self) -> None:
        super().__init__()
        # set by the first crash: the error and where its redacted report was written
        self.crashed: tuple[BaseException, Path | None] | None = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast, ours (through `tell`) or Textual's own, is shown as plain text."""
        super().notify(
            for_notification(plain_notification(message, markup)),
            title=for_row(title)[:TITLE_LIMIT],
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    # ----------------------------------------------------------------- crashes
    def _handle_exception(self, error: Exception) -> None:
        """A bug of ours ends the app with one line and a redacted report (see `crashed`).

        Textual's own handler prints a traceback with every local variable of every frame —
        tokens and headers included — so its output is dropped; its bookkeeping (the return
        code, the exception a test harness re-raises) is kept.
        """
        from fleet_tui.common.crash import write_report

        if self.crashed is None:
            self.crashed = (error, write_report(error, context="running the app"))
        super()._handle_exception(error)
        self._exit_renderables.clear()
        self._return_code = ExitCode.INTERNAL

    def _fatal_error(self) -> None:
        # the default renders a Traceback with show_locals=True; the report is on disk instead
        self.bell()
        self._close_messages_no_wait()
