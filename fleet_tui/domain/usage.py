"""What a reply cost: its model, tokens in and out (the model's `usage_metadata`), wall time.

A value read from the server's message dicts (a streamed reply's chunks, or a whole message
in `updates` or `/state`), kept with the reply in the store as JSON, and summed per
conversation. No Textual import, no I/O.

Nothing is made up: a reply whose model reported neither usage nor its name has no `Usage`
(`usage_of` gives None), so no "0 in" is ever shown for a model that does not count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# the counts of `usage_metadata` (langchain_core's UsageMetadata); `*_details` stay as given
TOKEN_KEYS = ("input_tokens", "output_tokens", "total_tokens")
DETAIL_KEYS = ("input_token_details", "output_token_details")


@dataclass(frozen=True, slots=True)
class Usage:
    """One reply's cost. Token counts are None when the model reported none."""

    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    # wall time, this machine's clock: from the run's request to the reply's last token
    # (None when the run was started elsewhere, or the reply was read from `/state`)
    seconds: float | None = None
    # the provider's breakdown (cache reads, reasoning tokens...), as `usage_metadata` had it
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def has_tokens(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON kept in the store and written in exports (keys only for what is known)."""
        out: dict[str, Any] = {}
        if self.model:
            out["model"] = self.model
        for key in TOKEN_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
        if self.details:
            out["details"] = dict(self.details)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_dict(cls, data: Any) -> Usage | None:
        """The value `to_dict` made (or None for anything else: a store is not trusted)."""
        if not isinstance(data, Mapping):
            return None
        model = data.get("model")
        seconds = data.get("seconds")
        details = data.get("details")
        usage = cls(
            model=model if isinstance(model, str) and model else None,
            input_tokens=_count(data.get("input_tokens")),
            output_tokens=_count(data.get("output_tokens")),
            total_tokens=_count(data.get("total_tokens")),
            seconds=float(seconds) if isinstance(seconds, (int, float)) and seconds >= 0 else None,
            details=dict(details) if isinstance(details, Mapping) else {},
        )
        return usage if usage.has_tokens or usage.model else None

    @classmethod
    def from_json(cls, text: str | None) -> Usage | None:
        if not text:
            return None
        try:
            return cls.from_dict(json.loads(text))
        except ValueError:
            return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None
    return int(value)


# -- read from the server's messages ----------------------------------------------------------


def add_usage_metadata(total: dict[str, Any] | None, more: Any) -> dict[str, Any] | None:
    """Two `usage_metadata` summed, as langchain_core sums those of a message's chunks (a
    provider may send the input count on the first chunk and the output count on the last)."""
    if not isinstance(more, Mapping):
        return total
    out = dict(total or {})
    for key in TOKEN_KEYS:
        value = _count(more.get(key))
        if value is not None:
            out[key] = out.get(key, 0) + value
    for key in DETAIL_KEYS:
        detail = more.get(key)
        if isinstance(detail, Mapping):
            mine = dict(out.get(key) or {})
            for name, value in detail.items():
                count = _count(value)
                if count is not None:
                    mine[name] = mine.get(name, 0) + count
            out[key] = mine
    return out


def model_name_of(message: Mapping[str, Any]) -> str | None:
    """The model a message names in its `response_metadata` (`model_name`, or `model`)."""
    metadata = message.get("response_metadata")
    if not isinstance(metadata, Mapping):
        return None
    for key in ("model_name", "model"):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def usage_from(
    metadata: Mapping[str, Any] | None, model: str | None, seconds: float | None = None
) -> Usage | None:
    """A `Usage` from a (summed) `usage_metadata` and a model name; None when neither is known."""
    counts = [_count(metadata.get(key)) if metadata else None for key in TOKEN_KEYS]
    details = {
        key: dict(metadata[key])
        for key in DETAIL_KEYS
        if metadata and isinstance(metadata.get(key), Mapping) and metadata[key]
    }
    read, written, total = counts
    if total is None and read is not None and written is not None:
        total = read + written
    usage = Usage(model, read, written, total, seconds, details)
    return usage if usage.has_tokens or usage.model else None


def usage_of(message: Mapping[str, Any], seconds: float | None = None) -> Usage | None:
    """A whole message's cost (an AI message of `updates`, `values` or `/state`)."""
    metadata = message.get("usage_metadata")
    return usage_from(
        metadata if isinstance(metadata, Mapping) else None, model_name_of(message), seconds
    )


# -- totals and words -------------------------------------------------------------------------


@dataclass(slots=True)
class UsageTotals:
    """A conversation's cost: what its model calls that reported usage add up to (a step
    that only calls tools is a call too)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    seconds: float = 0.0
    models: list[str] = field(default_factory=list)

    def add(self, usage: Usage | None) -> None:
        if usage is None or not usage.has_tokens:
            return
        self.calls += 1
        self.input_tokens += usage.input_tokens or 0
        self.output_tokens += usage.output_tokens or 0
        self.total_tokens += usage.total_tokens or (
            (usage.input_tokens or 0) + (usage.output_tokens or 0)
        )
        self.seconds += usage.seconds or 0.0
        if usage.model and usage.model not in self.models:
            self.models.append(usage.model)

    def __bool__(self) -> bool:
        return self.calls > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "models": list(self.models),
        }


def totals_of(usages: Iterable[Usage | None]) -> UsageTotals:
    totals = UsageTotals()
    for usage in usages:
        totals.add(usage)
    return totals


def wall_time(seconds: float) -> str:
    """`3.2 s`, `1 min 5 s`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def usage_words(usage: Usage | None) -> str:
    """One reply's cost in a line: "model · 1,234 in · 567 out · 3.2 s" (what is known of
    it); "" when its model reported nothing."""
    if usage is None or not (usage.has_tokens or usage.model):
        return ""
    parts: list[str] = []
    if usage.model:
        parts.append(usage.model)
    if usage.input_tokens is not None:
        parts.append(f"{usage.input_tokens:,} in")
    if usage.output_tokens is not None:
        parts.append(f"{usage.output_tokens:,} out")
    if usage.seconds is not None:
        parts.append(wall_time(usage.seconds))
    return " · ".join(parts)


def totals_words(totals: UsageTotals) -> str:
    """A conversation's cost in a line: "Σ 1,234 in · 567 out · 3 model calls"; "" for none."""
    if not totals:
        return ""
    calls = f"{totals.calls} model call{'s' if totals.calls != 1 else ''}"
    return f"Σ {totals.input_tokens:,} in · {totals.output_tokens:,} out · {calls}"
