"""Fuzzing the path from SSE bytes to domain events: malformed input never raises."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet_tui.agent_server.client import FleetClient, FleetError
from fleet_tui.agent_server.normalizer import EventNormalizer
from fleet_tui.domain.events import RunEnded

EVENT_NAMES = st.sampled_from(
    [
        "metadata",
        "messages",
        "updates",
        "values",
        "error",
        "end",
        "custom",
        "messages/partial",
        "messages/complete",
        "messages/metadata",
        "messages|agent:1",
        "updates|sub:2",
        "",
    ]
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "id",
                    "content",
                    "messages",
                    "tool_calls",
                    "value",
                    "__interrupt__",
                    "run_id",
                    "tool_call_chunks",
                    "name",
                    "args",
                    "error",
                    "message",
                    "text",
                    "chunk_position",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)

DATA = (
    JSON.map(json.dumps)
    | st.text(max_size=60)
    | st.binary(max_size=40).map(lambda b: b.decode("utf-8", "replace"))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(EVENT_NAMES, DATA), max_size=12))
def test_normaliser_never_raises(items: list[tuple[str, str]]) -> None:
    normalizer = EventNormalizer()
    for name, data in items:
        for event in normalizer.feed(name, data):
            assert event.kind
    normalizer.finish()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.integers(min_value=1, max_value=50))
async def test_stream_bytes_never_crash_the_client(body: bytes, chunk: int) -> None:
    class Chunked(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            for i in range(0, len(body), chunk):
                yield body[i : i + chunk]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunked())

    client = FleetClient(
        "http://127.0.0.1:9", "agent", "fake-pat-fuzz-0000", transport=httpx.MockTransport(handler)
    )
    try:
        events = [e async for e in client.stream_run({"messages": []})]
    except FleetError:
        return
    finally:
        await client.aclose()
    assert isinstance(events[-1], RunEnded)


async def test_ten_megabyte_data_line_and_a_cut_mid_event() -> None:
    big = "x" * (10 * 1024 * 1024)
    chunk = {"type": "AIMessageChunk", "id": "m", "content": big}
    body = (
        b"event: messages\ndata: " + json.dumps([chunk, {}]).encode() + b"\n\n"
        b'event: updates\ndata: {"half": '
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    async with FleetClient(
        "http://127.0.0.1:9", "agent", "fake-pat-fuzz-0000", transport=httpx.MockTransport(handler)
    ) as client:
        events = [e async for e in client.stream_run({"messages": []})]
    text = "".join(getattr(e, "text", "") for e in events if e.kind == "text_delta")
    assert len(text) == len(big)
    assert isinstance(events[-1], RunEnded)
