"""A small closed-loop HTTP/1.1 load generator for the API benchmarks.

Model
-----
``concurrency`` persistent (keep-alive) TCP connections each run a closed loop: send one
GET, wait for the whole response, record its latency, send the next. There is never more
than one request in flight per connection (no pipelining), so the offered load adapts to
the server: throughput is ``concurrency / latency``. Paths are taken in the order given,
round-robin, from one cycle shared by all connections of a process.

The clock starts once every connection is open. Responses that complete during the first
``warmup`` seconds are discarded; the result covers the ``duration`` seconds after that,
counting each response by the moment it completed. When the window closes the
connections are dropped: responses still in flight are not counted, on either side.

What counts
-----------
Only a complete response with status 200 is a success: it is counted in ``requests`` and
its latency is recorded. Any other final status (including other 2xx and 3xx) is an error,
counted per status code in ``status_errors``, and its latency is not recorded. A
connection that fails (refused, reset, closed before the response ended, unparseable
bytes) is counted in ``connection_errors`` by cause, and the slot reconnects, so the
concurrency stays constant. A server that closes a keep-alive connection just after a
response without saying ``Connection: close`` costs one connection error for the request
that was then sent into the closed socket: this client never retries.

Why hand-written
----------------
The benchmarks run on two cores: the server under test on one, the client on the other.
A general-purpose client such as httpx spends more CPU per request than a small FastAPI
endpoint does to answer it, so it would measure itself. Here each connection is an
asyncio Protocol whose ``data_received`` parses the response in place (bytes searches on
the head, bodies counted and dropped, never decoded) and writes the next pre-formatted
request from the same callback: no task switch, future or copy of the body per request.
uvloop is used when it is installed, and ``processes`` spreads the connections over
several processes when one client core is not enough.

    uv run python bench/loadgen.py http://127.0.0.1:8000/health --concurrency 16 --duration 5
    uv run python bench/loadgen.py http://127.0.0.1:8000 --paths-file vins.txt --json
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import multiprocessing as mp
import sys
import time
from array import array
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

# A head or chunk-size line longer than this is not a response we can make sense of; it
# bounds the buffer when a server sends garbage without ever ending a line.
_MAX_HEAD_BYTES = 64 * 1024
_MAX_LINE_BYTES = 4 * 1024
# After a failed (re)connect, wait this long before the next attempt, so that a server that
# is down does not turn the client into a busy loop on the core the server needs.
_RECONNECT_BACKOFF_S = 0.01
# How long child processes may take to start and connect before the run is abandoned.
_STARTUP_TIMEOUT_S = 60.0
_HEX_DIGITS = b"0123456789abcdefABCDEF"


class ProtocolError(Exception):
    """The server sent bytes that are not a well-formed HTTP/1.x response."""


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one load run measured, over the window after the warmup."""

    requests: int  # responses with status 200 completed in the window
    status_errors: dict[int, int]  # other final statuses in the window, by status
    connection_errors: dict[str, int]  # failed connections in the window, by cause
    elapsed_s: float  # the length of the measured window
    requests_per_s: float  # successes per second of the window
    p50_ms: float  # latency percentiles (nearest rank) of the successes; nan if none
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    bytes_received: int  # status lines, headers and bodies of all responses in the window
    concurrency: int
    processes: int

    @property
    def errors(self) -> int:
        return sum(self.status_errors.values()) + sum(self.connection_errors.values())

    def summary(self) -> str:
        proc = "process" if self.processes == 1 else "processes"
        faults = [f"HTTP {s}: {n}" for s, n in sorted(self.status_errors.items())]
        faults += [f"{cause}: {n}" for cause, n in sorted(self.connection_errors.items())]
        return "\n".join(
            [
                f"requests   {self.requests} in {self.elapsed_s:.2f} s = "
                f"{self.requests_per_s:,.0f} requests/s "
                f"(concurrency {self.concurrency}, {self.processes} {proc})",
                f"latency    p50 {self.p50_ms:.2f} ms  p90 {self.p90_ms:.2f} ms  "
                f"p99 {self.p99_ms:.2f} ms  max {self.max_ms:.2f} ms  mean {self.mean_ms:.2f} ms",
                f"received   {self.bytes_received / 1e6:,.2f} MB",
                f"errors     {', '.join(faults) if faults else 'none'}",
            ]
        )


