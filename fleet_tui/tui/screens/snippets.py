"""The code snippets dialog: the web UI's "View code snippets" for the current agent.

Python, TypeScript and cURL, each as a stateless streaming run, a stateless run that waits for
the result, and a two-turn thread (`fleet_tui.services.snippets`). The token is never in a
snippet: the profile's secret fields are not even read. `c` (or the Copy button) copies the
snippet shown.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.content import Content
from textual.highlight import (
    ANSIDarkHighlightTheme,
    ANSILightHighlightTheme,
    HighlightTheme,
    highlight,
)
from textual.screen import ModalScreen
from textual.widgets import Button, Static, Tab, Tabs

from fleet_tui.common.clipboard import CopyOutcome
from fleet_tui.common.sanitize import clean_text
from fleet_tui.services.snippets import (
    KINDS,
    LANGUAGES,
    PAT_ENV_VAR,
    SnippetProfile,
    render_snippets,
)
from fleet_tui.tui.copying import copy
from fleet_tui.tui.screens import DIALOGS_CSS
from fleet_tui.tui.widgets.footer import FittedFooter

_LANG_IDS = {lang: f"lang-{lexer}" for lang, lexer in LANGUAGES.items()}
_KIND_IDS = {kind: f"kind-{kind}" for kind in KINDS}


class SnippetsScreen(ModalScreen[None]):
    """Show the code snippets for `profile`; dismisses with None."""

    CSS_PATH = DIALOGS_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="snippets.close"),
        Binding("c", "copy", "Copy", id="snippets.copy", tooltip="Copy the snippet shown"),
        Binding("l", "next_language", "Language", id="snippets.language"),
        Binding("k", "next_kind", "Kind", id="snippets.kind"),
    ]

    def __init__(
        self,
        profile: SnippetProfile,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._snippets = render_snippets(profile)
        self._language = next(iter(LANGUAGES))
        self._kind = next(iter(KINDS))

    @property
    def language(self) -> str:
        return self._language

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def code(self) -> str:
        """The snippet shown, exactly as it is copied."""
        return self._snippets[self._language][self._kind]

    def compose(self) -> ComposeResult:
        with Vertical(id="snippets-dialog", classes="dialog"):
            yield Static("Code snippets", id="snippets-title", classes="dialog-title")
            yield Tabs(
                *(Tab(lang, id=_LANG_IDS[lang]) for lang in LANGUAGES),
                id="snippets-languages",
            )
            yield Tabs(
                *(Tab(label, id=_KIND_IDS[kind]) for kind, label in KINDS.items()),
                id="snippets-kinds",
            )
            with ScrollableContainer(id="snippets-code-scroll"):
                yield Static(id="snippets-code")
            yield Static(
                Content(
                    f"The token is not in the snippets: they read {PAT_ENV_VAR} "
                    "from the environment (or a .env file)."
                ),
                id="snippets-hint",
            )
            with Horizontal(id="snippets-buttons", classes="dialog-buttons"):
                yield Static(id="snippets-status")
                yield Button("Copy", id="snippets-copy", variant="primary")
                yield Button("Close", id="snippets-close")
        yield FittedFooter()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#snippets-languages", Tabs).focus()

    def _highlighted(self) -> Content:
        # `clean_text` is a no-op for snippets built from sane values; it only guarantees that
        # nothing shown can act on the terminal.
        code = clean_text(self.code)
        theme: type[HighlightTheme] = HighlightTheme
        if self.app.ansi_color:
            dark = self.app.current_theme.dark
            theme = ANSIDarkHighlightTheme if dark else ANSILightHighlightTheme
        return highlight(code, language=LANGUAGES[self._language], theme=theme)

    def _show(self) -> None:
        self.query_one("#snippets-code", Static).update(self._highlighted())
        self.query_one("#snippets-code-scroll", ScrollableContainer).scroll_home(animate=False)
        self.query_one("#snippets-status", Static).update("")

    @on(Tabs.TabActivated, "#snippets-languages")
    def _language_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        language = next(lang for lang, tab_id in _LANG_IDS.items() if tab_id == event.tab.id)
        if language != self._language:
            self._language = language
            self._show()

    @on(Tabs.TabActivated, "#snippets-kinds")
    def _kind_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        kind = next(k for k, tab_id in _KIND_IDS.items() if tab_id == event.tab.id)
        if kind != self._kind:
            self._kind = kind
            self._show()

    def select(self, language: str, kind: str) -> None:
        """Show the snippet for `language` and `kind` (keys of `LANGUAGES` and `KINDS`)."""
        self.query_one("#snippets-languages", Tabs).active = _LANG_IDS[language]
        self.query_one("#snippets-kinds", Tabs).active = _KIND_IDS[kind]
        # Set directly too: the tabs report the change by message, after this returns.
        self._language, self._kind = language, kind
        self._show()

    def action_next_language(self) -> None:
        self.query_one("#snippets-languages", Tabs).action_next_tab()

    def action_next_kind(self) -> None:
        self.query_one("#snippets-kinds", Tabs).action_next_tab()

    def action_copy(self) -> None:
        subject = f"{self._language}, {KINDS[self._kind].lower()}"

        def copied(outcome: CopyOutcome) -> None:
            how = f"Copied ({outcome.tool_name})" if outcome.how == "tool" else "Sent (OSC 52)"
            if self.is_mounted:
                status = self.query_one("#snippets-status", Static)
                status.update(Content(f"{how}: {subject}."))

        copy(self, self.code, f"the snippet ({subject})", then=copied)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#snippets-copy")
    def _copy_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_copy()

    @on(Button.Pressed, "#snippets-close")
    def _close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)
