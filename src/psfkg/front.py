"""The front: psfkg's own HTTP/1.1 server before gunicorn's workers, so slow clients cost nothing.

A sync gunicorn worker reads a request and writes its answer with blocking calls, so a client that
sends or reads slowly holds one of a few workers. The front takes that part over. It is one asyncio
process that holds every client connection and parses HTTP with h11.

1. It reads a whole request within a total deadline (``PSFKG_REQUEST_DEADLINE``).
2. It hands the request to a worker over a private unix socket, with the client's address.
3. It takes the whole answer, in memory or, past :data:`SPOOL_BYTES`, in a temporary file. The
   worker is then free for the next request.
4. It writes the answer at the client's pace. A file the app answers with ``X-Sendfile`` (a dump
   of the release) is sent from disk by the kernel (``sendfile``), however large and slow the
   reader is.

Requests wait for a worker in a queue per client, taken in turn (:class:`Gate`). One client's
many requests then do not delay the others'. Nothing here evaluates a query or knows the app.
nginx does the same in production (``deploy/nginx.conf``). The front is written here because no
well-kept Python WSGI server both buffers like this and runs preforked workers that can be killed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import resource
import signal
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO

import h11

from .config import Settings
from .web.hosts import proxies, within

log = logging.getLogger("psfkg.front")

#: The header that carries the client's address to a worker; a client's own is dropped.
PEER_HEADER = b"x-psfkg-peer"
#: Bytes of one answer kept in memory; past them it goes to a temporary file.
SPOOL_BYTES = 1 << 20
#: Bytes of answers the front holds in temporary files at once; past them, 503.
SPOOL_BUDGET = 8 << 30
#: Longest request head (request line and header fields), in bytes: past it, 431.
HEAD_BYTES = 64 << 10
#: Longest request line, and longest header field; most header fields (gunicorn's limits too).
LINE_BYTES = 8190
FIELDS = 100
#: Requests one client may have waiting for a worker; past them, 429.
WAITING_PER_CLIENT = 64
#: Bytes written to a client in one step; a client that takes none of them for
#: ``PSFKG_CLIENT_TIMEOUT`` seconds is dropped.
SEND_CHUNK = 256 << 10
#: Seconds beyond the query timeout a worker may take to answer.
WORKER_GRACE = 30
#: Headers that belong to one connection, not to the request or answer.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",
        PEER_HEADER,
    }
)

Headers = list[tuple[bytes, bytes]]


class Refused(Exception):
    """A request the front answers itself, with a status and a reason."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


