"""Where links point: the site's own URL comes from configuration, never from a client.

Pages, the catalogue, VoID, the service description, ``robots.txt`` and the sitemap write
absolute links under the URL the request came to. A client chooses its ``Host`` header, and a
shared cache would hand a page built for a forged one to everyone, so:

- with ``PSFKG_PUBLIC_URL`` every request is served as if it came to that URL (scheme, host
  and path prefix), whatever its ``Host``;
- otherwise the ``Host`` must be one of ``PSFKG_ALLOWED_HOSTS`` (by default the loopback names
  and the base IRI's host; ``*`` allows any): another gets 400;
- ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Prefix`` are honoured only from the
  addresses of ``PSFKG_TRUSTED_PROXIES``, and dropped from anyone else.

This is a WSGI middleware around the Flask app, so that every link-making part of the app sees
the same, already-decided URL (``request.url_root``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Settings

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")
FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
#: The forwarded headers that change links (the scheme, host, port and path prefix).
FORWARDED_LINKS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)
REFUSED = b"Error 400: this site is not served under that Host; see PSFKG_ALLOWED_HOSTS\n"


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The Host names a request may carry (lower case, without port); ``*`` for any.

    >>> sorted(allowed_hosts(Settings.from_env({"PSFKG_ALLOWED_HOSTS": "Data.Example.org, x"})))
    ['data.example.org', 'x']
    """
    if settings.allowed_hosts:
        return frozenset(h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip())
    base_host = urlsplit(settings.base_iri).hostname or ""
    return frozenset({*LOOPBACK_NAMES, base_host})


def _hostname(host: str) -> str:
    """``Host`` without its port: ``[::1]:8000`` -> ``[::1]``, ``a.org:80`` -> ``a.org``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.rpartition(":")[0] if host.count(":") == 1 else host


class Hosts:
    """The middleware: decides the URL a request is served under, or refuses its Host."""

    def __init__(self, app: WSGIApp, settings: Settings) -> None:
        self.app = app
        self.behind_proxy: WSGIApp = ProxyFix(
            app, x_for=1, x_proto=1, x_host=1, x_prefix=1, x_port=1
        )
        self.allowed = allowed_hosts(settings)
        self.proxies = proxies(settings.trusted_proxies)
        self.public = urlsplit(settings.public_url) if settings.public_url else None

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        trusted = within(environ.get("REMOTE_ADDR", ""), self.proxies)
        if not trusted:
            for key in (FORWARDED_FOR, *FORWARDED_LINKS):
                environ.pop(key, None)
        if self.public is not None:
            for key in FORWARDED_LINKS:  # the configured URL decides, not a proxy's headers
                environ.pop(key, None)
            environ["wsgi.url_scheme"] = self.public.scheme
            environ["HTTP_HOST"] = self.public.netloc
            environ["SCRIPT_NAME"] = self.public.path.rstrip("/")
        elif "*" not in self.allowed and _hostname(_host(environ, trusted)) not in self.allowed:
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(REFUSED))),
                    ("Cache-Control", "no-store"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
            return [REFUSED]
        return (self.behind_proxy if trusted else self.app)(environ, start_response)


def proxies(setting: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of ``PSFKG_TRUSTED_PROXIES`` (addresses or CIDR blocks, comma-separated).

    :raises ValueError: for an entry that is neither.
    """
    return [ipaddress.ip_network(p.strip(), strict=False) for p in setting.split(",") if p.strip()]


def within(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _host(environ: Environ, trusted: bool) -> str:
    """The host a request came to: the last proxy's ``X-Forwarded-Host`` when it is trusted."""
    forwarded = environ.get(FORWARDED_LINKS[1]) if trusted else None
    if forwarded:
        return str(forwarded).split(",")[-1]
    return str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""))
