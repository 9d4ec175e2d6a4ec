"""The front's connections: a request read whole, handed to a worker, its answer held whole and
sent at the client's pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import h11

from ..config import Settings
from ..web.hosts import proxies, within
from .gate import Gate
from .messages import (
    HEAD_BYTES,
    HOLD_HEADER,
    HOP_BY_HOP,
    PEER_HEADER,
    Answer,
    FileRange,
    Headers,
    Refused,
    bounded,
    field,
    raw,
    refusal,
    without,
)

log = logging.getLogger("psfkg.front")

#: Bytes of one answer kept in memory; past them it goes to a temporary file.
SPOOL_BYTES = 1 << 20
#: Bytes of answers the front holds in temporary files at once; past them, 503.
SPOOL_BUDGET = 8 << 30
#: Bytes written to a client in one step; a client that takes none of them for
#: ``PSFKG_CLIENT_TIMEOUT`` seconds is dropped.
SEND_CHUNK = 256 << 10
#: Seconds the front lets a held-back client wait for each of its refusals.
HELD_PACE = 1.0
#: Seconds beyond the query timeout a worker may take to answer.
WORKER_GRACE = 30


#: Clients that are exempt from the per-client bound, as from the rate limit, by default.
LOOPBACK = proxies("127.0.0.0/8,::1/128")


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
            await self._write(writer, raw(refusal(refused)))
            return False
        if request is None:
            return False
        client = self.client(peer, list(request.headers))
        exempt = within(client, LOOPBACK) and not self.settings.rate_limit_loopback
        wait = 0.0 if exempt else self.gate.held(client)
        if wait:  # told to retry later, and back before then: no worker sees it
            # Nor is it answered at once, or a client that ignores Retry-After would spin on
            # the front's 429s and take its CPU from the workers: one a second at most.
            await asyncio.sleep(min(wait, HELD_PACE))
            seconds = max(1, math.ceil(self.gate.held(client)))
            answer = refusal(
                Refused(429, f"you were asked to retry later: in {seconds} s", seconds)
            )
        else:
            try:
                async with self.gate.turn(client, bounded=not exempt):
                    answer = await self.forward(request, body, peer)
            except Refused as refused:
                answer = refusal(refused)
            hold = field(answer.headers, HOLD_HEADER)
            if hold is not None and not exempt:
                self.gate.hold_back(client, _seconds(hold))
        try:
            await self.send(conn, writer, answer, request.method)
        finally:
            answer.close()
            self.spooled -= answer.spooled
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
                said = re.sub(r"bytearray\((b'.*?')\)", r"\1", str(exc))  # h11's wording
                reason = f"the request is not HTTP/1.1 as it should be: {said}"
                raise Refused(status, reason) from None
            if event is h11.NEED_DATA:
                if conn.they_are_waiting_for_100_continue:
                    writer.write(
                        conn.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                    )
                await self._bytes(conn, reader, None)
            elif isinstance(event, h11.Request):
                request = bounded(event)
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

        The workers are gunicorn's, on a socket only the front reaches: their HTTP is read
        plainly (:func:`_head`), not checked as a client's is.

        :raises Refused: 503 when no worker answers.
        """
        fields = without(list(request.headers), *HOP_BY_HOP, b"content-length")
        fields += [(b"content-length", b"%d" % len(body))] if body else []
        fields += [(PEER_HEADER, peer.encode("latin-1")), (b"connection", b"close")]
        message = b"%s %s HTTP/1.1\r\n%s\r\n" % (
            request.method,
            request.target,
            b"".join(b"%s: %s\r\n" % pair for pair in fields),
        )
        try:
            reader, writer = await asyncio.open_unix_connection(self.upstream, limit=HEAD_BYTES)
        except OSError as exc:
            log.warning("no worker took a connection: %r", exc)
            raise Refused(503, "no worker is ready to answer yet; retry", 1) from None
        try:
            async with asyncio.timeout(self.settings.query_timeout + WORKER_GRACE):
                writer.write(message + body)
                return await self._answer(reader, request.method == b"HEAD")
        except (OSError, TimeoutError, EOFError, ValueError, asyncio.LimitOverrunError) as exc:
            log.warning("a worker did not answer %s: %r", request.target[:200], exc)
            raise Refused(503, "the worker answering this request stopped; retry", 1) from None
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, head: bool) -> Answer:
        """Read a worker's answer: its head, then its body by Content-Length, in chunks, or to
        the end."""
        answer = _head(await reader.readuntil(b"\r\n\r\n"))
        sendfile = field(answer.headers, b"x-sendfile") is not None
        if sendfile and not head:
            self._release_file(answer)  # the body is the file; the worker sends none
            return answer
        answer.headers = without(answer.headers, b"x-sendfile")
        try:
            length = field(answer.headers, b"content-length")
            if head or answer.status in (204, 304) or answer.status < 200:
                pass
            elif length is not None:
                left = int(length)
                while left:
                    data = await reader.read(min(left, 1 << 18))
                    if not data:
                        raise EOFError
                    self._spool(answer, data)
                    left -= len(data)
            elif b"chunked" in (field(answer.headers, b"transfer-encoding") or b"").lower():
                while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    self._spool(answer, await reader.readexactly(size))
                    await reader.readexactly(2)
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
            else:
                while data := await reader.read(1 << 18):
                    self._spool(answer, data)
        except BaseException:  # cut short: its spool goes, and its share of the budget
            answer.close()
            self.spooled -= answer.spooled
            raise
        if answer.file is not None:
            answer.file.seek(0)
        return answer

    def _spool(self, answer: Answer, data: bytes) -> None:
        """Keep ``data`` of an answer: in memory up to :data:`SPOOL_BYTES`, then all of it in a
        temporary file, counted against :data:`SPOOL_BUDGET` until the answer is sent."""
        if answer.file is None and len(answer.body) + len(data) <= SPOOL_BYTES:
            answer.body += data
            return
        if answer.file is None:
            data, answer.body = bytes(answer.body) + data, bytearray()
        if self.spooled + len(data) > SPOOL_BUDGET:
            raise Refused(503, "the server holds too many answers for slow readers; retry", 5)
        if answer.file is None:
            answer.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the answer)
        answer.file.write(data)
        answer.length += len(data)
        answer.spooled += len(data)
        self.spooled += len(data)

    def _release_file(self, answer: Answer) -> None:
        """Open the file an ``X-Sendfile`` answer names, and the range of it to send."""
        named = field(answer.headers, b"x-sendfile")
        answer.headers = without(answer.headers, b"x-sendfile")
        if named is None or answer.status not in (200, 206):
            return
        path = Path(os.fsdecode(named)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise Refused(503, "the worker named a file outside the release", None)
        answer.file = open(path, "rb")  # noqa: SIM115 (closed with the answer)
        answer.offset, answer.length = 0, os.fstat(answer.file.fileno()).st_size
        span = (
            (field(answer.headers, b"content-range") or b"").partition(b" ")[2].partition(b"/")[0]
        )
        if answer.status == 206 and b"-" in span:
            start, _, end = span.partition(b"-")
            answer.offset, answer.length = int(start), int(end) - int(start) + 1

    async def send(
        self, conn: h11.Connection, writer: asyncio.StreamWriter, answer: Answer, method: bytes
    ) -> None:
        """Write an answer at the client's pace, dropping a client that takes nothing for
        ``PSFKG_CLIENT_TIMEOUT`` seconds."""
        headers = without(answer.headers, *HOP_BY_HOP)
        body = method != b"HEAD" and answer.status not in (204, 304) and answer.status >= 200
        if body:
            size = len(answer.body) if answer.file is None else answer.length
            headers = [*without(headers, b"content-length"), (b"Content-Length", b"%d" % size)]
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


def _head(raw: bytes) -> Answer:
    """An answer's status and header fields, from the bytes of its head."""
    lines = raw[:-4].split(b"\r\n")
    status, _, reason = lines[0].partition(b" ")[2].partition(b" ")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(b":") for line in lines[1:])]
    return Answer(int(status), headers, reason)


def _seconds(value: bytes) -> float:
    """Whole seconds, as the app writes them (1 for anything else)."""
    return float(value) if value.isdigit() else 1.0
