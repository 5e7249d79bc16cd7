"""Where each key belongs, in words: the headings of the help screen, taken from the bindings.

A binding's heading comes from its id (`messages.copy` → "Message pane"), else from the widget
or screen that owns it. Internal names (classes, ids) never reach the screen: a binding nothing
here knows is listed under "This screen".
"""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode

EVERYWHERE = "Everywhere"
CONVERSATION = "Conversation"
SIDEBAR = "Sidebar"
MESSAGE_PANE = "Message pane"
REVIEW = "Review"
PLAN_AND_FILES = "Plan & files"
FILES_VIEW = "Files view"
SETTINGS = "Settings"
INBOX = "Inbox"
SEARCH = "Search all agents"
ATTACH = "Attach a file"
THIS_SCREEN = "This screen"

# The order the help screen lists them in.
HEADINGS: tuple[str, ...] = (
    EVERYWHERE,
    CONVERSATION,
    SIDEBAR,
    MESSAGE_PANE,
    REVIEW,
    PLAN_AND_FILES,
    ATTACH,
    FILES_VIEW,
    INBOX,
    SEARCH,
    SETTINGS,
    "Code snippets",
    "Export",
    "Save a file",
    "Question",
    "Busy thread",
    "Rename",
    "Help",
    THIS_SCREEN,
)

# Whole binding ids first (the app's and the chat screen's own), then the part before the dot.
_BY_ID: dict[str, str] = {
    "quit": EVERYWHERE,
    "help": EVERYWHERE,
    "settings": EVERYWHERE,
    "new": CONVERSATION,
    "cancel": CONVERSATION,
    "compose": CONVERSATION,
    "tools": MESSAGE_PANE,
    "sidebar": SIDEBAR,
    "filter": SIDEBAR,
    "review": REVIEW,
    "plan": PLAN_AND_FILES,
    "files": PLAN_AND_FILES,
    "inbox": INBOX,
}
_BY_PREFIX: dict[str, str] = {
    "messages": MESSAGE_PANE,
    "sidebar": SIDEBAR,
    "composer": CONVERSATION,
    "settings": SETTINGS,
    "review": REVIEW,
    "files": FILES_VIEW,
    "file": FILES_VIEW,
    "snippets": "Code snippets",
    "export": "Export",
    "save-file": "Save a file",
    "attach": ATTACH,
    "confirm": "Question",
    "help": "Help",
    "inbox": INBOX,
    "search": SEARCH,
}
# Bindings without an id: the class that owns them, or the screen it sits on (by class name,
# so this module needs none of them imported).
_BY_OWNER: dict[str, str] = {
    "Composer": CONVERSATION,
    "AttachmentChips": ATTACH,
    "ChatScreen": CONVERSATION,
    "ConversationList": SIDEBAR,
    "ThreadSidebar": SIDEBAR,
    "FilterInput": SIDEBAR,
    "PlanHeader": PLAN_AND_FILES,
    "PlanPanel": PLAN_AND_FILES,
    "MessagePane": MESSAGE_PANE,
    "ReviewScreen": REVIEW,
    "DecisionSet": REVIEW,
    "FilesScreen": FILES_VIEW,
    "FileScreen": FILES_VIEW,
    "FileViewer": FILES_VIEW,
    "SettingsScreen": SETTINGS,
    "SnippetsScreen": "Code snippets",
    "ExportScreen": "Export",
    "SaveFileScreen": "Save a file",
    "AttachScreen": ATTACH,
    "ConfirmScreen": "Question",
    "BusyScreen": "Busy thread",
    "RenameScreen": "Rename",
    "HelpScreen": "Help",
    "InboxScreen": INBOX,
    "InboxList": INBOX,
    "ReasonScreen": INBOX,
    "SearchAllScreen": SEARCH,
}


def heading_of_id(binding_id: str | None) -> str | None:
    if not binding_id:
        return None
    if binding_id in _BY_ID:
        return _BY_ID[binding_id]
    prefix, dot, _ = binding_id.partition(".")
    return _BY_PREFIX.get(prefix) if dot else None


def heading_of_class(cls: type) -> str | None:
    for base in cls.__mro__:
        if base.__name__ in _BY_OWNER:
            return _BY_OWNER[base.__name__]
    return None


def heading_for(node: DOMNode, binding: Binding, screen: DOMNode | None = None) -> str:
    """The heading `binding`, owned by `node` on `screen`, is listed under."""
    found = heading_of_id(binding.id)
    if found:
        return found
    if isinstance(node, App):
        return EVERYWHERE
    found = heading_of_class(type(node))
    if found:
        return found
    if screen is not None and screen is not node:
        found = heading_of_class(type(screen))
    return found or THIS_SCREEN


def key_text(binding: Binding) -> str:
    """The keys as a person reads them: "up, k" rather than "up,k"."""
    keys = binding.key_display or binding.key
    return ", ".join(k.strip() for k in keys.split(",") if k.strip())
