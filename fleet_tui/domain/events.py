"""Normalise the Agent Server's SSE events into a small set of domain events.

The server can send the same AI message twice (as `messages` chunks and again whole in
`updates`/`values`); the normaliser guarantees that every piece of text reaches consumers once,
as `TextDelta`s, and that every message is closed once, as a `MessageComplete`.
No Textual import here: `fleet-tui ask`, the store and the TUI all share these types.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from orjson import loads as _fast_loads  # 2.5x faster than json on messages-tuple events

from fleet_tui.domain.interrupt_model import Interrupt, parse_interrupts
from fleet_tui.domain.message_identity import MessageIndex, stand_in_id


def _loads(data: str | bytes) -> Any:
    try:
        return _fast_loads(data)
    except ValueError:
        return json.loads(data)  # what orjson refuses (lone surrogates) json may accept


Role = Literal["human", "ai", "tool", "system"]
# how a run ended (not `RunStatus`: that is the status line's widget)
RunOutcome = Literal["success", "error", "interrupted", "cancelled"]


# Events are values: nothing changes one after it is made. They are not `frozen` dataclasses
# only because frozen ones take 3x as long to build (one per streamed token) and to define
# (at start-up).
@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(slots=True)
class RunStarted:
    run_id: str
    thread_id: str | None = None
    kind: Literal["run_started"] = "run_started"


@dataclass(slots=True)
class TextDelta:
    message_id: str
    text: str
    node: str | None = None
    kind: Literal["text_delta"] = "text_delta"


@dataclass(slots=True)
class ReasoningDelta:
    message_id: str
    text: str
    kind: Literal["reasoning_delta"] = "reasoning_delta"


@dataclass(slots=True)
class MessageComplete:
    message_id: str
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    reasoning: str = ""
    kind: Literal["message_complete"] = "message_complete"


@dataclass(slots=True)
class ToolCallStarted:
    message_id: str
    call: ToolCall
    kind: Literal["tool_call"] = "tool_call"


@dataclass(slots=True)
class ToolResult:
    message_id: str
    tool_call_id: str | None
    name: str | None
    content: str
    status: Literal["success", "error"] = "success"
    kind: Literal["tool_result"] = "tool_result"


@dataclass(slots=True)
class InterruptRequest:
    """An `Interrupt` (see `interrupt_model`) reported by a run, or found pending on reopening."""

    id: str | None
    value: Any
    response_schema: Any = None
    namespace: tuple[str, ...] = ()
    kind: Literal["interrupt"] = "interrupt"

    @classmethod
    def of(cls, interrupt: Interrupt) -> InterruptRequest:
        return cls(interrupt.id, interrupt.value, interrupt.response_schema, interrupt.namespace)

    @property
    def interrupt(self) -> Interrupt:
        return Interrupt(self.id, self.value, self.response_schema, self.namespace)


@dataclass(slots=True)
class RunError:
    error: str
    message: str
    kind: Literal["run_error"] = "run_error"


@dataclass(slots=True)
class Reconnecting:
    """The stream broke; the client is rejoining the run (attempt n of at most `limit`)."""

    attempt: int
    limit: int
    kind: Literal["reconnecting"] = "reconnecting"


@dataclass(slots=True)
class StreamQuiet:
    """Nothing has arrived on the run's stream for `seconds`; it is still open and being read.

    Reported once the silence passes the client's `quiet_after`, then again every
    `quiet_after` while it lasts; `resumed` is set on the one reported when data comes again.
    """

    seconds: float
    resumed: bool = False
    kind: Literal["stream_quiet"] = "stream_quiet"


@dataclass(slots=True)
class RunEnded:
    run_id: str | None
    status: RunOutcome
    kind: Literal["run_ended"] = "run_ended"


Event = (
    RunStarted
    | TextDelta
    | ReasoningDelta
    | MessageComplete
    | ToolCallStarted
    | ToolResult
    | InterruptRequest
    | RunError
    | Reconnecting
    | StreamQuiet
    | RunEnded
)


@dataclass(slots=True)
class ServerWait:
    """The server asked (`Retry-After`) to wait `asked` seconds before `what` is tried again;
    the client waits `seconds` (capped), until `until` (a `time.time()` value).

    Not a run event: plain requests report it through the client's `on_wait` callback.
    """

    what: str
    asked: float
    seconds: float
    until: float
    kind: Literal["server_wait"] = "server_wait"

    def describe(self) -> str:
        """One line for a person, e.g. for a header or stderr."""
        at = time.strftime("%H:%M:%S", time.localtime(self.until))
        text = f"the server asked to wait {human_seconds(self.asked)}; retrying at {at}"
        if self.asked > self.seconds:
            text += f" (wait capped at {human_seconds(self.seconds)})"
        return text


def human_seconds(seconds: float) -> str:
    """`42 s`, `3 min 20 s`, `27 h 46 min`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict (used by `ask --json`)."""
    return asdict(event)


_ROLE_BY_TYPE: dict[str, Role] = {
    "ai": "ai",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "assistant": "ai",
    "human": "human",
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "user": "human",
    "tool": "tool",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "system": "system",
    "SystemMessage": "system",
}


def message_role(message: dict[str, Any]) -> Role | None:
    kind = message.get("type") or message.get("role")
    return _ROLE_BY_TYPE.get(kind) if isinstance(kind, str) else None


def split_content(content: Any) -> tuple[str, str]:
    """(text, reasoning) of a message `content`: a string or a list of content blocks."""
    if content is None:
        return "", ""
    if isinstance(content, str):
        return content, ""
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        return str(content), ""
    text: list[str] = []
    reasoning: list[str] = []
    for block in content:
        if isinstance(block, str):
            text.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind in ("reasoning", "thinking"):
                value = block.get("reasoning", block.get("thinking", block.get("text", "")))
                if isinstance(value, str):
                    reasoning.append(value)
                elif isinstance(value, list):
                    reasoning.extend(s.get("text", "") for s in value if isinstance(s, dict))
            elif kind in (None, "text", "output_text") and isinstance(block.get("text"), str):
                text.append(block["text"])
    return "".join(text), "".join(reasoning)


def _parse_args(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"__raw__": raw}
        return parsed if isinstance(parsed, dict) else {"__value__": parsed}
    return {}


def tool_calls_of(message: dict[str, Any]) -> tuple[ToolCall, ...]:
    calls = message.get("tool_calls")
    if not isinstance(calls, list):
        return ()
    out: list[ToolCall] = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        fn = call.get("function") if isinstance(call.get("function"), dict) else None
        name = call.get("name") or (fn or {}).get("name") or "tool"
        args = call.get("args", (fn or {}).get("arguments"))
        call_id = call.get("id") or f"{message.get('id', 'call')}-{i}"
        out.append(ToolCall(id=str(call_id), name=str(name), args=_parse_args(args)))
    return tuple(out)


def tool_result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    text, _ = split_content(content)
    if text:
        return text
    try:
        return json.dumps(content, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(content)


@dataclass(slots=True)
class _OpenMessage:
    """A message whose chunks are still arriving."""

    node: str | None
    text: list[str] = field(default_factory=list)
    text_len: int = 0
    reasoning: list[str] = field(default_factory=list)
    # tool_call_chunks by index: [id, name, args-json-so-far]
    tool_chunks: dict[int, list[str]] = field(default_factory=dict)


class EventNormalizer:
    """Turns (event name, data) pairs into domain events. One instance per run stream.

    Feed it every SSE event in order; call `finish()` when the stream closes.
    """

    def __init__(self, thread_id: str | None = None, *, seen_message_ids: Iterable[str] = ()):
        self.thread_id = thread_id
        self.run_id: str | None = None
        self._open: dict[str, _OpenMessage] = {}
        # stream keys (server ids or stand-ins) of messages closed: their late chunks are dropped
        self._closed: set[str] = set(seen_message_ids)
        # every message had, by the one identity rule (`message_identity`)
        self._seen: MessageIndex[None] = MessageIndex()
        self._seen.add_ids(self._closed)
        self._stand_ins = 0
        self._announced_calls: set[str] = set()
        self._interrupts: set[str] = set()
        self._values_baseline = False
        self._legacy_text: dict[str, str] = {}
        self.interrupted = False
        self.errored = False

    # -- entry point ------------------------------------------------------------------
    def feed(self, event: str, data: str | bytes) -> list[Event]:
        mode, _, namespace = event.partition("|") if event else ("", "", "")
        if mode == "end" or not mode:
            return []
        try:
            payload = _loads(data) if data else None
        except (ValueError, UnicodeDecodeError) as exc:
            self.errored = True
            return [
                RunError(
                    "MalformedEvent",
                    f"the server sent a {mode!r} event that is not valid JSON ({exc})",
                )
            ]
        out: list[Event] = []
        try:
            if mode == "messages":  # nearly every event of a reply: no generator layers
                self._messages_tuple(payload, out)
            else:
                out.extend(self._dispatch(mode, payload, namespace))
        except Exception as exc:  # a shape we did not expect must not kill the stream
            return [
                RunError("MalformedEvent", f"could not read a {mode!r} event: {type(exc).__name__}")
            ]
        return out

    def finish(self) -> list[Event]:
        """Close every message still open (a stream that ends without `updates`)."""
        out: list[Event] = []
        for message_id in list(self._open):
            out.extend(self._close(message_id, None))
        return out

    # -- dispatch ---------------------------------------------------------------------
    def _dispatch(self, mode: str, payload: Any, namespace: str = "") -> Iterator[Event]:
        """Every mode but `messages`, which `feed` hands to `_messages_tuple` directly."""
        if mode == "metadata":
            # a rejoined stream replays `metadata`, and ends with a `run_done` one
            if (
                self.run_id is None
                and isinstance(payload, dict)
                and isinstance(payload.get("run_id"), str)
            ):
                self.run_id = payload["run_id"]
                yield RunStarted(self.run_id, self.thread_id)
        elif mode == "updates":
            yield from self._updates(payload, tuple(namespace.split("|")) if namespace else ())
        elif mode == "values":
            yield from self._values(payload)
        elif mode == "messages/partial":
            yield from self._legacy_partial(payload)
        elif mode == "messages/complete":
            if isinstance(payload, list):
                for message in payload:
                    if isinstance(message, dict):
                        yield from self._whole(message, None)
        elif mode == "error":
            self.errored = True
            if isinstance(payload, dict):
                yield RunError(
                    str(payload.get("error") or "Error"),
                    str(payload.get("message") or payload.get("detail") or payload),
                )
            else:
                yield RunError("Error", str(payload))
        # anything else (messages/metadata, custom, debug, tasks, checkpoints...) is ignored

    def _messages_tuple(self, payload: Any, out: list[Event]) -> None:
        if not isinstance(payload, list) or not payload or not isinstance(payload[0], dict):
            return
        chunk = payload[0]
        meta = payload[1] if len(payload) > 1 and isinstance(payload[1], dict) else {}
        if chunk.get("type") != "AIMessageChunk":
            # whole messages (tool results, human input echoed) come through here too
            if message_role(chunk) is not None:
                out.extend(self._whole(chunk, meta.get("langgraph_node")))
            return
        message_id = chunk.get("id")
        if not isinstance(message_id, str) or not message_id:
            message_id = stand_in_id(meta.get("langgraph_node", ""), meta.get("langgraph_step", ""))
        if message_id in self._closed or message_id in self._seen:
            return
        om = self._open.get(message_id)
        if om is None:
            node = meta.get("langgraph_node")
            om = self._open[message_id] = _OpenMessage(node=node if isinstance(node, str) else None)
        text, reasoning = split_content(chunk.get("content"))
        if reasoning:
            om.reasoning.append(reasoning)
            out.append(ReasoningDelta(message_id, reasoning))
        if text:
            om.text.append(text)
            om.text_len += len(text)
            out.append(TextDelta(message_id, text, om.node))
        if tool_chunks := chunk.get("tool_call_chunks"):
            self._tool_call_chunks(om, tool_chunks)
        if chunk.get("chunk_position") == "last":
            out.extend(self._close(message_id, None))

    @staticmethod
    def _tool_call_chunks(om: _OpenMessage, chunks: Any) -> None:
        for tc in chunks:
            if not isinstance(tc, dict):
                continue
            index = tc.get("index")
            if not isinstance(index, int):
                index = len(om.tool_chunks)
            slot = om.tool_chunks.setdefault(index, ["", "", ""])
            if tc.get("id"):
                slot[0] = str(tc["id"])
            if tc.get("name"):
                slot[1] += str(tc["name"])
            if tc.get("args"):
                slot[2] += str(tc["args"])

    def _updates(self, payload: Any, namespace: tuple[str, ...]) -> Iterator[Event]:
        if not isinstance(payload, dict):
            return
        for node, update in payload.items():
            if node == "__interrupt__":
                yield from self._interrupt_list(update, namespace)
                continue
            for message in _messages_in(update):
                yield from self._whole(message, node)

    def _values(self, payload: Any) -> Iterator[Event]:
        if not isinstance(payload, dict):
            return
        messages = [m for m in payload.get("messages") or () if isinstance(m, dict)]
        if not self._values_baseline:
            # the first snapshot is the state the run started from: nothing new in it
            self._values_baseline = True
            for message in messages:
                role = message_role(message)
                message_id = message.get("id")
                streaming = isinstance(message_id, str) and message_id in self._open
                if role is not None and not streaming:
                    self._seen.add(None, message_id, role, _text_of(message, role))
        else:
            for message in messages:
                yield from self._whole(message, None)
        if "__interrupt__" in payload:
            yield from self._interrupt_list(payload["__interrupt__"])

    def _legacy_partial(self, payload: Any) -> Iterator[Event]:
        if not isinstance(payload, list):
            return
        for message in payload:
            if not isinstance(message, dict) or message_role(message) != "ai":
                continue
            message_id = str(message.get("id") or stand_in_id("legacy"))
            if message_id in self._closed or message_id in self._seen:
                continue
            text, _ = split_content(message.get("content"))
            previous = self._legacy_text.get(message_id, "")
            om = self._open.setdefault(message_id, _OpenMessage(node=None))
            if text.startswith(previous) and len(text) > len(previous):
                delta = text[len(previous) :]
                self._legacy_text[message_id] = text
                om.text.append(delta)
                om.text_len += len(delta)
                yield TextDelta(message_id, delta)

    def _interrupt_list(self, items: Any, namespace: tuple[str, ...] = ()) -> Iterator[Event]:
        for interrupt in parse_interrupts(items, namespace):
            if interrupt.key in self._interrupts:
                continue
            self._interrupts.add(interrupt.key)
            self.interrupted = True
            yield InterruptRequest.of(interrupt)

    # -- messages ---------------------------------------------------------------------
    def _whole(self, message: dict[str, Any], node: str | None) -> Iterator[Event]:
        role = message_role(message)
        if role is None:
            return
        message_id = message.get("id")
        if isinstance(message_id, str) and message_id in self._open:
            yield from self._close(message_id, message, node)  # its chunks came first
            return
        if self._seen.knows(message_id, role, _text_of(message, role)):
            return
        if not isinstance(message_id, str) or not message_id:
            self._stand_ins += 1
            message_id = stand_in_id(role, self._stand_ins)
        yield from self._close(message_id, message, node)

    def _close(
        self, message_id: str, message: dict[str, Any] | None, node: str | None = None
    ) -> Iterator[Event]:
        om = self._open.pop(message_id, None)
        self._closed.add(message_id)
        self._legacy_text.pop(message_id, None)
        streamed_text = "".join(om.text) if om else ""
        streamed_reasoning = "".join(om.reasoning) if om else ""
        if message is None:
            role: Role = "ai"
            text, reasoning = streamed_text, streamed_reasoning
            calls = _calls_from_chunks(message_id, om.tool_chunks) if om else ()
            tool_call_id = name = None
        else:
            role = message_role(message) or "ai"
            text, reasoning = split_content(message.get("content"))
            calls = tool_calls_of(message)
            if not calls and om:
                calls = _calls_from_chunks(message_id, om.tool_chunks)
            tool_call_id = message.get("tool_call_id")
            name = message.get("name") if isinstance(message.get("name"), str) else None
        if role == "tool":
            status: Literal["success", "error"] = (
                "error" if message and message.get("status") == "error" else "success"
            )
            content = tool_result_text(message.get("content") if message else text)
            self._seen.add(None, message_id, role, content)
            yield ToolResult(message_id, tool_call_id, name, content, status)
            yield MessageComplete(message_id, "tool", content, (), tool_call_id, name)
            return
        if role == "ai":
            # text the stream has not delivered yet (none at all, or a tail) goes out once
            if reasoning and not streamed_reasoning:
                yield ReasoningDelta(message_id, reasoning)
            if text.startswith(streamed_text) and len(text) > len(streamed_text):
                yield TextDelta(
                    message_id, text[len(streamed_text) :], node or (om.node if om else None)
                )
            elif not text.startswith(streamed_text):
                text = streamed_text if len(streamed_text) >= len(text) else text
            for call in calls:
                if call.id not in self._announced_calls:
                    self._announced_calls.add(call.id)
                    yield ToolCallStarted(message_id, call)
        self._seen.add(None, message_id, role, text)
        yield MessageComplete(
            message_id, role, text, calls, tool_call_id, name, reasoning or streamed_reasoning
        )


def _text_of(message: dict[str, Any], role: Role) -> str:
    """The text the identity rule compares (what `MessageComplete.content` will be)."""
    if role == "tool":
        return tool_result_text(message.get("content"))
    return split_content(message.get("content"))[0]


def _messages_in(update: Any) -> list[dict[str, Any]]:
    if not isinstance(update, dict):
        return []
    messages = update.get("messages")
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, dict)]


def _calls_from_chunks(message_id: str, chunks: dict[int, list[str]]) -> tuple[ToolCall, ...]:
    calls = []
    for index in sorted(chunks):
        call_id, name, args = chunks[index]
        if name:
            calls.append(ToolCall(call_id or f"{message_id}-{index}", name, _parse_args(args)))
    return tuple(calls)
