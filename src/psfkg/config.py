"""Settings, declared once as (name, default, help) in the manner of datasette.

Each is read from the environment variable ``PSFKG_<NAME>`` and documented in the README; a
test fails if one is not.

>>> settings = Settings.from_env({"PSFKG_BASE_IRI": "http://localhost:8000/"})
>>> settings.base_iri
'http://localhost:8000/'
>>> settings.data_dir.name
'data'
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PsfkgError
from .namespaces import DEFAULT_BASE

#: The project checkout: defaults for ``data/`` and ``releases/`` live here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


#: What an IRI may not hold (RFC 3987), and ``?`` and ``#``, which would end a base's path.
NOT_IN_BASE = re.compile(r'[\x00-\x20<>"{}|\\^`?#]')


def _base_iri(raw: str, var: str) -> str:
    """An http(s) IRI ending in ``/``, that every minted IRI can follow."""
    if not raw.startswith(("http://", "https://")) or not raw.endswith("/"):
        raise PsfkgError(f"{var} must be an http(s) IRI ending in '/', not {raw!r}")
    bad = NOT_IN_BASE.search(raw)
    if bad or len(raw) <= len("https://") or raw.split("//", 1)[1].startswith("/"):
        where = f": {bad.group()!r} at {bad.start() + 1}" if bad else ""
        raise PsfkgError(f"{var} is not a base IRI psfkg can mint under{where} ({raw!r})")
    return raw


def _url(raw: str, var: str) -> str:
    """Empty, or an http(s) URL ending in ``/``."""
    if raw and (not raw.startswith(("http://", "https://")) or not raw.endswith("/")):
        raise PsfkgError(f"{var} must be an http(s) URL ending in '/', not {raw!r}")
    return raw


def _address(raw: str, var: str) -> str:
    """A ``host:port`` address."""
    if not re.fullmatch(r"(?!-)[A-Za-z0-9.\[\]:-]*[A-Za-z0-9\]]:[0-9]{1,5}", raw):
        raise PsfkgError(f"{var} must be host:port, not {raw!r}")
    return raw


def _networks(raw: str, var: str) -> str:
    """Comma-separated IP addresses or CIDR blocks."""
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise PsfkgError(f"{var}: {part!r} is not an IP address or CIDR block") from None
    return raw


def _positive(number: Callable[[str], float]) -> Callable[[str, str], Any]:
    """A parser of numbers above 0 (``int`` or ``float``)."""

    def parse(raw: str, var: str) -> float:
        try:
            value = number(raw)
        except ValueError:
            raise PsfkgError(f"{var} must be a number, not {raw!r}") from None
        if value <= 0:
            raise PsfkgError(f"{var} must be positive, not {raw!r}")
        return value

    return parse


def _count(raw: str, var: str) -> int:
    """A whole number from 0."""
    if not raw.isdigit():
        raise PsfkgError(f"{var} must be a whole number from 0, not {raw!r}")
    return int(raw)


def _count_or_none(raw: str, var: str) -> int | None:
    """Empty (None: a default derived from other settings), or a whole number from 0."""
    return _count(raw, var) if raw else None


def _text(raw: str, var: str) -> str:
    return raw


def _path(raw: str, var: str) -> Path:
    return Path(raw)


def _flag(raw: str, var: str) -> bool:
    """Set when not empty."""
    return bool(raw)


@dataclass(frozen=True)
class Setting:
    """One setting: its name, its default (as the text the environment would hold), its help, and
    how its text becomes a value (raising :class:`PsfkgError` that names the variable)."""

    name: str
    default: str
    help: str
    parse: Callable[[str, str], Any] = _text

    @property
    def env_var(self) -> str:
        """The environment variable that sets it."""
        return f"PSFKG_{self.name.upper()}"


POSITIVE_INT, POSITIVE_FLOAT = _positive(int), _positive(float)

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "base_iri",
        DEFAULT_BASE,
        "Persistent base of every IRI psfkg mints (terms and data), at build time; a release is "
        "served under the base it was built with.",
        _base_iri,
    ),
    Setting(
        "data_dir",
        str(PROJECT_ROOT / "data"),
        "Folder of the records the graph is built from.",
        _path,
    ),
    Setting(
        "releases_dir",
        str(PROJECT_ROOT / "releases"),
        "Folder the releases are written to.",
        _path,
    ),
    Setting(
        "keep_releases",
        "0",
        "Releases psfkg prune keeps, the newest (0: keep all); it never removes the latest nor "
        "the one psfkg rollback would point latest at.",
        _count,
    ),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting(
        "public_url",
        "",
        "URL the site is published at, ending in '/'; when set, every link is under it, "
        "whatever Host a request carries.",
        _url,
    ),
    Setting(
        "allowed_hosts",
        "",
        "Host names requests may carry, comma-separated ('*' for any); others get 400. "
        "Default: the loopback names and the base IRI's host.",
    ),
    Setting(
        "trusted_proxies",
        "",
        "Addresses or CIDR blocks of reverse proxies whose X-Forwarded-For, -Proto, -Host and "
        "-Prefix are honoured; from anyone else they are dropped.",
        _networks,
    ),
    Setting("port", "8000", "Port the server listens on.", POSITIVE_INT),
    Setting(
        "workers",
        "8",
        "Web worker processes (gunicorn); each runs short queries, its query process longer ones.",
        POSITIVE_INT,
    ),
    Setting(
        "query_timeout",
        "30",
        "Wall-clock limit of one query, in seconds; past it, 503.",
        POSITIVE_FLOAT,
    ),
    Setting(
        "query_memory",
        "2147483648",
        "Bytes of memory one query may take beyond what its process held when it began; past "
        "them it is stopped with a 503 saying so (8 workers at 2 GiB fit a 24 GiB machine).",
        POSITIVE_INT,
    ),
    Setting(
        "long_queries",
        "",
        "Queries that may use more than a quarter second of CPU in the server at once (a "
        "client held to the fair share: one of them); a query turning long when none is free "
        "is stopped with 503 and Retry-After. Default: half the workers (at least 1); 0 for "
        "no limit.",
        _count_or_none,
    ),
    Setting(
        "client_timeout",
        "10",
        "Seconds a client may stay silent (before its request, or while it is sent the "
        "answer); then it is dropped.",
        POSITIVE_FLOAT,
    ),
    Setting(
        "request_deadline",
        "10",
        "Seconds a client has to send a whole request, from its first byte; past them, 408.",
        POSITIVE_FLOAT,
    ),
    Setting(
        "max_query_bytes",
        "65536",
        "Longest query accepted, in bytes; longer ones get 413.",
        POSITIVE_INT,
    ),
    Setting(
        "max_body_bytes",
        "1048576",
        "Largest request body accepted, in bytes; larger ones get 413.",
        POSITIVE_INT,
    ),
    Setting(
        "answer_cache_bytes",
        "33554432",
        "Bytes of answers each worker keeps for repeated queries (per release; 0 keeps none).",
        _count,
    ),
    Setting(
        "result_row_cap",
        "100000",
        "Most rows (or triples) one answer holds; the cut is reported.",
        POSITIVE_INT,
    ),
    Setting(
        "max_nesting",
        "64",
        "Deepest nesting of brackets in a query; deeper ones get 400.",
        POSITIVE_INT,
    ),
    Setting(
        "reconcile_batch",
        "50",
        "Most queries in one reconciliation batch (the manifest's batchSize), and most entities "
        "or properties in one data extension request; more get 413.",
        POSITIVE_INT,
    ),
    Setting(
        "reconcile_limit",
        "100",
        "Most candidates one reconciliation query (its limit) or one suggest request may ask "
        "for; more get 400.",
        POSITIVE_INT,
    ),
    Setting(
        "rate_limit",
        "600",
        "Requests a minute one client (address) may send to the server; 0 for no limit.",
        _count,
    ),
    Setting(
        "client_share",
        "2",
        "Queries one client (address) may have under way in the server at once; past them, "
        "429 with Retry-After. 0 for no limit.",
        _count,
    ),
    Setting(
        "rate_limit_loopback",
        "",
        "Set (to anything) to hold loopback clients to the rate limit and the fair share too.",
        _flag,
    ),
    Setting(
        "show_versions",
        "",
        "Set (to anything) to list the exact versions of the libraries at /-/versions.",
        _flag,
    ),
    Setting(
        "store",
        "embedded",
        "'embedded' (pyoxigraph, in memory), or the SPARQL endpoint URL of a "
        "triple store holding the release (see psfkg publish).",
    ),
    Setting("store_gsp", "", "Graph Store Protocol URL of that store, where psfkg publish loads."),
    Setting(
        "store_user", "", "User name for the store's Graph Store Protocol, if it asks for one."
    ),
    Setting("store_password", "", "Password for the store's Graph Store Protocol."),
    Setting(
        "store_isql",
        "127.0.0.1:1111",
        "Virtuoso's SQL address (host:port), where psfkg publish --bulk runs its bulk loader.",
        _address,
    ),
    Setting(
        "store_load_dir",
        "",
        "A folder Virtuoso may read (in its DirsAllowed), where psfkg publish --bulk places the "
        "dump it loads.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """The values of all settings for one run."""

    base_iri: str
    data_dir: Path
    releases_dir: Path
    keep_releases: int
    host: str
    public_url: str
    allowed_hosts: str
    trusted_proxies: str
    port: int
    workers: int
    query_timeout: float
    query_memory: int
    long_queries: int | None
    client_timeout: float
    request_deadline: float
    max_query_bytes: int
    max_body_bytes: int
    answer_cache_bytes: int
    result_row_cap: int
    max_nesting: int
    reconcile_batch: int
    reconcile_limit: int
    rate_limit: int
    client_share: int
    rate_limit_loopback: bool
    show_versions: bool
    store: str
    store_gsp: str
    store_user: str
    store_password: str
    store_isql: str
    store_load_dir: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read each setting from its ``PSFKG_<NAME>`` variable, else take its default.

        :param environ: the environment to read; ``os.environ`` when omitted.
        :raises PsfkgError: when a value is malformed.
        """
        env = os.environ if environ is None else environ
        return cls(**{s.name: s.parse(env.get(s.env_var, s.default), s.env_var) for s in SETTINGS})

    @property
    def long_slots(self) -> int:
        """Queries that may run long at once (``PSFKG_LONG_QUERIES``; 0 for no limit): by
        default half the workers, so that the other half are free for short queries."""
        return self.long_queries if self.long_queries is not None else max(1, self.workers // 2)
