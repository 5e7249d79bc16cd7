"""A scripted chat model: deterministic replies, streamed token by token, with tool calls.

`GenericFakeChatModel` drops tool calls when streaming and replays a fixed iterator, so a
reply would depend on how many times the server called it. This model instead asks a
*script* (a plain function of the conversation) for the reply, which keeps every turn
deterministic, and streams both the text and the tool calls the way real providers do
(`tool_call_chunks` with the arguments split across chunks).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolCallChunk,
    ToolMessage,
    UsageMetadata,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

# A token is a run of whitespace followed by a word, so concatenating the tokens gives back
# the text exactly (the first token of a line keeps its newline, like a real tokenizer).
_TOKEN_RE = re.compile(r"\s*\S+|\s+")


class Reply:
    """What the model says next: text, tool calls, and how to pace the stream."""

    def __init__(
        self,
        text: str = "",
        tool_calls: Sequence[tuple[str, dict[str, Any]]] = (),
        *,
        token_delay: float | None = None,
        tokens: Sequence[str] | None = None,
    ) -> None:
        self.text = text
        self.tool_calls = list(tool_calls)
        self.token_delay = token_delay
        # Explicit tokens let a script control chunk boundaries (e.g. one huge token).
        self.tokens = list(tokens) if tokens is not None else None

    def split(self) -> list[str]:
        if self.tokens is not None:
            return self.tokens
        return _TOKEN_RE.findall(self.text)


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def last_human_text(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""


def human_count(messages: Sequence[BaseMessage]) -> int:
    return sum(isinstance(m, HumanMessage) for m in messages)


def tool_results_since_last_human(messages: Sequence[BaseMessage]) -> list[ToolMessage]:
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage):
            results.append(message)
    results.reverse()
    return results


def scripted_usage(messages: Sequence[BaseMessage], reply: Reply) -> UsageMetadata:
    """What a scripted reply "cost": the tokens of the conversation it read, and those of its
    text plus its tool calls' names and arguments (the same token rule as the stream)."""
    read = sum(len(tokenize(m.text)) for m in messages)
    written = len(reply.split()) + sum(
        1 + len(tokenize(json.dumps(args, ensure_ascii=False))) for _, args in reply.tool_calls
    )
    return UsageMetadata(input_tokens=read, output_tokens=written, total_tokens=read + written)


def _tool_call_id(messages: Sequence[BaseMessage], name: str, index: int) -> str:
    # Derived from the conversation so a replayed turn proposes the same call id.
    seed = f"{len(messages)}:{name}:{index}:{last_human_text(messages)}"
    return "call_" + uuid.uuid5(uuid.NAMESPACE_URL, seed).hex[:24]


class ScriptedChatModel(BaseChatModel):
    """Chat model whose reply is `script(messages)`, streamed like a real provider."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: Callable[[Sequence[BaseMessage]], Reply]
    token_delay: float = 0.0
    """Seconds to wait between streamed tokens (a `Reply` may override it)."""
    model_name: str | None = None
    """Reported in each reply's `response_metadata` (as providers do), when set."""
    report_usage: bool = False
    """Report `usage_metadata` (`scripted_usage`) on each reply, on its last chunk."""

    @property
    def _llm_type(self) -> str:
        return "fleet-tui-scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        # The script already knows which tools exist; binding only has to succeed.
        return self

    def _reply(self, messages: Sequence[BaseMessage]) -> tuple[Reply, list[ToolCall]]:
        reply = self.script(messages)
        calls = [
            ToolCall(name=name, args=args, id=_tool_call_id(messages, name, i), type="tool_call")
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        return reply, calls

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply, calls = self._reply(messages)
        message = AIMessage(
            content="".join(reply.split()), tool_calls=calls, **self._cost(messages, reply)
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _cost(self, messages: Sequence[BaseMessage], reply: Reply) -> dict[str, Any]:
        """The usage and model name a real provider reports with a reply, as message fields."""
        fields: dict[str, Any] = {}
        if self.report_usage:
            fields["usage_metadata"] = scripted_usage(messages, reply)
        if self.model_name:
            fields["response_metadata"] = {"model_name": self.model_name}
        return fields

    def _chunks(
        self, reply: Reply, calls: list[ToolCall], cost: dict[str, Any]
    ) -> Iterator[AIMessageChunk]:
        tokens = reply.split()
        for token in tokens:
            yield AIMessageChunk(content=token)
        for index, call in enumerate(calls):
            # Real providers send the name and id first, then the JSON arguments in pieces.
            args = json.dumps(call["args"], ensure_ascii=False)
            pieces = re.split(r"(?<=,)", args) or [args]
            for n, piece in enumerate(pieces):
                yield AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        ToolCallChunk(
                            name=call["name"] if n == 0 else None,
                            args=piece,
                            id=call["id"] if n == 0 else None,
                            index=index,
                            type="tool_call_chunk",
                        )
                    ],
                )
        # The closing chunk lets langchain-core parse the accumulated tool-call arguments; like
        # providers that stream usage, it carries the reply's usage and model name (once: chunks
        # are summed when merged, so usage on every chunk would count it many times).
        yield AIMessageChunk(content="", chunk_position="last", **cost)

    def _delay(self, reply: Reply) -> float:
        return self.token_delay if reply.token_delay is None else reply.token_delay

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply, calls = self._reply(messages)
        delay = self._delay(reply)
        for i, chunk in enumerate(self._chunks(reply, calls, self._cost(messages, reply))):
            if delay and i:
                time.sleep(delay)
            token = chunk.content if isinstance(chunk.content, str) else ""
            generation = ChatGenerationChunk(message=chunk)
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=generation)
            yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        reply, calls = self._reply(messages)
        delay = self._delay(reply)
        for i, chunk in enumerate(self._chunks(reply, calls, self._cost(messages, reply))):
            if delay and i:
                await asyncio.sleep(delay)
            token = chunk.content if isinstance(chunk.content, str) else ""
            generation = ChatGenerationChunk(message=chunk)
            if run_manager:
                await run_manager.on_llm_new_token(token, chunk=generation)
            yield generation
