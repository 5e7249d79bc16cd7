"""Interrupt values (human in the loop): what they ask, and the resume values that answer them.

Three shapes reach a client (shared/DESIGN.md §2):

- langchain's `HumanInTheLoopMiddleware`: `{"action_requests": [...], "review_configs": [...]}`,
  answered with `{"decisions": [...]}`, one decision per action request, in order. Its newer
  `per_call` mode sends one `{"type": "tool_approval", "name", "args", ...}` per tool call and
  takes a single bare decision; its allowed decisions are only in the interrupt's
  `response_schema`.
- the older agent-inbox shape: a list of `{"action_request", "config", "description"}`, answered
  with a list of `{"type": "accept"|"edit"|"response"|"ignore", "args": ...}`.
- anything else, answered with whatever text or JSON the user types.

Everything here is data from the agent: nothing is trusted to be well formed, and nothing is
rendered. No Textual import (the CLI uses this too).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from fleet_tui.common.sanitize import for_row

__all__ = [
    "DEFAULT_DECISIONS",
    "DecisionType",
    "HitlAction",
    "HitlDecision",
    "HitlReview",
    "InboxItem",
    "InboxResponse",
    "InboxResponseType",
    "InboxReview",
    "RawReview",
    "ReviewRequest",
    "args_preview",
    "classify",
    "dumps_json",
    "fold_value",
    "hitl_resume",
    "inbox_resume",
    "is_folded",
    "parse_json",
    "raw_resume",
    "summary",
]

DecisionType = Literal["approve", "edit", "reject", "respond"]
InboxResponseType = Literal["accept", "edit", "response", "ignore"]

DEFAULT_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject")
KNOWN_DECISIONS: tuple[DecisionType, ...] = ("approve", "edit", "reject", "respond")

MAX_VALUE_CHARS = 240
MAX_ITEMS = 40
MAX_DEPTH = 12


# --- what an interrupt asks -----------------------------------------------------------------


# langchain's HumanInTheLoopMiddleware writes this when a tool has no description of its own:
# f"{description_prefix}\n\nTool: {name}\nArgs: {args!r}" (a Python repr of the arguments).
MIDDLEWARE_DEFAULT_PREFIX = "Tool execution requires approval"


def own_description(description: str | None, tool: str) -> str | None:
    """The description worth showing beside a call's arguments: None for the middleware's
    default, which only repeats the tool and its arguments (as a Python repr); a custom
    description is kept, even one that starts with the same words."""
    if not description:
        return None
    default_head = f"{MIDDLEWARE_DEFAULT_PREFIX}\n\nTool: {tool}\nArgs: "
    return None if description.startswith(default_head) else description


@dataclass(frozen=True, slots=True)
class HitlAction:
    """One tool call waiting for a decision."""

    name: str
    args: dict[str, Any]
    description: str | None
    allowed: list[DecisionType]


@dataclass(frozen=True, slots=True)
class HitlReview:
    """`HumanInTheLoopMiddleware` interrupt.

    `per_call` is the middleware's per-call mode: exactly one action, answered with one bare
    decision instead of `{"decisions": [...]}` (see `hitl_resume`).
    """

    actions: list[HitlAction]
    per_call: bool = False
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One request of the older agent-inbox shape."""

    action: str
    args: dict[str, Any]
    description: str | None
    allow_accept: bool
    allow_edit: bool
    allow_respond: bool
    allow_ignore: bool

    @property
    def allowed(self) -> list[InboxResponseType]:
        flags: list[tuple[InboxResponseType, bool]] = [
            ("accept", self.allow_accept),
            ("edit", self.allow_edit),
            ("response", self.allow_respond),
            ("ignore", self.allow_ignore),
        ]
        return [kind for kind, allowed in flags if allowed]


@dataclass(frozen=True, slots=True)
class InboxReview:
    items: list[InboxItem]
    # a single dict (not a list) was sent; answer it with a single response too
    single: bool = False


@dataclass(frozen=True, slots=True)
class RawReview:
    """Any other interrupt value: the user answers with text or JSON."""

    value: Any
    response_schema: Any = None


ReviewRequest = HitlReview | InboxReview | RawReview


def classify(value: Any, response_schema: Any = None) -> ReviewRequest:
    """What `value` (an interrupt's `value`) asks for.

    `response_schema` is the interrupt's `response_schema` field when the server sent one; the
    per-call HITL shape needs it for the allowed decisions.
    """
    if isinstance(value, dict):
        if isinstance(value.get("action_requests"), list):
            review = _hitl_batched(value)
            if review is not None:
                return review
        if value.get("type") == "tool_approval" and isinstance(value.get("name"), str):
            return _hitl_per_call(value, response_schema)
        if _is_inbox_item(value):
            return InboxReview([_inbox_item(value)], single=True)
    if isinstance(value, list) and value and all(_is_inbox_item(v) for v in value):
        return InboxReview([_inbox_item(v) for v in value])
    return RawReview(value, response_schema)


