"""The settings screen's section for attached files (settings of the whole app, not of one
agent): the largest file allowed, and up to what size a file is copied into the local store
rather than kept as a reference to its path."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from fleet_tui.settings.config_model import ATTACHMENT_SETTINGS, Settings, attachment_mb_problem

_ROWS = (
    ("attachment_max_mb", "Largest, MB", "Attached files over this size are refused"),
    (
        "attachment_copy_max_mb",
        "Copied up to, MB",
        "Files up to this size are copied into the local store; larger ones are kept as their "
        "path only (0: every file by its path)",
    ),
)


class AttachmentSettings(Vertical):
    """Two numbers in megabytes; nothing is kept until the screen saves."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(id="attachments-box", classes="settings-section")
        self._initial = {key: getattr(settings, key) for key in ATTACHMENT_SETTINGS}

    def compose(self) -> ComposeResult:
        yield Label("Attached files", classes="section-title")
        for key, label, hint in _ROWS:
            with Horizontal(classes="attach-row"):
                yield Label(label, classes="attach-label")
                yield Input(
                    f"{self._initial[key]:g}",
                    id=f"input-{key}",
                    classes="attach-input",
                    compact=True,
                    restrict=r"[0-9.]*",
                    tooltip=hint,
                )
        yield Static("Every agent; larger files are kept by their path.", classes="hint")

    def values(self) -> dict[str, float] | str:
        """The numbers typed, or what is wrong with them."""
        found: dict[str, float] = {}
        for key in ATTACHMENT_SETTINGS:
            raw = self.query_one(f"#input-{key}", Input).value.strip()
            try:
                value: object = float(raw)
            except ValueError:
                value = raw
            problem = attachment_mb_problem(key, value)
            if problem is not None or not isinstance(value, float):
                return problem or f"{key} takes a number of megabytes"
            found[key] = value
        return found

    def apply(self, settings: Settings) -> str | None:
        """Put the numbers into `settings`; what is wrong, when something is (nothing changed)."""
        values = self.values()
        if isinstance(values, str):
            return values
        for key, value in values.items():
            setattr(settings, key, value)
        return None