# ---------------------------------------------------------------------------------------
# Response parsing

# Parser states: where in a response the next byte belongs.
_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = range(8)


def _header(head: bytes, key: bytes) -> bytes | None:
    """The value of the first header ``key`` (lower case, as ``b"\\r\\nname:"``) in a
    lower-cased head. Header values cannot contain CRLF, so the key only matches at the
    start of a header line."""
    at = head.find(key)
    if at < 0:
        return None
    start = at + len(key)
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


class _ResponseParser:
    """Incremental parser of one response at a time on a keep-alive connection.

    It keeps only what a load generator needs: the final status, whether the server will
    close the connection, and how many bytes the response took. Bodies are counted and
    dropped as they arrive, so a large body costs no memory.
    """

    __slots__ = ("_buf", "_remaining", "_state", "nbytes", "status", "will_close")

    def __init__(self) -> None:
        self._buf = bytearray()
        self.reset()

    def reset(self) -> None:
        """Get ready for the next response (any unread bytes stay buffered)."""
        self._state = _HEAD
        self._remaining = 0
        self.status = 0
        self.will_close = False
        self.nbytes = 0

    @property
    def leftover(self) -> int:
        """Bytes received beyond the end of the last complete response."""
        return len(self._buf)

    @property
    def delimited_by_close(self) -> bool:
        """The body being read ends when the server closes the connection."""
        return self._state == _UNTIL_CLOSE

    def feed(self, data: bytes) -> bool:
        """Take more bytes; True once the final response is complete."""
        buf = self._buf
        buf += data
        while True:
            state = self._state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > _MAX_HEAD_BYTES:
                        raise ProtocolError("response head too long")
                    return False
                # Lower-case the head once so that every header lookup is one bytes search.
                head = bytes(buf[:end]).lower()
                del buf[: end + 4]
                self.nbytes += end + 4
                self._start(head)
            elif state == _BODY:
                if not self._skip(buf, then=_DONE):
                    return False
            elif state == _CHUNK_SIZE:
                end = self._line_end(buf)
                if end < 0:
                    return False
                size_field = bytes(buf[:end]).split(b";", 1)[0].strip()  # drop extensions
                if not size_field or size_field.strip(_HEX_DIGITS):
                    raise ProtocolError(f"bad chunk size {size_field!r}")
                del buf[: end + 2]
                self.nbytes += end + 2
                self._remaining = int(size_field, 16)
                self._state = _CHUNK_DATA if self._remaining else _TRAILERS
            elif state == _CHUNK_DATA:
                if not self._skip(buf, then=_CHUNK_END):
                    return False
            elif state == _CHUNK_END:
                if len(buf) < 2:
                    return False
                if buf[:2] != b"\r\n":
                    raise ProtocolError("chunk data not followed by CRLF")
                del buf[:2]
                self.nbytes += 2
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                end = self._line_end(buf)
                if end < 0:
                    return False
                del buf[: end + 2]
                self.nbytes += end + 2
                if end == 0:  # the blank line that ends the trailer section
                    self._state = _DONE
            elif state == _UNTIL_CLOSE:
                self.nbytes += len(buf)
                buf.clear()
                return False
            else:
                return True

    def _skip(self, buf: bytearray, *, then: int) -> bool:
        """Drop the rest of a body (or chunk) from buf; True, in state `then`, once whole."""
        have, need = len(buf), self._remaining
        if have < need:
            self._remaining = need - have
            self.nbytes += have
            buf.clear()
            return False
        del buf[:need]
        self.nbytes += need
        self._state = then
        return True

    @staticmethod
    def _line_end(buf: bytearray) -> int:
        end = buf.find(b"\r\n")
        if end < 0 and len(buf) > _MAX_LINE_BYTES:
            raise ProtocolError("line too long")
        return end

    def _start(self, head: bytes) -> None:
        """Read a (lower-cased) head and decide how its body is delimited (RFC 9112 §6.3)."""
        if len(head) < 12 or not head.startswith(b"http/1.") or head[8:9] != b" ":
            raise ProtocolError(f"bad status line {head[:40]!r}")
        code = head[9:12]
        if not code.isdigit():
            raise ProtocolError(f"bad status line {head[:40]!r}")
        status = int(code)
        if status < 200:
            if status == 101:
                raise ProtocolError("unexpected protocol switch")
            return  # an interim response (100, 103): the final one follows
        self.status = status
        http10 = head[7:8] == b"0"
        connection = _header(head, b"\r\nconnection:")
        if connection is None:
            self.will_close = http10
        elif http10:
            self.will_close = b"keep-alive" not in connection
        else:
            self.will_close = b"close" in connection
        if status in (204, 304):
            self._state = _DONE
            return
        coding = _header(head, b"\r\ntransfer-encoding:")
        if coding is not None:
            if coding.rsplit(b",", 1)[-1].strip() == b"chunked":
                self._state = _CHUNK_SIZE
            else:  # a coding other than chunked last: the body runs to the close
                self._state = _UNTIL_CLOSE
                self.will_close = True
            return
        length = _header(head, b"\r\ncontent-length:")
        if length is None:
            self._state = _UNTIL_CLOSE
            self.will_close = True
        elif not length.isdigit():
            raise ProtocolError(f"bad Content-Length {length!r}")
        else:
            self._remaining = int(length)
            self._state = _BODY if self._remaining else _DONE


