"""The client's error wording, redirects, retries and rejoin, with faults a real server
cannot be made to produce (httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from fleet_tui.agent_server.client import (
    AuthenticationError,
    FleetClient,
    NotFoundError,
    RateLimitedError,
    RedirectRefused,
    RequestRejected,
    ServerError,
    ThreadBusyError,
    UnreachableError,
)
from fleet_tui.domain.events import Reconnecting, RunEnded, RunError, TextDelta

PAT = "fake-pat-client-test-7777777777"
AGENT = "4f2a2b0e-0000-4000-8000-00000000abcd"
THREAD = "11111111-1111-4111-8111-111111111111"
RUN = "22222222-2222-4222-8222-222222222222"


def make(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> FleetClient:
    return FleetClient(
        "https://agent.example.test",
        AGENT,
        PAT,
        transport=httpx.MockTransport(handler),
        backoff_base=0.001,
        **kw,  # type: ignore[arg-type]
    )


async def test_every_request_sends_fleet_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"assistant_id": AGENT, "graph_id": "g", "name": "Helper"})

    async with make(handler, custom_header=("X-User-Token", "fake-user-token")) as client:
        info = await client.check_connection()
    assert info.name == "Helper"
    assert seen[0].headers["X-Api-Key"] == PAT
    assert seen[0].headers["X-Auth-Scheme"] == "langsmith-api-key"
    assert seen[0].headers["X-User-Token"] == "fake-user-token"
    assert seen[0].url.path == f"/assistants/{AGENT}"


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, {"detail": "Invalid key"}, AuthenticationError, "langsmith-api-key"),
        (403, {"detail": "no"}, AuthenticationError, "Personal Access Token"),
        (404, {"detail": "Not Found"}, NotFoundError, "not tied to the owner"),
        (409, {"detail": "busy"}, ThreadBusyError, "busy"),
        (422, {"detail": "stream_mode: invalid"}, RequestRejected, "stream_mode: invalid"),
        (500, {"detail": "boom"}, ServerError, "boom"),
    ],
)
async def test_errors_are_worded_for_a_person(
    status: int, body: dict[str, str], error: type[Exception], words: str
) -> None:
    async with make(lambda r: httpx.Response(status, json=body), read_retries=0) as client:
        with pytest.raises(error) as caught:
            await client.create_thread()
    assert words in str(caught.value)
    assert PAT not in str(caught.value) and PAT not in repr(caught.value)


async def test_rate_limit_honours_retry_after_then_succeeds() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow down"})
        return httpx.Response(200, json={"thread_id": THREAD, "status": "idle"})

    async with make(handler) as client:
        thread = await client.get_thread(THREAD)
    assert thread["status"] == "idle" and len(calls) == 2


async def test_rate_limit_wording() -> None:
    response = httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "x"})
    async with make(lambda r: response, read_retries=0) as client:
        with pytest.raises(RateLimitedError) as caught:
            await client.get_thread(THREAD)
    assert caught.value.retry_after == 7 and "retry in 7 s" in str(caught.value)


async def test_reads_retry_on_5xx_but_run_creation_never_does() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"detail": "unavailable"})

    async with make(handler, read_retries=2) as client:
        with pytest.raises(ServerError):
            await client.get_thread_state(THREAD)
        assert len(calls) == 3
        calls.clear()
        with pytest.raises(ServerError):
            async for _event in client.stream_run({"messages": []}, thread_id=THREAD):
                pass
        assert len(calls) == 1  # a retried POST would start a second run


async def test_unreachable_is_worded_and_has_no_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async with make(handler, read_retries=0) as client:
        with pytest.raises(UnreachableError) as caught:
            await client.check_connection()
    assert "Cannot reach https://agent.example.test" in str(caught.value)
    assert "refused" in str(caught.value)


async def test_cross_host_redirect_never_gets_the_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "agent.example.test":
            return httpx.Response(307, headers={"Location": "https://evil.example.test/threads"})
        return httpx.Response(200, json={})

    async with make(handler) as client:
        with pytest.raises(RedirectRefused) as caught:
            await client.create_thread()
    assert [r.url.host for r in seen] == ["agent.example.test"]
    assert "evil.example.test" in str(caught.value) and PAT not in str(caught.value)


async def test_same_host_redirect_is_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/threads":
            return httpx.Response(307, headers={"Location": "/threads/"})
        return httpx.Response(200, json={"thread_id": THREAD})

    async with make(handler) as client:
        assert (await client.create_thread())["thread_id"] == THREAD


async def test_search_threads_paginates_past_100() -> None:
    total = 250

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        start, limit = body["offset"], body["limit"]
        page = [{"thread_id": f"t{i}"} for i in range(start, min(total, start + limit))]
        return httpx.Response(200, json=page)

    async with make(handler) as client:
        threads = [t async for t in client.search_threads({"assistant_id": AGENT})]
    assert len(threads) == total and threads[-1]["thread_id"] == "t249"


def sse(event: str, data: object, event_id: str | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


def chunk(text: str) -> list[object]:
    return [{"type": "AIMessageChunk", "id": "m1", "content": text}, {"langgraph_node": "agent"}]


class BrokenStream(httpx.AsyncByteStream):
    def __init__(self, parts: list[bytes], *, fail: bool):
        self.parts = parts
        self.fail = fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        if self.fail:
            raise httpx.RemoteProtocolError("peer closed connection")


async def test_rejoin_after_a_drop_with_repeated_ids_loses_and_repeats_nothing() -> None:
    # ids repeat within a millisecond: the server replays only ids greater than Last-Event-ID
    events = [
        sse("metadata", {"run_id": RUN}, "100-0"),
        sse("messages", chunk("a"), "101-0"),
        sse("messages", chunk("b"), "102-0"),
        sse("messages", chunk("c"), "102-0"),
        sse("messages", chunk("d"), "102-0"),
        sse("messages", chunk("e"), "103-0"),
    ]
    headers = {
        "content-type": "text/event-stream",
        "content-location": f"/threads/{THREAD}/runs/{RUN}",
    }
    rejoins: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            # cut after "b" and "c": both carry id 102-0, "d" (also 102-0) is still owed
            return httpx.Response(200, headers=headers, stream=BrokenStream(events[:4], fail=True))
        last = request.headers["Last-Event-ID"]
        rejoins.append(last)
        ids = [e.split(b"\n")[0].split(b": ")[1].decode() for e in events]
        replay = [e for e, i in zip(events, ids, strict=True) if last == "-" or i > last]
        return httpx.Response(200, headers=headers, stream=BrokenStream(replay, fail=False))

    async with make(handler) as client:
        got = [e async for e in client.stream_run({"messages": []}, thread_id=THREAD)]
    text = "".join(e.text for e in got if isinstance(e, TextDelta))
    assert text == "abcde"
    assert rejoins == ["101-0"]
    assert [e.attempt for e in got if isinstance(e, Reconnecting)] == [1]
    assert isinstance(got[-1], RunEnded) and got[-1].status == "success"


async def test_a_rejoin_that_repeats_events_prints_nothing_twice() -> None:
    # the server subscribes to the live run before replaying, so the start of the live part
    # can repeat events the replay already sent, older ids and same-millisecond ones alike
    events = [
        sse("metadata", {"run_id": RUN}, "100-0"),
        sse("messages", chunk("a"), "101-0"),
        sse("messages", chunk("b"), "102-0"),
        sse("messages", chunk("c"), "102-0"),
        sse("messages", chunk("d"), "103-0"),
        sse("messages", chunk("e"), "104-0"),
    ]
    headers = {
        "content-type": "text/event-stream",
        "content-location": f"/threads/{THREAD}/runs/{RUN}",
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, headers=headers, stream=BrokenStream(events[:3], fail=True))
        # replay of ids > 101-0, then the live queue repeating from "c" on
        replay = events[2:5] + events[3:]
        return httpx.Response(200, headers=headers, stream=BrokenStream(replay, fail=False))

    async with make(handler) as client:
        got = [e async for e in client.stream_run({"messages": []}, thread_id=THREAD)]
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == "abcde"


async def test_gives_up_after_the_retry_limit_and_says_so() -> None:
    headers = {
        "content-type": "text/event-stream",
        "content-location": f"/threads/{THREAD}/runs/{RUN}",
    }
    first = [sse("metadata", {"run_id": RUN}, "1-0"), sse("messages", chunk("partial"), "2-0")]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, headers=headers, stream=BrokenStream(first, fail=True))
        return httpx.Response(200, headers=headers, stream=BrokenStream([], fail=True))

    async with make(handler, max_reconnects=2) as client:
        got = [e async for e in client.stream_run({"messages": []}, thread_id=THREAD)]
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == "partial"
    assert sum(isinstance(e, Reconnecting) for e in got) == 2
    errors = [e for e in got if isinstance(e, RunError)]
    assert errors and "partial reply is kept" in errors[0].message
    assert isinstance(got[-1], RunEnded) and got[-1].status == "error"


async def test_stateless_stream_drop_is_an_error_not_a_crash() -> None:
    headers = {"content-type": "text/event-stream", "content-location": f"/runs/{RUN}"}
    parts = [sse("metadata", {"run_id": RUN}), sse("messages", chunk("half"))]

    async with make(
        lambda r: httpx.Response(200, headers=headers, stream=BrokenStream(parts, fail=True))
    ) as client:
        got = [e async for e in client.stream_run({"messages": []})]
    assert any(isinstance(e, RunError) for e in got)
    assert isinstance(got[-1], RunEnded) and got[-1].status == "error"


async def test_token_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with make(
        lambda r: httpx.Response(401, json={"detail": "bad"}), read_retries=0
    ) as client:
        assert PAT not in repr(client)
        with pytest.raises(AuthenticationError):
            await client.check_connection()
    assert PAT not in caplog.text


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
async def test_every_sse_line_ending_and_chunking(newline: bytes) -> None:
    body = newline.join(
        [
            b"event: metadata",
            b'data: {"run_id": "r"}',
            b"",
            b"event: messages",
            # raw UTF-8: one byte at a time splits the é
            b"data: " + json.dumps(chunk("h\u00e9llo"), ensure_ascii=False).encode(),
            b"",
            b"",
        ]
    )

    class OneByteAtATime(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for i in range(len(body)):
                yield body[i : i + 1]

    headers = {"content-type": "text/event-stream"}
    async with make(
        lambda r: httpx.Response(200, headers=headers, stream=OneByteAtATime())
    ) as client:
        got = [e async for e in client.stream_run({"messages": []})]
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == "h\u00e9llo"


async def test_an_event_cut_off_at_the_end_is_dropped() -> None:
    body = b'event: metadata\r\ndata: {"run_id": "r"}\r\n\r\nevent: error\r\ndata: {"error": "X"}\r'
    headers = {"content-type": "text/event-stream"}
    async with make(lambda r: httpx.Response(200, headers=headers, content=body)) as client:
        got = [e async for e in client.stream_run({"messages": []})]
    assert not any(isinstance(e, RunError) for e in got)
    assert isinstance(got[-1], RunEnded) and got[-1].status == "success"


async def test_an_id_no_url_can_carry_is_a_worded_error() -> None:
    async with make(lambda r: httpx.Response(200, json={})) as client:
        with pytest.raises(RequestRejected) as caught:
            await client.get_thread("a\nb")  # e.g. a thread id a hostile server listed
    assert "read thread" in str(caught.value) and "non-printable" in str(caught.value)
