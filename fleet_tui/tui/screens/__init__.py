"""Full screens and modal dialogs of the terminal UI."""

from pathlib import Path

# Every screen here but the chat screen takes its styles from this file: Textual reads a
# screen's CSS_PATH when the screen is first shown, so a cold start never parses it.
DIALOGS_CSS = Path(__file__).resolve().parent.parent / "dialogs.tcss"
# The inbox's, its reject dialog's and the search across agents' styles (parsed after start-up).
INBOX_CSS = Path(__file__).resolve().parent / "inbox.tcss"