# ---------------------------------------------------------------------------------------
# Connections and one process's run


class _Connection(asyncio.Protocol):
    """One keep-alive connection running the closed loop from its callbacks."""

    __slots__ = ("_parser", "_run", "_sent_ns", "_transport", "_waiting")

    def __init__(self, run: _Run) -> None:
        self._run = run
        self._parser = _ResponseParser()
        self._transport: asyncio.Transport | None = None
        self._sent_ns = 0
        self._waiting = False  # a request is out and its response is not complete

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._run.connections.add(self)
        if self._run.started:  # a reconnection: carry on with the loop at once
            self.send(time.perf_counter_ns())

    def send(self, now_ns: int) -> None:
        transport = self._transport
        assert transport is not None
        if now_ns >= self._run.end_ns:
            transport.close()
            return
        self._sent_ns = now_ns
        self._waiting = True
        transport.write(self._run.next_request())

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        try:
            if not self._waiting:
                raise ProtocolError("data received with no request outstanding")
            if not parser.feed(data):
                return
            if parser.leftover:
                raise ProtocolError("data received beyond the end of the response")
        except ProtocolError:
            self._fail("ProtocolError")
            return
        now = time.perf_counter_ns()
        self._waiting = False
        self._run.record(parser.status, now - self._sent_ns, parser.nbytes, now)
        will_close = parser.will_close
        parser.reset()
        if will_close:
            assert self._transport is not None
            self._transport.close()  # connection_lost opens the replacement
        else:
            self.send(now)

    def connection_lost(self, exc: Exception | None) -> None:
        run = self._run
        if self._waiting:
            self._waiting = False
            if self._parser.delimited_by_close and exc is None:
                # The server ended a body that had no length by closing: a complete response.
                now = time.perf_counter_ns()
                run.record(self._parser.status, now - self._sent_ns, self._parser.nbytes, now)
            else:
                run.count_error(type(exc).__name__ if exc else "ConnectionClosed")
        run.lost(self)

    def _fail(self, cause: str) -> None:
        self._waiting = False
        self._run.count_error(cause)
        self.abort()


