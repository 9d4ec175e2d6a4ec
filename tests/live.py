"""Start the real server (``psfkg serve``, gunicorn) on 127.0.0.1 for tests, and stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psfkg.query.runner import INLINE_CHARS

#: A query that runs for minutes on the PSF data: a four-way cross join, counted.
RUNAWAY = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: The same, padded with a comment past the queries a worker evaluates itself: it runs in a
#: query process.
LONG_RUNAWAY = "#" + "x" * INLINE_CHARS + "\n" + RUNAWAY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(
    files: Sequence[Path] = (),
    *,
    releases: Path | None = None,
    workers: int = 2,
    env: dict[str, str] | None = None,
    startup: float = 60.0,
) -> Iterator[str]:
    """Run ``psfkg serve`` until the block ends; yield its base URL (``http://127.0.0.1:PORT``)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "psfkg",
        "serve",
        *map(str, files),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if releases is not None:
        args += ["--out", str(releases)]
    # The server logs a line per request: to a file, as an unread pipe would fill and block it.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            args,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + startup
        try:
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(
                        f"psfkg serve exited {process.returncode}: {log.read()[-3000:]}"
                    )
                try:
                    with urllib.request.urlopen(f"{base}/-/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            yield base
        finally:
            stop(process)


def stop(process: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Ask a server process to stop; kill it if it has not after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
