"""The process's garbage-collector policy, in one place.

CPython's cycle collector walks every tracked object at each full collection, so its pauses grow
with what the app keeps alive. The app keeps a lot alive for long (start-up objects, the rows of
the sidebar, a transcript and its rendered lines), so the policy is:

- no collection while the app starts: what start-up makes lives as long as the app, and
  collecting while it is made costs ~15 ms (`pause_for_startup`, `resume`);
- after the first frame, what is alive is moved out of the collector's reach (`gc.freeze`) and
  collection runs from then on (`after_first_frame`);
- when a conversation opens, and every few thousand rendered lines after that, the young cyclic
  garbage is collected and the rest frozen too (`settle`): opening a long thread otherwise set
  off full passes again and again, 35-60 ms each, as the lines piled up.

Frozen objects are never collected, so `settle` is called only for objects that live as long
as what they belong to. Nothing outside this module calls `gc` (tests/test_gc_policy.py).
"""

from __future__ import annotations

import gc

__all__ = ["after_first_frame", "pause_for_startup", "resume", "settle"]


def pause_for_startup() -> None:
    """No cycle collection until the first frame (`after_first_frame` turns it on)."""
    gc.disable()


def resume() -> None:
    """Collection on again (the app has ended, or failed to start)."""
    gc.enable()


def after_first_frame() -> None:
    """Start-up objects live as long as the app: out of the collector's reach, which keeps
    full collections (the main source of 15-40 ms stalls) short; collection runs from here."""
    gc.freeze()
    gc.enable()


def settle() -> None:
    """Collect the young cyclic garbage (under 1 ms), or it would never go, then move what is
    alive now out of the collector's reach."""
    gc.collect(1)
    gc.freeze()