def _hitl_batched(value: dict[str, Any]) -> HitlReview | None:
    requests = value["action_requests"]
    if not requests or not all(
        isinstance(r, dict) and isinstance(r.get("name"), str) for r in requests
    ):
        return None
    configs: dict[str, list[DecisionType]] = {}
    raw_configs = value.get("review_configs")
    for config in raw_configs if isinstance(raw_configs, list) else ():
        if isinstance(config, dict) and isinstance(config.get("action_name"), str):
            # first config wins, as in the middleware's own lookup by name
            configs.setdefault(config["action_name"], _decisions(config.get("allowed_decisions")))
    actions = [
        HitlAction(
            name=r["name"],
            args=_args(r.get("args")),
            description=_text_or_none(r.get("description")),
            allowed=configs.get(r["name"]) or list(DEFAULT_DECISIONS),
        )
        for r in requests
    ]
    return HitlReview(actions)


def _hitl_per_call(value: dict[str, Any], response_schema: Any) -> HitlReview:
    action = HitlAction(
        name=value["name"],
        args=_args(value.get("args")),
        description=_text_or_none(value.get("description")),
        allowed=_schema_decisions(response_schema) or list(DEFAULT_DECISIONS),
    )
    tool_call_id = value.get("tool_call_id")
    return HitlReview(
        [action],
        per_call=True,
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
    )


def _decisions(raw: Any) -> list[DecisionType]:
    """Known decision types from `raw`, deduplicated, in the order given."""
    if not isinstance(raw, list):
        return []
    names = dict.fromkeys(d for d in raw if isinstance(d, str))
    return [cast(DecisionType, d) for d in names if d in KNOWN_DECISIONS]


def _schema_decisions(schema: Any) -> list[DecisionType]:
    """Allowed decision types named by a per-call `response_schema` (a JSON schema).

    Several decisions: a discriminated `oneOf` whose mapping is keyed by type. One decision:
    the decision's own object schema, its `type` a `const`.
    """
    if not isinstance(schema, dict):
        return []
    mapping = (schema.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, dict):
        return _decisions(list(mapping))
    type_schema = (schema.get("properties") or {}).get("type")
    if isinstance(type_schema, dict):
        if "const" in type_schema:
            return _decisions([type_schema["const"]])
        if isinstance(type_schema.get("enum"), list):
            return _decisions(type_schema["enum"])
    return []


def _is_inbox_item(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("action_request"), dict)


def _inbox_item(value: dict[str, Any]) -> InboxItem:
    request = value["action_request"]
    action = request.get("action")
    if not isinstance(action, str):
        action = request.get("name") if isinstance(request.get("name"), str) else "action"
    config = value.get("config")
    if isinstance(config, dict):
        flags = [
            config.get(key) is True
            for key in ("allow_accept", "allow_edit", "allow_respond", "allow_ignore")
        ]
    else:
        flags = [True, True, True, True]
    if not any(flags):
        # A request nobody may answer would leave the thread stuck: offer every answer.
        flags = [True, True, True, True]
    return InboxItem(
        action,
        _args(request.get("args")),
        _text_or_none(value.get("description")),
        *flags,
    )


def _args(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    # The shapes promise an object; keep anything else visible instead of dropping it.
    return {} if raw is None else {"__raw__": raw}


def _text_or_none(raw: Any) -> str | None:
    return raw if isinstance(raw, str) and raw.strip() else None


# --- answers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HitlDecision:
    """The user's decision on one action request. `name` and `args` matter for "edit" only."""

    type: DecisionType
    name: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    @classmethod
    def approve(cls) -> HitlDecision:
        return cls("approve")

    @classmethod
    def edit(cls, name: str, args: dict[str, Any]) -> HitlDecision:
        return cls("edit", name=name, args=args)

    @classmethod
    def reject(cls, message: str = "") -> HitlDecision:
        return cls("reject", message=message)

    @classmethod
    def respond(cls, message: str) -> HitlDecision:
        return cls("respond", message=message)

    def to_json(self) -> dict[str, Any]:
        if self.type == "edit":
            return {"type": "edit", "edited_action": {"name": self.name, "args": self.args}}
        if self.type == "reject":
            # An empty reason must be left out: the middleware then tells the model the tool
            # was not run and not to retry, instead of quoting an empty reason.
            if not self.message:
                return {"type": "reject"}
            return {"type": "reject", "message": self.message}
        if self.type == "respond":
            return {"type": "respond", "message": self.message}
        return {"type": "approve"}


def hitl_resume(decisions: list[HitlDecision], *, per_call: bool = False) -> Any:
    """`command.resume` for a HITL interrupt: one decision per action request, in order.

    With `per_call` (the review's `per_call`), the single decision itself.
    """
    if per_call:
        if len(decisions) != 1:
            raise ValueError(f"a per-call review takes one decision, got {len(decisions)}")
        return decisions[0].to_json()
    return {"decisions": [d.to_json() for d in decisions]}


@dataclass(frozen=True, slots=True)
class InboxResponse:
    """The user's answer to one agent-inbox request.

    "edit" needs `action` and `args`; "response" needs `text`.
    """

    type: InboxResponseType
    action: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        # langgraph's HumanResponse: args is None for accept/ignore, the text for a response
        # and an ActionRequest (action + args) for an edit.
        if self.type == "edit":
            return {"type": "edit", "args": {"action": self.action, "args": self.args}}
        if self.type == "response":
            return {"type": "response", "args": self.text}
        return {"type": self.type, "args": None}


def inbox_resume(responses: list[InboxResponse], *, single: bool = False) -> Any:
    """`command.resume` for an agent-inbox interrupt: a list, one response per request.

    With `single` (the review's `single`: the value was one dict, not a list) the one response.
    """
    if single:
        if len(responses) != 1:
            raise ValueError(f"a single inbox request takes one response, got {len(responses)}")
        return responses[0].to_json()
    return [r.to_json() for r in responses]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str) -> Any:
    """Like `json.loads`, but NaN and Infinity are errors: the wire can't carry them."""
    return json.loads(text, parse_constant=_no_constant)