class Gate:
    """At most ``slots`` requests with the workers at once; the others wait in a queue per
    client, and a freed slot goes to the next client in turn."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: collections.OrderedDict[str, collections.deque[asyncio.Future[None]]] = (
            collections.OrderedDict()
        )

    @contextlib.asynccontextmanager
    async def turn(self, client: str, *, bounded: bool) -> AsyncIterator[None]:
        """Wait for a slot, in ``client``'s queue.

        :raises Refused: 429 when ``bounded`` and the client already has too many waiting.
        """
        if self.free and not self.waiting:
            self.free -= 1
        else:
            queue = self.waiting.setdefault(client, collections.deque())
            if bounded and len(queue) >= WAITING_PER_CLIENT:
                raise Refused(429, "too many of your requests are waiting for a worker", 1)
            waiter = asyncio.get_running_loop().create_future()
            queue.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._hand_on()  # given a slot as it gave up: pass it on
                else:
                    queue.remove(waiter)
                    if not queue:
                        self.waiting.pop(client, None)
                raise
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        """Give a slot to the first waiter of the next client in turn, or free it."""
        while self.waiting:
            client, queue = next(iter(self.waiting.items()))
            waiter = queue.popleft()
            if queue:
                self.waiting.move_to_end(client)
            else:
                del self.waiting[client]
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


@dataclass
class Answer:
    """A worker's answer, held whole: its status and headers, and its body in memory, in a
    spool file, or in a file of the release (``X-Sendfile``) with the range to send."""

    status: int
    headers: Headers
    reason: bytes = b""
    body: bytearray = field(default_factory=bytearray)
    file: IO[bytes] | None = None
    offset: int = 0
    length: int = 0

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class Front:
    """The front's connections, its gate and its view of the workers."""

    def __init__(self, settings: Settings, upstream: str, roots: Sequence[Path]) -> None:
        self.settings = settings
        self.upstream = upstream
        #: Folders whose files a worker may ask the front to send (the releases, the assets).
        self.roots = [r.resolve() for r in roots]
        self.gate = Gate(settings.workers)
        self.proxies = proxies(settings.trusted_proxies)
        self.spooled = 0

    def client(self, peer: str, headers: Headers) -> str:
        """Whose request it is: the peer, or the last address a trusted proxy forwarded."""
        if within(peer, self.proxies):
            forwarded = b",".join(v for k, v in headers if k == b"x-forwarded-for")
            if forwarded:
                return forwarded.rsplit(b",", 1)[-1].strip().decode("latin-1")
        return peer

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection, request after request, until either side closes."""
        peer = (writer.get_extra_info("peername") or ("",))[0]
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_BYTES)
        try:
            while await self.exchange(conn, reader, writer, peer):
                conn.start_next_cycle()
        except (ConnectionError, TimeoutError, h11.LocalProtocolError):
            pass
        except Exception:  # a fault of the front's own: the connection ends, the front goes on
            log.exception("the front dropped a connection from %s", peer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await writer.wait_closed()

    async def exchange(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
    ) -> bool:
        """One request and its answer; whether the connection goes on."""
        try:
            request, body = await self.read_request(conn, reader, writer)
        except EOFError:
            return False
        except Refused as refused:
            await self._write(writer, _raw(_refusal(refused)))
            return False
        if request is None:
            return False
        client = self.client(peer, list(request.headers))
        exempt = within(client, LOOPBACK) and not self.settings.rate_limit_loopback
        try:
            async with self.gate.turn(client, bounded=not exempt):
                answer = await self.forward(request, body, peer)
        except Refused as refused:
            answer = _refusal(refused)
        try:
            await self.send(conn, writer, answer, request.method)
        finally:
            answer.close()
        return conn.our_state is h11.DONE and conn.their_state is h11.DONE

    async def read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[h11.Request | None, bytes]:
        """A whole request: silent ``PSFKG_CLIENT_TIMEOUT`` seconds before it begins, the client
        is let go; once it has begun, it must end within ``PSFKG_REQUEST_DEADLINE`` seconds.

        :raises Refused: 400 for broken HTTP, 408 past the deadline, 413, 431.
        :raises EOFError: the client closed before a request began.
        """
        first = await self._bytes(conn, reader, self.settings.client_timeout, idle=True)
        if first is None:
            raise EOFError
        try:
            async with asyncio.timeout(self.settings.request_deadline):
                return await self._request(conn, reader, writer)
        except TimeoutError:
            raise Refused(
                408, f"the request did not arrive within {self.settings.request_deadline:g} s"
            ) from None

    async def _request(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[h11.Request | None, bytes]:
        request: h11.Request | None = None
        body = bytearray()
        limit = self.settings.max_body_bytes
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                reason = f"the request is not HTTP/1.1 as it should be: {exc}"
                raise Refused(status, reason) from None
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    writer.write(
                        conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                    )
                await self._bytes(conn, reader, None)
            elif isinstance(event, h11.Request):
                request = _bounded(event)
                length = dict(event.headers).get(b"content-length")
                if length is not None and length.isdigit() and int(length) > limit:
                    raise Refused(413, f"the request body is over {limit} bytes")
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > limit:
                    raise Refused(413, f"the request body is over {limit} bytes")
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                raise EOFError
            else:  # PAUSED: not reached, as one request is read at a time
                return request, bytes(body)

    async def _bytes(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        timeout: float | None,
        *,
        idle: bool = False,
    ) -> bytes | None:
        """Feed the client's next bytes to h11; None when it closed or stayed silent."""
        if idle and conn.trailing_data[0]:
            return b"pipelined"  # the next request is already in hand
        try:
            async with asyncio.timeout(timeout):
                data = await reader.read(1 << 16)
        except TimeoutError:
            if idle:
                return None
            raise
        conn.receive_data(data)
        return data or None

    async def forward(self, request: h11.Request, body: bytes, peer: str) -> Answer:
        """The worker's whole answer to a request.

        :raises Refused: 503 when no worker answers.
        """
        headers: Headers = [(k, v) for k, v in request.headers if k not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers += [(b"content-length", b"%d" % len(body))] if body else []
        headers += [(PEER_HEADER, peer.encode("latin-1")), (b"connection", b"close")]
        upstream = h11.Connection(h11.CLIENT)
        try:
            reader, writer = await asyncio.open_unix_connection(self.upstream)
        except OSError:
            raise Refused(503, "no worker is ready to answer yet; retry", 1) from None
        try:
            async with asyncio.timeout(self.settings.query_timeout + WORKER_GRACE):
                message = h11.Request(method=request.method, target=request.target, headers=headers)
                out = [upstream.send(message) or b""]
                if body:
                    out.append(upstream.send(h11.Data(data=body)) or b"")
                out.append(upstream.send(h11.EndOfMessage()) or b"")
                writer.write(b"".join(out))
                return await self._answer(upstream, reader, request.method == b"HEAD")
        except (OSError, TimeoutError, EOFError, h11.ProtocolError) as exc:
            log.warning("a worker did not answer %s: %r", request.target[:200], exc)
            raise Refused(503, "the worker answering this request stopped; retry", 1) from None
        finally:
            writer.close()

    async def _answer(
        self, upstream: h11.Connection, reader: asyncio.StreamReader, head: bool
    ) -> Answer:
        answer: Answer | None = None
        while True:
            event = upstream.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(1 << 18)
                if not data:
                    raise EOFError
                upstream.receive_data(data)
            elif isinstance(event, h11.Response):
                # The worker's own spelling of each name: some clients look them up verbatim.
                answer = Answer(event.status_code, list(event.headers.raw_items()), event.reason)
                if _field(answer.headers, b"x-sendfile") is not None and not head:
                    # The body is the file; the worker sends none.
                    self._release_file(answer)
                    return answer
            elif isinstance(event, h11.Data) and answer is not None:
                self._spool(answer, event.data)
            elif isinstance(event, h11.EndOfMessage) and answer is not None:
                if answer.file is not None:
                    answer.file.seek(0)
                answer.headers = _without(answer.headers, b"x-sendfile")
                return answer
            elif isinstance(event, h11.ConnectionClosed):
                raise EOFError

    def _spool(self, answer: Answer, data: bytes) -> None:
        if answer.file is None and len(answer.body) + len(data) <= SPOOL_BYTES:
            answer.body += data
            return
        if self.spooled + len(data) > SPOOL_BUDGET:
            raise Refused(503, "the server holds too many answers for slow readers; retry", 5)
        if answer.file is None:
            answer.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the answer)
            answer.file.write(answer.body)
            answer.body = bytearray()
        answer.file.write(data)
        answer.length += len(data)
        self.spooled += len(data)

    def _release_file(self, answer: Answer) -> None:
        """Open the file an ``X-Sendfile`` answer names, and the range of it to send."""
        named = _field(answer.headers, b"x-sendfile")
        answer.headers = _without(answer.headers, b"x-sendfile")
        if named is None or answer.status not in (200, 206):
            return
        path = Path(os.fsdecode(named)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise Refused(503, "the worker named a file outside the release", None)
        answer.file = open(path, "rb")  # noqa: SIM115 (closed with the answer)
        answer.offset, answer.length = 0, os.fstat(answer.file.fileno()).st_size
        span = (
            (_field(answer.headers, b"content-range") or b"").partition(b" ")[2].partition(b"/")[0]
        )
        if answer.status == 206 and b"-" in span:
            start, _, end = span.partition(b"-")
            answer.offset, answer.length = int(start), int(end) - int(start) + 1

    async def send(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, answer: Answer, method: bytes
    ) -> None:
        """Write an answer at the client's pace, dropping a client that takes nothing for
        ``PSFKG_CLIENT_TIMEOUT`` seconds."""
        headers = _without(answer.headers, *HOP_BY_HOP)
        body = method != b"HEAD" and answer.status not in (204, 304) and answer.status >= 200
        if body:
            size = len(answer.body) if answer.file is None else answer.length
            headers = [*_without(headers, b"content-length"), (b"Content-Length", b"%d" % size)]
        response = h11.Response(status_code=answer.status, headers=headers, reason=answer.reason)
        out = [conn.send(response) or b""]
        if body and answer.file is not None:
            # h11 counts the file's bytes against Content-Length and hands the range back.
            passed = h11.Data(data=FileRange(answer))  # type: ignore[arg-type]
            for piece in conn.send_with_data_passthrough(passed) or []:
                if isinstance(piece, FileRange):
                    await self._write(writer, b"".join(out))
                    await self._sendfile(writer, answer)
                    out = []
                else:
                    out.append(piece)
        elif body:
            out.append(conn.send(h11.Data(data=bytes(answer.body))) or b"")
        out.append(conn.send(h11.EndOfMessage()) or b"")
        await self._write(writer, b"".join(out))  # one write: head and body in one segment

    async def _write(self, writer: asyncio.StreamWriter, data: bytes | None) -> None:
        view = memoryview(data or b"")
        for start in range(0, len(view), SEND_CHUNK):
            writer.write(view[start : start + SEND_CHUNK])
            async with asyncio.timeout(self.settings.client_timeout):
                await writer.drain()

    async def _sendfile(self, writer: asyncio.StreamWriter, answer: Answer) -> None:
        assert answer.file is not None
        loop = asyncio.get_running_loop()
        sent, end = answer.offset, answer.offset + answer.length
        while sent < end:
            count = min(SEND_CHUNK, end - sent)
            async with asyncio.timeout(self.settings.client_timeout):
                await writer.drain()
                await loop.sendfile(writer.transport, answer.file, sent, count)
            sent += count


class FileRange:
    """The bytes of an answer's file that ``sendfile`` writes, as h11 counts them."""

    def __init__(self, answer: Answer) -> None:
        self.length = answer.length

    def __len__(self) -> int:
        return self.length


#: Clients that are exempt from the per-client bound, as from the rate limit, by default.
LOOPBACK = proxies("127.0.0.0/8,::1/128")


def _field(headers: Headers, name: bytes) -> bytes | None:
    """The value of the header field ``name`` (lower case), if any."""
    return next((v for k, v in headers if k.lower() == name), None)


def _without(headers: Headers, *names: bytes) -> Headers:
    """The header fields but those named (in lower case)."""
    return [(k, v) for k, v in headers if k.lower() not in names]


def _bounded(request: h11.Request) -> h11.Request:
    """The request, when its line and fields are within bounds.

    :raises Refused: 414 or 431.
    """
    if len(request.target) > LINE_BYTES:
        raise Refused(414, f"the request line is over {LINE_BYTES} bytes")
    sizes = [len(k) + len(v) for k, v in request.headers]
    if len(sizes) > FIELDS or sum(sizes) > HEAD_BYTES or max(sizes, default=0) > LINE_BYTES:
        raise Refused(
            431, f"the header fields are over {FIELDS}, {HEAD_BYTES} bytes, or {LINE_BYTES} each"
        )
    return request


def _refusal(refused: Refused) -> Answer:
    text = f"{refused.reason}\n".encode()
    headers: Headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if refused.retry_after is not None:
        headers.append((b"retry-after", b"%d" % refused.retry_after))
    reason = HTTPStatus(refused.status).phrase.encode()
    return Answer(refused.status, headers, reason, bytearray(text))


def _raw(answer: Answer) -> bytes:
    """An answer as bytes, for a client whose request never parsed (h11 then sends none)."""
    head = b"HTTP/1.1 %d %s\r\n" % (answer.status, answer.reason)
    fields = [
        *answer.headers,
        (b"content-length", b"%d" % len(answer.body)),
        (b"connection", b"close"),
    ]
    return head + b"".join(k + b": " + v + b"\r\n" for k, v in fields) + b"\r\n" + answer.body


async def serve(
    settings: Settings, upstream: str, roots: Sequence[Path], stop: asyncio.Event
) -> None:
    """Listen on the settings' host and port until ``stop`` is set."""
    front = Front(settings, upstream, roots)
    server = await asyncio.start_server(
        front.connection, settings.host, settings.port, reuse_address=True, backlog=1024
    )
    async with server:
        await stop.wait()


def run(settings: Settings, upstream: str, roots: Sequence[Path], workers: int) -> int:
    """Run the front until SIGTERM or SIGINT, or until the gunicorn master ``workers`` ends;
    stop the master in turn, and give its exit status."""
    # Each client holds a file descriptor while it is served: as many as the system allows.
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    if most != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)

    def watch() -> None:
        done, status = os.waitpid(workers, os.WNOHANG)
        if done:
            watched.append(os.waitstatus_to_exitcode(status))
            stop.set()
        else:
            loop.call_later(0.2, watch)

    watched: list[int] = []
    loop.call_soon(watch)
    try:
        loop.run_until_complete(serve(settings, upstream, roots, stop))
    finally:
        loop.close()
    if watched:
        return watched[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(workers, signal.SIGTERM)
    _, status = os.waitpid(workers, 0)
    return os.waitstatus_to_exitcode(status)
