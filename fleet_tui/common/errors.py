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