def raw_resume(text: str, *, as_text: bool = False) -> Any:
    """`command.resume` for a free answer: the JSON value `text` holds, else `text` itself.

    With `as_text` the text is sent as a string even when it parses (`42` stays "42").
    """
    if as_text:
        return text
    try:
        return parse_json(text)
    except ValueError:
        return text


# --- display helpers (plain strings; the caller renders them as text, never markup) -----------

# Characters json.dumps(ensure_ascii=False) lets through that a terminal or Python's line
# splitting would act on; re-escaped as \\uXXXX they stay valid JSON that loads back identical.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def dumps_json(value: Any, *, indent: int | None = 2) -> str:
    """Pretty JSON that is safe to show on a terminal and round-trips exactly through
    `parse_json` (control characters are escaped, not replaced)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fold_value(value: Any, *, max_chars: int = MAX_VALUE_CHARS, depth: int = 0) -> Any:
    """A copy of a JSON value with long strings, lists and objects shortened, for display."""
    if isinstance(value, str):
        if len(value) > max_chars:
            return f"{value[:max_chars]}… (+{len(value) - max_chars} chars)"
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if depth >= MAX_DEPTH and isinstance(value, (dict, list)):
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {
            str(k): fold_value(v, max_chars=max_chars, depth=depth + 1)
            for k, v in items[:MAX_ITEMS]
        }
        if len(items) > MAX_ITEMS:
            out["…"] = f"+{len(items) - MAX_ITEMS} more keys"
        return out
    if isinstance(value, list):
        folded = [fold_value(v, max_chars=max_chars, depth=depth + 1) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            folded.append(f"… +{len(value) - MAX_ITEMS} more items")
        return folded
    return value


def is_folded(value: Any) -> bool:
    """True when `fold_value` would shorten something in `value`."""
    return fold_value(value) != value


def _short(value: Any, limit: int) -> str:
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return "'" + text.replace("'", "\\'") + "'"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def args_preview(args: dict[str, Any], *, budget: int = 60, value_chars: int = 24) -> str:
    """`to='alice@example…', subject='Quarterly report'` — arguments on one line, with `…` once
    the budget is spent."""
    if set(args) == {"__raw__"}:
        return _short(args["__raw__"], value_chars)
    parts: list[str] = []
    used = 0
    for key, value in args.items():
        part = f"{key}={_short(value, value_chars)}"
        if parts and used + len(part) > budget:
            parts.append("…")
            break
        parts.append(part)
        used += len(part) + 2
    return ", ".join(parts)


def summary(value: Any, response_schema: Any = None, *, limit: int = 100) -> str:
    """One line saying what the interrupt waits for (sidebar, message pane). Already cleaned."""
    review = classify(value, response_schema)
    calls: list[str]
    if isinstance(review, HitlReview):
        calls = [f"{a.name}({args_preview(a.args)})" for a in review.actions]
    elif isinstance(review, InboxReview):
        calls = [f"{i.action}({args_preview(i.args)})" for i in review.items]
    else:
        calls = []
    if calls:
        text = calls[0] if len(calls) == 1 else f"{calls[0]} +{len(calls) - 1} more"
    elif isinstance(value, str) and value.strip():
        text = value.strip()
    elif isinstance(value, dict) and isinstance(value.get("question"), str):
        text = value["question"]
    else:
        text = "waiting for your answer"
    text = for_row(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