@dataclass(frozen=True, slots=True)
class _Spec:
    """What one process needs to run its share of the load (picklable for spawn)."""

    host: str
    port: int
    requests: list[bytes]
    first: int  # index of the first request in the cycle
    concurrency: int
    warmup_ns: int
    duration_ns: int


# What one process measured, in builtin types only: a child started by spawn pickles it
# back to a parent in which this module may have another name.
_Partial = tuple[bytes, dict[int, int], dict[str, int], int]


class _Run:
    """The shared state of one process's connections: request cycle, window, tallies."""

    def __init__(self, spec: _Spec, loop: asyncio.AbstractEventLoop) -> None:
        self.spec = spec
        self.loop = loop
        self.requests = spec.requests
        self._next = spec.first % len(spec.requests)
        self.connections: set[_Connection] = set()
        self._reconnects: set[asyncio.Task[None]] = set()
        self.started = False
        self.stopping = False
        self.window_start_ns = 0
        self.end_ns = 0
        self.latencies_ns = array("q")
        self.status_errors: dict[int, int] = {}
        self.connection_errors: dict[str, int] = {}
        self.bytes_received = 0

    def next_request(self) -> bytes:
        i = self._next
        self._next = i + 1 if i + 1 < len(self.requests) else 0
        return self.requests[i]

    def record(self, status: int, latency_ns: int, nbytes: int, now_ns: int) -> None:
        if not self.window_start_ns <= now_ns < self.end_ns:
            return
        if status == 200:
            self.latencies_ns.append(latency_ns)
        else:
            self.status_errors[status] = self.status_errors.get(status, 0) + 1
        self.bytes_received += nbytes

    def count_error(self, cause: str) -> None:
        # Once stopping, failures are the ones this client causes by dropping connections.
        if not self.stopping and self.window_start_ns <= time.perf_counter_ns() < self.end_ns:
            self.connection_errors[cause] = self.connection_errors.get(cause, 0) + 1

    async def connect(self) -> None:
        await self.loop.create_connection(
            functools.partial(_Connection, self), self.spec.host, self.spec.port
        )

    def lost(self, conn: _Connection) -> None:
        self.connections.discard(conn)
        if self.stopping or (self.started and time.perf_counter_ns() >= self.end_ns):
            return
        task = self.loop.create_task(self._reconnect())
        self._reconnects.add(task)  # hold a reference until it is done, as asyncio asks
        task.add_done_callback(self._reconnects.discard)

    async def _reconnect(self) -> None:
        while not self.stopping:
            try:
                await self.connect()
                return
            except OSError as exc:
                self.count_error(type(exc).__name__)
                await asyncio.sleep(_RECONNECT_BACKOFF_S)

    def start(self) -> None:
        now = time.perf_counter_ns()
        self.window_start_ns = now + self.spec.warmup_ns
        self.end_ns = self.window_start_ns + self.spec.duration_ns
        self.started = True
        for conn in list(self.connections):
            conn.send(now)

    async def stop(self) -> None:
        self.stopping = True
        for task in list(self._reconnects):
            task.cancel()
        await asyncio.gather(*self._reconnects, return_exceptions=True)
        for conn in list(self.connections):
            conn.abort()
        await asyncio.sleep(0)  # let the transports deliver connection_lost and close

    def partial(self) -> _Partial:
        return (
            self.latencies_ns.tobytes(),
            self.status_errors,
            self.connection_errors,
            self.bytes_received,
        )


