"""The settings screen's form: reading it, checking it, writing it into the working copy.

`SettingsScreen` (settings.py) is this plus its layout, keys and actions. The form edits one
saved agent of a private copy of the settings (`_working`); nothing is written to disk here.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from fleet_tui.common import redaction
from fleet_tui.common.sanitize import clean_text
from fleet_tui.settings.config import (
    ENV_VARS,
    AgentProfile,
    Problem,
    Settings,
    normalise_url,
    validate_profile,
)
from fleet_tui.settings.config_validate import name_problem
from fleet_tui.tui.screens.settings_parts import (
    FIELD_LABELS,
    FORM_FIELDS,
    sentence,
    storage_note,
    worst_severity,
)


class SettingsForm(Screen[Settings | None]):
    """The connection form over one saved agent of the working copy of the settings."""

    revealed: reactive[bool] = reactive(False, init=False)
    """Whether secrets are drawn in clear text. Always starts off."""

    _working: Settings
    _editing: str
    """The name of the saved agent the form edits."""
    _new_names: set[str]
    _env_profile: str | None
    _env_sources: dict[str, str]
    _insecure_ok_url: str | None
    _save_attempted: bool
    _labels: dict[str, str]
    """How the app names each saved agent (with the server's name), by profile name."""

    # ------------------------------------------------------------------ helpers
    def _input(self, field: str) -> Input:
        return self.query_one(f"#input-{field}", Input)

    def _value(self, field: str) -> str:
        return self._input(field).value.strip()

    def _set_line(self, widget_id: str, text: str | None, kind: str = "") -> None:
        """Show `text` (plain, never markup) in a status line, or hide the line."""
        widget = self.query_one(f"#{widget_id}", Static)
        widget.remove_class("-error", "-warning", "-confirm", "-success", "-busy", "-info")
        if not text:
            widget.update("")
            widget.display = False
            return
        widget.update(Content(clean_text(text)))
        if kind:
            widget.add_class(f"-{kind}")
        widget.display = True

    def _refresh_agent_list(self) -> None:
        option_list = self.query_one("#agent-list", OptionList)
        options = []
        for pname in self._working.profiles:
            marker = "● " if pname == self._working.current else "  "
            label = self._labels.get(pname) or pname
            parts: list[str | tuple[str, str]] = [marker, clean_text(label)]
            if pname == self._working.current:
                parts.append(("  current", "dim"))
            if pname == self._editing:
                parts.append(("  editing", "italic"))
            options.append(Option(Content.assemble(*parts), id=pname))
        option_list.set_options(options)
        names = list(self._working.profiles)
        if self._editing in names:
            option_list.highlighted = names.index(self._editing)

    def _load_form(self, pname: str) -> None:
        profile = self._working.profiles[pname]
        self._editing = pname
        for field in FORM_FIELDS:
            self._input(field).value = getattr(profile, field) or ""
        self._insecure_ok_url = normalise_url(profile.url) if profile.allow_insecure_http else None
        self.revealed = False
        self._save_attempted = False
        self.query_one("#editing-label", Static).update(
            Content.assemble("Editing agent: ", (pname, "bold"))
        )
        for field in FORM_FIELDS:
            self._set_line(f"source-{field}", self._source_note(pname, field), "info")
        self._set_line("test-status", None)
        self._set_line("snippet-status", None)
        self._set_line("general-message", None)
        self._refresh_agent_list()
        self._show_problems(self._form_problems())

    def _source_note(self, pname: str, field: str) -> str | None:
        if pname != self._env_profile or field not in self._env_sources:
            return storage_note(self._working.profiles[pname], field)
        source = self._env_sources[field]
        label = FIELD_LABELS[field]
        if source == "flag":
            return (
                f"{label} comes from the --{field.replace('_', '-')} command-line flag; saving "
                "won't copy it into the settings file unless you change it here."
            )
        variables = " or ".join(ENV_VARS.get(field, ()))
        where = f"{variables} ({source})" if variables else source
        return (
            f"{label} comes from {where}; saving won't copy it into the settings file unless "
            "you change it here."
        )

    def _form_profile(self) -> AgentProfile:
        """The profile being edited, with the form's current values (the working copy is kept)."""
        profile = self._working.profiles[self._editing].copy()
        self._apply_form(profile)
        return profile

    def _apply_form(self, profile: AgentProfile) -> None:
        # Values go straight onto the profile so no frame holds a bare secret in a local.
        profile.url = normalise_url(self._value("url"))
        profile.agent_id = self._value("agent_id")
        profile.api_key = self._input("api_key").value or None
        profile.auth_scheme = self._value("auth_scheme")
        profile.custom_header_name = self._value("custom_header_name") or None
        profile.custom_header_value = self._input("custom_header_value").value or None
        profile.allow_insecure_http = (
            self._insecure_ok_url is not None and profile.url == self._insecure_ok_url
        )
        # Secrets typed or pasted here are masked in anything shown or logged from now on.
        redaction.remember(profile.api_key, profile.custom_header_value)

    def _name_problem(self) -> Problem | None:
        new = self._value("name")
        problem = name_problem(new)
        if problem:
            return problem
        if new != self._editing and new in self._working.profiles:
            return Problem("name", f"an agent named {new!r} is already saved")
        return None

    def _form_problems(self) -> list[Problem]:
        problems = validate_profile(self._form_profile())
        name_problem = self._name_problem()
        if name_problem:
            problems.insert(0, name_problem)
        return problems

    def _store_form(self) -> Problem | None:
        """Write the form into the working copy (renaming if asked). Returns a name problem."""
        problem = self._name_problem()
        if problem:
            return problem
        self._apply_form(self._working.profiles[self._editing])
        new = self._value("name")
        if new != self._editing:
            self._working.rename_profile(self._editing, new)
            if self._editing in self._new_names:
                self._new_names.discard(self._editing)
                self._new_names.add(new)
            if self._env_profile == self._editing:
                self._env_profile = new
            self._editing = new
        return None

    def _show_problems(self, problems: list[Problem]) -> None:
        by_field: dict[str, list[Problem]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem)
        for field in FORM_FIELDS:
            found = by_field.pop(field, [])
            if not self._save_attempted and not self._input(field).value.strip():
                # An empty field is only an error once the user tries to save.
                found = [p for p in found if p.severity != "error"]
            worst = worst_severity(found)
            self._set_line(f"msg-{field}", "\n".join(sentence(p) for p in found), worst)
            self._input(field).set_class(worst == "error", "-invalid")
        # Whatever is left (e.g. stream modes) has no field on this form.
        general = [p for found in by_field.values() for p in found]
        self._set_line(
            "general-message", "\n".join(sentence(p) for p in general), worst_severity(general)
        )
