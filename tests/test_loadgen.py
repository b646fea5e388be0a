"""bench/loadgen.py against a small HTTP/1.1 server of our own, run in a thread.

The server counts every request it answers, so the generator's figures can be checked
against the other side of the wire; the parser is also fed responses split at every byte.
"""

from __future__ import annotations

import asyncio
import importlib
import math
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).parents[1] / "bench"
# bench/ is not a package; put it on sys.path (rather than loading the file by location)
# so that the processes loadgen spawns, which inherit sys.path, can import it too.
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
loadgen: Any = importlib.import_module("loadgen")

OK_BODY = b'{"vin":"LC9012008VC000001","status":"AT_PORT"}'
OK_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(OK_BODY), OK_BODY)
)
MISSING_RESPONSE = b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\n\r\nnot found"
# Written in several pieces so that a chunk, its size line and the trailers arrive apart.
CHUNKED_PIECES = [
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    b"5;ext=1\r\nhello\r\n",
    b"1A\r\n" + b"x" * 26 + b"\r\n",
    b"0\r\nx-trailer: yes\r\n\r\n",
]
SLEEP_S = 0.020


class Server:
    """An HTTP/1.1 keep-alive server on its own event loop in a thread.

    /ok answers 200 with a Content-Length body, /chunked 200 chunked, /sleep 200 after
    SLEEP_S, /drop closes the connection without answering, anything else 404.
    """

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> int:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0), self._loop
        )
        self._server = started.result(timeout=5)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _shutdown(self) -> None:
        assert self._server is not None
        # The client has dropped its connections by now, so every handler ends by itself.
        # Wait for them rather than cancel them: a handler cancelled before its first step
        # never runs its `finally`, and its transport would be left unclosed. Close the
        # listener only in the step that saw no task left: a connection accepted but not
        # yet set up when it closes has its socket leaked by asyncio (3.11), unclosed.
        this = asyncio.current_task()
        deadline = asyncio.get_running_loop().time() + 5
        while others := [task for task in asyncio.all_tasks() if task is not this]:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                for task in others:
                    task.cancel()
                await asyncio.gather(*others, return_exceptions=True)
                break
            await asyncio.wait(others, timeout=left)
        self._server.close()
        await self._server.wait_closed()
        await asyncio.sleep(0)  # closed transports release their sockets on the next turn

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                self.hits[path] += 1
                if path == "/ok":
                    writer.write(OK_RESPONSE)
                elif path == "/sleep":
                    await asyncio.sleep(SLEEP_S)
                    writer.write(OK_RESPONSE)
                elif path == "/chunked":
                    for piece in CHUNKED_PIECES:
                        writer.write(piece)
                        await writer.drain()
                elif path == "/drop":
                    return
                else:
                    writer.write(MISSING_RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client went away
        finally:
            writer.close()


@pytest.fixture
def server() -> Iterator[tuple[Server, int]]:
    srv = Server()
    port = srv.start()
    yield srv, port
    srv.stop()


def run(port: int, paths: list[str], **options: Any) -> Any:
    options = {"concurrency": 4, "duration": 0.6, "warmup": 0.0, **options}
    return loadgen.run_load("127.0.0.1", port, paths, **options)


# --------------------------------------------------------------------------------------
# Against the server


def test_counts_match_the_server(server: tuple[Server, int]) -> None:
    srv, port = server
    result = run(port, ["/ok"])
    assert result.requests > 0
    assert result.errors == 0
    # Without warmup the server answered every counted request, plus at most one in flight
    # per connection when the window closed.
    assert result.requests <= srv.hits["/ok"] <= result.requests + 4
    assert result.bytes_received == result.requests * len(OK_RESPONSE)
    assert result.requests_per_s == pytest.approx(result.requests / 0.6)
    assert srv.connections == 4  # keep-alive: no connection was opened twice


def test_warmup_is_served_but_not_counted(server: tuple[Server, int]) -> None:
    srv, port = server
    result = run(port, ["/sleep"], duration=0.4, warmup=0.4)
    # Each of the 4 connections completes at most one sleep per SLEEP_S in the window (one
    # more for the request that straddles its start), so the warmup's cannot be in it...
    assert 0 < result.requests <= 4 * (0.4 / SLEEP_S + 1)
    # ...though the server did answer them.
    assert srv.hits["/sleep"] - result.requests > 0.25 * 4 * 0.4 / SLEEP_S
    assert result.elapsed_s == 0.4


def test_a_404_is_an_error_not_a_success(server: tuple[Server, int]) -> None:
    srv, port = server
    result = run(port, ["/ok", "/missing"], concurrency=2)
    assert set(result.status_errors) == {404}
    assert result.status_errors[404] > 0
    assert result.connection_errors == {}
    assert result.errors == result.status_errors[404]
    # Round-robin over two paths: about as many of each, and only /ok counts as done.
    assert result.requests <= srv.hits["/ok"]
    assert abs(result.requests - result.status_errors[404]) <= 2

    only_missing = run(port, ["/missing"], concurrency=2, duration=0.3)
    assert only_missing.requests == 0
    assert only_missing.requests_per_s == 0
    assert only_missing.status_errors[404] > 0
    assert math.isnan(only_missing.p50_ms)


def test_a_chunked_body_is_read_whole(server: tuple[Server, int]) -> None:
    srv, port = server
    # Alternating with /ok: were a chunked body misread, the next response on the same
    # connection would be parsed from the wrong byte, fail, and force a reconnection.
    result = run(port, ["/chunked", "/ok"])
    assert result.errors == 0
    assert result.requests > 10
    assert srv.connections == 4
    assert srv.hits["/chunked"] >= result.requests // 2


def test_latency_of_a_sleeping_endpoint(server: tuple[Server, int]) -> None:
    _, port = server
    result = run(port, ["/sleep"], duration=1.0)
    assert result.errors == 0
    assert result.p50_ms <= result.p90_ms <= result.p99_ms <= result.max_ms
    assert SLEEP_S * 1e3 <= result.p50_ms < 100
    # Closed loop: no more than one request per connection per sleep.
    assert 0.25 * 4 / SLEEP_S < result.requests_per_s <= 4 / SLEEP_S


def test_a_dropped_connection_is_an_error_and_reconnects(server: tuple[Server, int]) -> None:
    srv, port = server
    result = run(port, ["/drop"], concurrency=2, duration=0.3)
    assert result.requests == 0
    assert result.status_errors == {}
    assert result.connection_errors["ConnectionClosed"] > 0
    assert srv.connections > 2


def test_several_processes(server: tuple[Server, int]) -> None:
    srv, port = server
    result = run(port, ["/ok"], processes=2, duration=0.5)
    assert result.processes == 2
    assert result.errors == 0
    assert result.requests <= srv.hits["/ok"] <= result.requests + 4
    assert srv.connections == 4


def test_command_line(server: tuple[Server, int]) -> None:
    _, port = server
    url = f"http://127.0.0.1:{port}/ok"
    args = [sys.executable, str(BENCH / "loadgen.py"), url, "-c", "2", "-d", "0.3", "-w", "0.1"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "requests/s" in done.stdout
    assert "errors     none" in done.stdout


def test_no_server_is_a_connection_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionError):
        run(port, ["/ok"], duration=0.1)


def test_bad_arguments_are_refused() -> None:
    for paths in ([], ["no-slash"], ["/a b"]):
        with pytest.raises(ValueError):
            loadgen.build_requests("127.0.0.1", 80, paths)
    with pytest.raises(ValueError):
        loadgen.build_requests("127.0.0.1", 80, ["/"], {"X-Bad": "a\r\nb"})
    with pytest.raises(ValueError):
        run(1, ["/"], concurrency=1, processes=2)


def test_requests_are_formatted_once_with_host_and_headers() -> None:
    requests = loadgen.build_requests("example.org", 8080, ["/a", "/b?c=1"], {"X-Key": "k"})
    assert requests == [
        b"GET /a HTTP/1.1\r\nHost: example.org:8080\r\nX-Key: k\r\n\r\n",
        b"GET /b?c=1 HTTP/1.1\r\nHost: example.org:8080\r\nX-Key: k\r\n\r\n",
    ]


# --------------------------------------------------------------------------------------
# The parser, fed every way a response can be cut


def feed_in_pieces(raw: bytes, piece: int) -> Any:
    """Feed raw in pieces of `piece` bytes; the parser must finish exactly at the end."""
    parser = loadgen._ResponseParser()
    for at in range(0, len(raw), piece):
        done = parser.feed(raw[at : at + piece])
        assert done == (at + piece >= len(raw)), f"finished early or late at byte {at}"
    assert parser.leftover == 0
    assert parser.nbytes == len(raw)
    return parser


CHUNKED = b"".join(CHUNKED_PIECES)
RESPONSES = {
    "content-length": (OK_RESPONSE, 200, False),
    "chunked": (CHUNKED, 200, False),
    "chunked-no-trailer": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        200,
        False,
    ),
    "404": (MISSING_RESPONSE, 404, False),
    "204-no-body": (b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 204, False),
    "interim-100": (b"HTTP/1.1 100 Continue\r\n\r\n" + OK_RESPONSE, 200, False),
    "close": (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", 200, True),
    "http10": (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 200, True),
    "http10-keep-alive": (
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
        200,
        False,
    ),
}


@pytest.mark.parametrize("name", list(RESPONSES))
def test_parser_finds_the_end_of_a_response_however_it_is_cut(name: str) -> None:
    raw, status, will_close = RESPONSES[name]
    for piece in (1, 2, 3, 7, len(raw)):
        parser = feed_in_pieces(raw, piece)
        assert parser.status == status
        assert parser.will_close is will_close


def test_parser_reads_back_to_back_responses_after_reset() -> None:
    parser = loadgen._ResponseParser()
    for raw in (CHUNKED, OK_RESPONSE, CHUNKED):
        assert parser.feed(raw)
        assert parser.leftover == 0
        parser.reset()


def test_parser_reads_a_body_that_ends_at_the_close() -> None:
    parser = loadgen._ResponseParser()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\n\r\nsome body")
    assert parser.delimited_by_close
    assert parser.will_close


@pytest.mark.parametrize(
    "raw",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX",
    ],
)
def test_parser_rejects_what_is_not_http(raw: bytes) -> None:
    with pytest.raises(loadgen.ProtocolError):
        loadgen._ResponseParser().feed(raw)