async def _drive(spec: _Spec, ready: Callable[[], object] | None = None) -> _Partial:
    run = _Run(spec, asyncio.get_running_loop())
    # Open every connection before the clock starts, so that the warmup is spent on
    # requests rather than handshakes, and a server that is not there fails the run.
    outcomes = await asyncio.gather(
        *(run.connect() for _ in range(spec.concurrency)), return_exceptions=True
    )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    if failures:
        await run.stop()
        raise ConnectionError(f"cannot connect to {spec.host}:{spec.port}: {failures[0]}")
    if ready is not None:
        ready()  # blocks the loop, but until the clock starts there is nothing to do
    run.start()
    try:
        # Loop timers may fire a little early (uvloop's tick is a millisecond), and the
        # window must be over before connections are dropped.
        while (left := run.end_ns - time.perf_counter_ns()) > 0:
            await asyncio.sleep(left / 1e9)
    finally:
        await run.stop()
    return run.partial()


def _run_coroutine(coro: Coroutine[Any, Any, _Partial], use_uvloop: bool) -> _Partial:
    factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def _child(spec: _Spec, barrier: Any, results: Any, use_uvloop: bool) -> None:
    """A child process: connect, wait for the others, run, send back the tallies."""
    try:
        part = _run_coroutine(
            _drive(spec, functools.partial(barrier.wait, _STARTUP_TIMEOUT_S)), use_uvloop
        )
    except BaseException as exc:
        barrier.abort()  # release siblings waiting for this one
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    else:
        results.put(("ok", part))


def _run_processes(specs: list[_Spec], use_uvloop: bool, timeout_s: float) -> list[_Partial]:
    # spawn, not fork: the caller may have threads (a test server, say) that fork would
    # copy mid-flight; a spawned child imports this module afresh from the parent's path.
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(specs))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(spec, barrier, results, use_uvloop), daemon=True)
        for spec in specs
    ]
    for proc in procs:
        proc.start()
    parts: list[_Partial] = []
    try:
        for _ in procs:
            tag, payload = results.get(timeout=timeout_s)
            if tag != "ok":
                raise RuntimeError(f"a load process failed: {payload}")
            parts.append(payload)
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        results.close()
        results.join_thread()
    return parts


# ---------------------------------------------------------------------------------------
# Public API


def build_requests(
    host: str, port: int, paths: Sequence[str], headers: dict[str, str] | None = None
) -> list[bytes]:
    """The GET requests, formatted once, that the connections cycle through."""
    if not paths:
        raise ValueError("no paths to request")
    authority = f"[{host}]" if ":" in host else host
    if port != 80:
        authority = f"{authority}:{port}"
    lines = ""
    given = {name.lower() for name in headers or {}}
    if "host" not in given:
        lines += f"Host: {authority}\r\n"
    for name, value in (headers or {}).items():
        if not name or any(c in name for c in ":\r\n \t") or any(c in value for c in "\r\n"):
            raise ValueError(f"bad header {name!r}: {value!r}")
        lines += f"{name}: {value}\r\n"
    requests = []
    for path in paths:
        if not path.startswith("/") or any(c in path for c in " \t\r\n"):
            raise ValueError(f"bad path {path!r}: it must start with / and have no spaces")
        # ascii: a path must already be percent-encoded; anything else is a caller's bug.
        requests.append(f"GET {path} HTTP/1.1\r\n{lines}\r\n".encode("ascii"))
    return requests


def _nearest_rank(sorted_ns: Sequence[int], q: float) -> float:
    return sorted_ns[max(0, math.ceil(q * len(sorted_ns)) - 1)] / 1e6


def _merge(parts: list[_Partial], duration: float, concurrency: int, processes: int) -> LoadResult:
    latencies = array("q")
    status_errors: dict[int, int] = {}
    connection_errors: dict[str, int] = {}
    received = 0
    for raw, statuses, causes, nbytes in parts:
        latencies.frombytes(raw)
        for status, n in statuses.items():
            status_errors[status] = status_errors.get(status, 0) + n
        for cause, n in causes.items():
            connection_errors[cause] = connection_errors.get(cause, 0) + n
        received += nbytes
    ordered = sorted(latencies)
    nan = float("nan")
    return LoadResult(
        requests=len(ordered),
        status_errors=status_errors,
        connection_errors=connection_errors,
        elapsed_s=duration,
        requests_per_s=len(ordered) / duration,
        p50_ms=_nearest_rank(ordered, 0.50) if ordered else nan,
        p90_ms=_nearest_rank(ordered, 0.90) if ordered else nan,
        p99_ms=_nearest_rank(ordered, 0.99) if ordered else nan,
        max_ms=ordered[-1] / 1e6 if ordered else nan,
        mean_ms=sum(ordered) / len(ordered) / 1e6 if ordered else nan,
        bytes_received=received,
        concurrency=concurrency,
        processes=processes,
    )


