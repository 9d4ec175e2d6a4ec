"""The production deployment: Debian's nginx (deploy/nginx.conf) in front of psfkg, under a path,
with psfkg trusting nginx's forwarded headers; slow clients and slow readers cost nginx."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from psfkg.config import PROJECT_ROOT

from .live import free_port, live_server, stop
from .sparql_http import fetch

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
PREFIX = "/psf"


@pytest.fixture(scope="module")
def nginx_site(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx on 127.0.0.1 in front of the real server; yields the site's URL (ending in /psf/)."""
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed: .ci/run installs Debian's nginx")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    runtime = tmp_path_factory.mktemp("nginx")
    runtime.chmod(0o777)  # nginx's workers, as nobody, write their buffers there
    env = {"PSFKG_TRUSTED_PROXIES": "127.0.0.1", "PSFKG_WORKERS": "2"}
    with live_server(releases=releases, workers=2, env=env) as upstream:
        port = free_port()
        conf = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
        for key, value in {
            "@RUNTIME@": str(runtime),
            "@LISTEN@": f"127.0.0.1:{port}",
            "@UPSTREAM@": upstream.removeprefix("http://"),
            "@PREFIX@": PREFIX,
        }.items():
            conf = conf.replace(key, value)
        (runtime / "nginx.conf").write_text(conf, encoding="utf-8")
        process = subprocess.Popen(
            [NGINX, "-p", str(runtime), "-c", str(runtime / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            site = f"http://127.0.0.1:{port}{PREFIX}/"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if fetch("GET", site + "-/health").status_code == 200:
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (runtime / "error.log").read_text()
                        if (runtime / "error.log").exists()
                        else ""
                    )
                    raise RuntimeError(f"nginx did not start: {log[-2000:]}")
                time.sleep(0.1)
            yield site
        finally:
            stop(process)


def test_the_site_under_a_path_links_under_it(nginx_site: str) -> None:
    page = fetch("GET", nginx_site + "id/project/jatoc", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'href="/psf/id/country/latvia"' in page.text and 'href="/id/' not in page.text
    catalogue = fetch("GET", nginx_site + "catalog", headers={"Accept": "text/turtle"}).text
    assert f"<{nginx_site}sparql>" in catalogue and f"<{nginx_site}dumps/psfkg.ttl>" in catalogue
    answer = fetch("GET", nginx_site + "sparql?query=ASK%7B%7D")
    assert (answer.status_code, answer.text) == (200, '{"head": {}, "boolean": true}')


def test_slow_clients_hold_nginx_not_psfkg(nginx_site: str) -> None:
    """16 connections that send a header line a second (more than psfkg's 2 workers) while
    cheap queries are answered."""
    port = int(nginx_site.split(":")[2].split("/")[0])
    stop_at = time.monotonic() + 6
    sockets = []
    for _ in range(16):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"GET {PREFIX}/sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        sockets.append(s)

    def trickle() -> None:
        while time.monotonic() < stop_at:
            for s in sockets:
                with contextlib.suppress(OSError):
                    s.sendall(b"X-Slow: 1\r\n")
            time.sleep(1)

    slow = threading.Thread(target=trickle)
    slow.start()
    try:
        time.sleep(1.5)
        for _ in range(10):
            started = time.monotonic()
            answer = fetch("GET", nginx_site + "sparql?query=ASK%7B%7D")
            assert answer.status_code == 200 and time.monotonic() - started < 2
    finally:
        slow.join()
        for s in sockets:
            s.close()


def test_a_slow_reader_gets_a_whole_dump_and_holds_no_worker(nginx_site: str) -> None:
    port = int(nginx_site.split(":")[2].split("/")[0])
    head = fetch("HEAD", nginx_site + "dumps/psfkg.nq", headers={"Accept-Encoding": "identity"})
    expected = int(head.headers["Content-Length"])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        request = f"GET {PREFIX}/dumps/psfkg.nq HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        s.sendall((request + "Accept-Encoding: identity\r\nConnection: close\r\n\r\n").encode())
        received = b""
        started = time.monotonic()
        probed = False
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
            if not probed and time.monotonic() - started > 0.5:
                for _ in range(3):  # meanwhile both psfkg workers answer others at once
                    assert fetch("GET", nginx_site + "sparql?query=ASK%7B%7D").status_code == 200
                probed = True
            time.sleep(0.03)  # a slow reader: a few seconds for the 1x dump
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and len(body) == expected and probed
