"""Errors of the client, importable without httpx."""

from __future__ import annotations

from typing import Any

from fleet_tui.common.exit_codes import ExitCode


# --------------------------------------------------------------------------- errors
class FleetError(Exception):
    """Base of every error the client raises; `str()` is a sentence for a person."""

    exit_code: int = ExitCode.RUN_FAILED
    status: int | None = None

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class AuthenticationError(FleetError):
    exit_code: int = ExitCode.AUTH


class NotFoundError(FleetError):
    exit_code: int = ExitCode.NOT_FOUND


class ThreadBusyError(FleetError):
    exit_code: int = ExitCode.RUN_FAILED


class RequestRejected(FleetError):
    """422 and other 4xx: the server said what is wrong with the request."""

    exit_code: int = ExitCode.RUN_FAILED


class RateLimitedError(FleetError):
    exit_code: int = ExitCode.UNREACHABLE

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(FleetError):
    exit_code: int = ExitCode.UNREACHABLE


class UnreachableError(FleetError):
    exit_code: int = ExitCode.UNREACHABLE


class RedirectRefused(FleetError):
    exit_code: int = ExitCode.UNREACHABLE


class StreamBroken(FleetError):
    """The stream stopped before the run ended and could not be rejoined. A stream reports it
    as a `RunError` named after this class (the reply so far is kept), not as an exception; the
    class gives that error its name and its exit status."""

    exit_code: int = ExitCode.UNREACHABLE


class InvalidSettings(FleetError):
    """The settings cannot make a client (a URL or header value httpx refuses): fix the
    settings. Exit code 2, as for every other settings problem."""

    exit_code: int = ExitCode.USAGE


class BadResponse(FleetError):
    """The server answered, but with something that cannot be read (a body that is not in
    the encoding its headers say)."""

    exit_code: int = ExitCode.UNREACHABLE


# --------------------------------------------------------------------------- titles
# The one title for each kind of error, wherever an error is shown (message pane, toasts,
# `ask`'s stderr). Keys are the names errors travel under (`RunError.error`, stored rows).
ERROR_TITLES: dict[str, str] = {
    FleetError.__name__: "Something went wrong",
    AuthenticationError.__name__: "Authentication failed",
    NotFoundError.__name__: "Not found",
    ThreadBusyError.__name__: "The thread is busy",
    RequestRejected.__name__: "The server refused the request",
    RateLimitedError.__name__: "The server asks to slow down",
    ServerError.__name__: "The server failed",
    UnreachableError.__name__: "Can't reach the server",
    RedirectRefused.__name__: "The server redirected elsewhere",
    StreamBroken.__name__: "The connection to the run was lost",
    InvalidSettings.__name__: "The settings need fixing",
    BadResponse.__name__: "The server's answer could not be read",
    "MalformedEvent": "The server sent an event that could not be read",
    "EventTooLarge": "The server sent an event too large to read",
}
# An error the agent itself raised (its `error` event names the agent's exception class).
AGENT_ERROR_TITLE = "The agent's run failed"
# An error whose kind was not recorded.
RUN_FAILED_TITLE = "The run failed"


def error_title(error: str | BaseException | None) -> str:
    """A person's title for an error, given the error or the name it travels under."""
    if isinstance(error, BaseException):
        for cls in type(error).__mro__:
            if cls.__name__ in ERROR_TITLES:
                return ERROR_TITLES[cls.__name__]
        return ERROR_TITLES[FleetError.__name__]
    if not error:
        return RUN_FAILED_TITLE
    return ERROR_TITLES.get(error, AGENT_ERROR_TITLE)


def error_words(error: str | None, message: str) -> tuple[str, str]:
    """(title, text) for an error known by name: the agent's own exception class is kept in
    the text, where it helps whoever debugs the agent, never as the title."""
    if error == "Error":  # the agent's error event named no exception
        return AGENT_ERROR_TITLE, message
    if error and error not in ERROR_TITLES:
        return AGENT_ERROR_TITLE, (f"{error}: {message}" if message else error)
    return error_title(error), message


def split_stored_error(content: str) -> tuple[str, str]:
    """(title, text) of an error stored as "<name>: <message>" (what the recorder writes)."""
    name, sep, rest = content.partition(": ")
    if sep and name.isidentifier():
        return error_words(name, rest)
    return RUN_FAILED_TITLE, content.removeprefix(": ")