def run_load(
    host: str,
    port: int,
    paths: list[str],
    *,
    concurrency: int = 16,
    duration: float = 10.0,
    warmup: float = 2.0,
    headers: dict[str, str] | None = None,
    processes: int = 1,
    use_uvloop: bool = True,
) -> LoadResult:
    """Load ``host:port`` with GETs of ``paths`` (round-robin) and measure it.

    ``concurrency`` connections in total, split evenly over ``processes`` processes (one
    means in this process, on a new event loop: do not call it from a running loop). With
    several processes, each starts on the same path cycle at a different offset, and this
    module must be importable by name in a spawned child (run as a script, or imported
    with bench/ on sys.path), as multiprocessing's spawn requires.
    """
    if concurrency < 1 or processes < 1 or processes > concurrency:
        raise ValueError("need 1 <= processes <= concurrency")
    if duration <= 0 or warmup < 0:
        raise ValueError("need duration > 0 and warmup >= 0")
    requests = build_requests(host, port, paths, headers)
    specs = [
        _Spec(
            host=host,
            port=port,
            requests=requests,
            first=i * len(requests) // processes,
            concurrency=concurrency // processes + (1 if i < concurrency % processes else 0),
            warmup_ns=round(warmup * 1e9),
            duration_ns=round(duration * 1e9),
        )
        for i in range(processes)
    ]
    if processes == 1:
        parts = [_run_coroutine(_drive(specs[0]), use_uvloop)]
    else:
        parts = _run_processes(specs, use_uvloop, _STARTUP_TIMEOUT_S + warmup + duration + 30)
    return _merge(parts, duration, concurrency, processes)


# ---------------------------------------------------------------------------------------
# Command line


def _parse_target(urls: list[str]) -> tuple[str, int, list[str]]:
    host: str | None = None
    port = 0
    paths = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit(f"only http://host[:port]/path URLs are supported, not {url!r}")
        here = (parts.hostname, parts.port or 80)
        if host is not None and here != (host, port):
            raise SystemExit("all URLs must be on the same host and port")
        host, port = here
        path = parts.path or "/"
        paths.append(f"{path}?{parts.query}" if parts.query else path)
    assert host is not None
    return host, port, paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Closed-loop HTTP/1.1 load generator.")
    parser.add_argument(
        "urls", nargs="+", help="http:// URLs on one host:port; their paths are requested in turn"
    )
    parser.add_argument(
        "--paths-file",
        type=Path,
        help="a file of paths (one per line) that replaces the URLs' paths",
    )
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("-w", "--warmup", type=float, default=2.0, help="seconds discarded")
    parser.add_argument("-p", "--processes", type=int, default=1)
    parser.add_argument(
        "-H", "--header", action="append", default=[], help="an extra header, 'Name: value'"
    )
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's own loop")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)

    host, port, paths = _parse_target(args.urls)
    if args.paths_file is not None:
        paths = [line.strip() for line in args.paths_file.read_text().splitlines()]
        paths = [p for p in paths if p]
    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            parser.error(f"header {item!r} is not 'Name: value'")
        headers[name.strip()] = value.strip()

    result = run_load(
        host,
        port,
        paths,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        headers=headers,
        processes=args.processes,
        use_uvloop=not args.no_uvloop,
    )
    print(json.dumps(asdict(result)) if args.json else result.summary())
    return 0 if result.requests else 1


if __name__ == "__main__":
    sys.exit(main())
