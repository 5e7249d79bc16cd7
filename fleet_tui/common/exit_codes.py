"""Every exit status of fleet-tui, and the help text that explains them: the one place they live.

Errors take theirs from here; the CLI returns these. No other import: anything may use it.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0
    RUN_FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    UNREACHABLE = 5
    INTERRUPTED = 6
    INTERNAL = 70  # a bug of ours (sysexits' EX_SOFTWARE): a crash report was written
    # 128 + the signal number, as a shell reports a process a signal ended
    HANGUP = 129  # SIGHUP: the terminal closed
    CTRL_C = 130  # SIGINT
    OUTPUT_CLOSED = 141  # SIGPIPE: the reader of stdout left (`| head -1`)
    TERMINATED = 143  # SIGTERM


EXIT_CODES_HELP = """exit codes:
  0    done
  1    the run failed (the agent reported an error)
  2    usage error or missing settings
  3    authentication failed
  4    not found (wrong agent or thread id, or the token is not tied to the agent's owner)
  5    cannot reach the server, timeout, or a server error (5xx)
  6    the run stopped at an interrupt waiting for a human (answer with --thread ID and
       --approve, --reject [REASON] or --resume JSON)
  70   internal error (a bug of fleet-tui: the message names a crash report to attach)
  129  the terminal closed (SIGHUP): stopped as with Ctrl-C
  130  interrupted with Ctrl-C (the run is cancelled on the server first)
  141  stdout was closed before the reply ended (`| head`): the run is cancelled, quietly
  143  stopped by SIGTERM, as with Ctrl-C
"""
