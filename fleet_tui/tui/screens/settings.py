"""The settings screen: saved agents, the connection form, snippet paste, test connection.

Works on a private copy of the settings; nothing is written until Save, so Cancel (or escape)
leaves the file exactly as it was. Dismisses with the saved `Settings`, or None on cancel.

Secrets (the PAT and the custom-auth header value) are shown only while the reveal toggle is on,
and are kept out of worker descriptions, log lines and messages: code here passes whole
`AgentProfile` objects around (their repr masks secrets) rather than the raw strings, because
Textual's crash report prints the local variables of every frame.

The form itself is in settings_form.py, what Save writes in settings_saving.py, removing a
saved agent in settings_removal.py.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, OptionList, Static

from fleet_tui.agent_server.client import FleetClient
from fleet_tui.common.errors import FleetError
from fleet_tui.settings.config import (
    DEFAULT_PROFILE_NAME,
    AgentProfile,
    Settings,
    SnippetError,
    cleartext_question,
    parse_snippet,
)
from fleet_tui.settings.config_lasting import lasting_names
from fleet_tui.tui.screens import (
    DIALOGS_CSS,
    settings_removal,
    settings_saving,
    settings_watch,
)
from fleet_tui.tui.screens.confirm import ConfirmResult, ConfirmScreen
from fleet_tui.tui.screens.settings_attachments import AttachmentSettings
from fleet_tui.tui.screens.settings_form import SettingsForm
from fleet_tui.tui.screens.settings_parts import (
    DEMO_NOTE,
    FIELD_LABELS,
    FIELDS,
    FORM_FIELDS,
    ClientFactory,
    ConnectionChecker,
    LocalData,
    SnippetArea,
    join,
    unique_name,
)
from fleet_tui.tui.widgets.footer import FittedFooter

log = logging.getLogger("fleet_tui.tui.screens.settings")


class SettingsScreen(SettingsForm):
    """Edit saved agents. Dismisses with the saved Settings, or None when cancelled."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
        Binding("ctrl+r", "toggle_reveal", "Reveal secrets", id="settings.reveal"),
        Binding("ctrl+t", "test_connection", "Test connection", id="settings.test"),
        Binding("ctrl+n", "new_agent", "New agent", id="settings.new_agent"),
        Binding("delete", "remove_agent", "Remove agent", id="settings.remove_agent"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        config_path: Path | None = None,
        env_sources: Mapping[str, str] | None = None,
        client_factory: ClientFactory | None = None,
        focus_field: str | None = None,
        local_data: LocalData | None = None,
        labels: Mapping[str, str] | None = None,
        demo: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # A deep copy: edits stay private until Save, and Cancel leaves the caller's object alone.
        self._working = copy.deepcopy(settings)
        self._config_path = config_path
        self._env_sources = dict(env_sources or {})
        self._client_factory: ClientFactory = client_factory or FleetClient
        self._labels = dict(labels or {})
        # In the demo, Save writes only the user's own agents, to their real settings file.
        self._demo = demo
        self._lasting = lasting_names(self._working)
        self._first_run = not self._working.profiles
        if self._first_run:
            self._working.replace_profile(AgentProfile(name=DEFAULT_PROFILE_NAME))
        # Profiles added here and never filled in are dropped on save.
        self._new_names: set[str] = set(self._working.profiles) if self._first_run else set()
        # env_sources describe the profile the app is running with: the current one.
        self._env_profile = self._working.current
        self._editing: str = self._working.current or next(iter(self._working.profiles))
        # The URL that plain-http use was confirmed for; changing the URL revokes it.
        self._insecure_ok_url: str | None = None
        # Empty-field errors are noise while the user is still filling the form in.
        self._save_attempted = False
        # the field to start in (the token's, when the server refused it)
        self._focus_field = focus_field
        # the store's conversations of removed agents: counted when asking, deleted on save
        self._local_data = local_data
        self._forget: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("Settings", id="settings-title")
        # The saved-agents panel is docked left but comes after the form, so tab starts in the form.
        with Container(id="settings-body"):
            # Not focusable itself: every child is, and focus scrolls it into view.
            with VerticalScroll(id="settings-form", can_focus=False):
                if self._demo:
                    yield Static(DEMO_NOTE, id="demo-note", classes="hint")
                yield Static(id="editing-label")
                with Vertical(id="snippet-box", classes="settings-section"):
                    yield Label("Paste snippet", classes="section-title")
                    yield Static(
                        "Paste the code from the agent's Settings → View code snippets dialog "
                        "(Python, TypeScript or cURL) to fill in the URL, agent id and token.",
                        classes="hint",
                    )
                    yield SnippetArea(id="snippet", soft_wrap=True, tab_behavior="focus")
                    with Horizontal(classes="button-row"):
                        yield Button("Fill from snippet", id="fill-snippet", compact=True)
                        yield Static(id="snippet-status", classes="status-line")
                with Vertical(id="fields-box", classes="settings-section"):
                    yield Label("Connection", classes="section-title")
                    for field, label, placeholder, secret in FIELDS:
                        with Horizontal(classes="field-row", id=f"row-{field}"):
                            yield Label(label, classes="field-label")
                            yield Input(
                                placeholder=placeholder,
                                password=secret,
                                id=f"input-{field}",
                                classes="field-input",
                                compact=True,
                            )
                            if field == "api_key":
                                yield Button(
                                    "Show", id="reveal", classes="reveal-button", compact=True
                                )
                        yield Static(id=f"source-{field}", classes="field-source")
                        yield Static(id=f"msg-{field}", classes="field-message")
                with Horizontal(id="test-row", classes="button-row"):
                    yield Button("Test connection", id="test-connection", compact=True)
                    yield Static(id="test-status", classes="status-line")
                yield Static(id="general-message", classes="field-message")
                with Horizontal(id="save-row", classes="button-row"):
                    yield Button("Save", id="save", variant="primary", compact=True)
                    yield Button("Cancel", id="cancel", compact=True)
            with Vertical(id="agents-panel"):
                yield Label("Saved agents", classes="section-title")
                yield OptionList(id="agent-list")
                with Horizontal(classes="button-row"):
                    yield Button("New agent", id="new-agent", compact=True)
                    yield Button("Remove", id="remove-agent", variant="error", compact=True)
                yield AttachmentSettings(self._working)
                yield from settings_watch.compose_section(self._working)
        yield FittedFooter()

    def on_mount(self) -> None:
        for widget in self.query(".field-message, .field-source, .status-line, .watch-message"):
            widget.display = False
        self._refresh_agent_list()
        self._load_form(self._editing)
        if self._first_run:
            self.query_one("#snippet", SnippetArea).focus()
        elif self._focus_field in FIELD_LABELS:
            self._input(self._focus_field).focus()
        else:
            self._input("url").focus()

    # ------------------------------------------------------------------ reveal
    def watch_revealed(self, revealed: bool) -> None:
        for field, _, _, secret in FIELDS:
            if secret:
                self._input(field).password = not revealed
        self.query_one("#reveal", Button).label = "Hide" if revealed else "Show"

    def action_toggle_reveal(self) -> None:
        self.revealed = not self.revealed

    @on(Button.Pressed, "#reveal")
    def _reveal_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_toggle_reveal()

    # ------------------------------------------------------------------ live validation
    @on(Input.Changed, ".field-input")
    def _field_changed(self, event: Input.Changed) -> None:
        self._show_problems(self._form_problems())

    @on(Input.Submitted, ".field-input")
    def _field_submitted(self, event: Input.Submitted) -> None:
        # Enter moves through the form like tab; ctrl+s saves.
        event.stop()
        self.focus_next()

    # ------------------------------------------------------------------ snippet
    @on(SnippetArea.Pasted)
    def _snippet_pasted(self, event: SnippetArea.Pasted) -> None:
        event.stop()
        area = event.area
        if area.text.strip():
            # Pasting into a box that already has text: judge the result as a whole.
            area.insert_pasted(event.text)
            self._fill_from_snippet(area.text)
        elif not self._fill_from_snippet(event.text):
            area.insert_pasted(event.text)

    @on(Button.Pressed, "#fill-snippet")
    def _fill_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._fill_from_snippet(self.query_one("#snippet", SnippetArea).text)

    def _fill_from_snippet(self, text: str) -> bool:
        if not text.strip():
            self._set_line(
                "snippet-status", "Paste the snippet into the box first, then fill.", "warning"
            )
            return False
        try:
            values = parse_snippet(text)
        except SnippetError as exc:
            self._set_line("snippet-status", str(exc), "error")
            return False
        filled = []
        if values.url:
            self._input("url").value = values.url
            filled.append("deployment URL")
        self._input("agent_id").value = values.agent_id
        filled.append("agent id")
        if values.api_key:
            self._input("api_key").value = values.api_key
            filled.append("Personal Access Token")
        # Clear the box: it may hold the PAT in clear text.
        self.query_one("#snippet", SnippetArea).clear()
        message = "Filled " + join(filled) + " from the snippet."
        if not values.api_key:
            message += " The snippet has no token: enter your PAT below."
        placeholders = values.placeholders()
        kind = "success"
        if placeholders:
            names = join([FIELD_LABELS.get(p, p) for p in placeholders])
            message += f" The {names} still hold the documentation's placeholders."
            kind = "warning"
        self._set_line("snippet-status", message, kind)
        self._show_problems(self._form_problems())
        return True

    # ------------------------------------------------------------------ test connection
    @on(Button.Pressed, "#test-connection")
    def _test_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_test_connection()

    def action_test_connection(self) -> None:
        problems = self._form_problems()
        errors = [p for p in problems if p.severity == "error" and p.field != "name"]
        if errors:
            self._save_attempted = True
            self._show_problems(problems)
            self._set_line("test-status", "Fix the errors above before testing.", "error")
            return
        if any(p.severity == "confirm" for p in problems):
            self._confirm_insecure(lambda: self._start_test(self._form_profile()))
            return
        self._start_test(self._form_profile())

    def _start_test(self, profile: AgentProfile) -> None:
        self._set_line("test-status", f"⠿ Testing connection to {profile.url}…", "busy")
        self.query_one("#test-connection", Button).disabled = True
        self._run_test(profile)

    @work(
        exclusive=True,
        group="test-connection",
        exit_on_error=False,
        # Without a description Textual builds one from the arguments' reprs.
        description="test connection",
    )
    async def _run_test(self, profile: AgentProfile) -> None:
        client: ConnectionChecker | None = None
        try:
            client = self._client_factory(
                profile.url,
                profile.agent_id,
                profile.api_key,
                auth_scheme=profile.auth_scheme,
                custom_header=(
                    (profile.custom_header_name, profile.custom_header_value)
                    if profile.custom_header_name and profile.custom_header_value
                    else None
                ),
            )
            info = await client.check_connection()
        except FleetError as exc:
            self._set_line("test-status", f"✗ {exc}", "error")
        except Exception as exc:
            # Only the type: the text of an unexpected exception could quote a header value.
            log.warning("connection test failed unexpectedly: %s", type(exc).__name__)
            self._set_line(
                "test-status",
                f"✗ The connection test failed unexpectedly ({type(exc).__name__}).",
                "error",
            )
        else:
            graph = f" (graph {info.graph_id})" if info.graph_id else ""
            self._set_line("test-status", f"✓ Connected: {info.name}{graph}", "success")
        finally:
            if client is not None:
                try:
                    await client.aclose()
                except Exception as exc:
                    log.debug("closing the test client failed: %s", type(exc).__name__)
            # The screen may have been dismissed (cancelling this worker) meanwhile.
            if self.is_attached:
                self.query_one("#test-connection", Button).disabled = False

    # ------------------------------------------------------------------ insecure http
    def _confirm_insecure(self, then: Callable[[], object]) -> None:
        profile = self._form_profile()
        question = cleartext_question(profile)
        if question is None:
            then()
            return

        def answered(confirmed: bool | ConfirmResult | None) -> None:
            if confirmed:
                self._insecure_ok_url = profile.url
                self._show_problems(self._form_problems())
                then()
            else:
                self._set_line(
                    "general-message",
                    "Not confirmed: use an https:// URL, or confirm to send the token in "
                    "clear text.",
                    "warning",
                )

        self.app.push_screen(
            ConfirmScreen(
                question.title,
                question.body,
                confirm_label=question.confirm_label,
                cancel_label="Go back",
                danger=True,
            ),
            answered,
        )

    # ------------------------------------------------------------------ save / cancel
    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        refused = self.query_one(AttachmentSettings).apply(self._working)
        if refused:
            self._set_line("general-message", f"Not saved: {refused}", "error")
            return
        self._save_attempted = True
        problems = self._form_problems()
        self._show_problems(problems)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            self._set_line(
                "general-message",
                "Not saved: fix the errors marked above.",
                "error",
            )
            first = next((p.field for p in errors if p.field in FORM_FIELDS), None)
            if first:
                self._input(first).focus()
            return
        if any(p.severity == "confirm" for p in problems):
            self._confirm_insecure(self._write)
            return
        self._write()

    def _write(self) -> None:
        settings_saving.write(self)

    # ------------------------------------------------------------------ saved agents
    @on(OptionList.OptionSelected, "#agent-list")
    def _agent_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.switch_to(event.option.id)

    def switch_to(self, pname: str) -> None:
        """Keep the form's edits in the working copy and edit another saved agent."""
        if pname == self._editing or pname not in self._working.profiles:
            return
        problem = self._store_form()
        if problem:
            self._save_attempted = True
            self._show_problems([problem])
            self._refresh_agent_list()
            return
        self._load_form(pname)

    @on(Button.Pressed, "#new-agent")
    def _new_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_new_agent()

    def action_new_agent(self) -> None:
        problem = self._store_form()
        if problem:
            self._save_attempted = True
            self._show_problems([problem])
            return
        pname = unique_name(self._working.profiles)
        self._working.profiles[pname] = AgentProfile(name=pname)
        self._new_names.add(pname)
        self._load_form(pname)
        self._input("url").focus()

    @on(Button.Pressed, "#remove-agent")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_remove_agent()

    def action_remove_agent(self) -> None:
        settings_removal.ask_removal(self)


__all__ = [
    "ClientFactory",
    "ConnectionChecker",
    "SettingsScreen",
    "SnippetArea",
]
