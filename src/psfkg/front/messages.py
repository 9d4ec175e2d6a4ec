"""What the front reads and writes: bounds on requests, answers held whole, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from http import HTTPStatus
from typing import IO

import h11

#: The header that carries the client's address to a worker; a client's own is dropped.
PEER_HEADER = b"x-psfkg-peer"
#: The header by which the app asks the front to hold a client back for so many seconds (see
#: :meth:`psfkg.front.gate.Gate.hold_back`); it never leaves the server.
HOLD_HEADER = b"x-psfkg-hold"
#: Longest request head (request line and header fields), in bytes: past it, 431.
HEAD_BYTES = 64 << 10
#: Longest request line, and longest header field; most header fields (gunicorn's limits too).
LINE_BYTES = 8190
FIELDS = 100
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
        HOLD_HEADER,
    }
)

Headers = list[tuple[bytes, bytes]]


class Refused(Exception):
    """A request the front answers itself, with a status and a reason."""

    def __init__(self, status: int, reason: str, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.retry_after = status, reason, retry_after


@dataclass
class Answer:
    """A worker's answer, held whole: its status and headers, and its body in memory, in a
    spool file, or in a file of the release (``X-Sendfile``) with the range to send."""

    status: int
    headers: Headers
    reason: bytes = b""
    body: bytearray = dataclass_field(default_factory=bytearray)
    file: IO[bytes] | None = None
    offset: int = 0
    length: int = 0
    #: Bytes of it in a temporary file of the front's (not a release's file).
    spooled: int = 0

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class FileRange:
    """The bytes of an answer's file that ``sendfile`` writes, as h11 counts them."""

    def __init__(self, answer: Answer) -> None:
        self.length = answer.length

    def __len__(self) -> int:
        return self.length


def field(headers: Headers, name: bytes) -> bytes | None:
    """The value of the header field ``name`` (lower case), if any."""
    return next((v for k, v in headers if k.lower() == name), None)


def without(headers: Headers, *names: bytes) -> Headers:
    """The header fields but those named (in lower case)."""
    return [(k, v) for k, v in headers if k.lower() not in names]


def bounded(request: h11.Request) -> h11.Request:
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


def refusal(refused: Refused) -> Answer:
    """The front's own answer to a request it refuses: one line of plain text, as the app's
    errors are (``Error <status>: <reason>``)."""
    text = f"Error {refused.status}: {refused.reason}\n".encode()
    headers: Headers = [
        (b"Content-Type", b"text/plain; charset=utf-8"),
        (b"Cache-Control", b"no-store"),
        (b"X-Content-Type-Options", b"nosniff"),
    ]
    if refused.retry_after is not None:
        headers.append((b"Retry-After", b"%d" % refused.retry_after))
    reason = HTTPStatus(refused.status).phrase.encode()
    return Answer(refused.status, headers, reason, bytearray(text))


def raw(answer: Answer) -> bytes:
    """An answer as bytes, for a client whose request never parsed (h11 then sends none)."""
    head = b"HTTP/1.1 %d %s\r\n" % (answer.status, answer.reason)
    fields = [
        *answer.headers,
        (b"Content-Length", b"%d" % len(answer.body)),
        (b"Connection", b"close"),
    ]
    return head + b"".join(k + b": " + v + b"\r\n" for k, v in fields) + b"\r\n" + answer.body
