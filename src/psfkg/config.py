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

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import PsfkgError
from .namespaces import DEFAULT_BASE

#: The project checkout: defaults for ``data/`` and ``releases/`` live here.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Setting:
    """One setting: its name, its default (as the text the environment would hold) and help."""

    name: str
    default: str
    help: str

    @property
    def env_var(self) -> str:
        """The environment variable that sets it."""
        return f"PSFKG_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("base_iri", DEFAULT_BASE, "Persistent base of every IRI psfkg mints (terms and data)."),
    Setting(
        "data_dir", str(PROJECT_ROOT / "data"), "Folder of the records the graph is built from."
    ),
    Setting("releases_dir", str(PROJECT_ROOT / "releases"), "Folder the releases are written to."),
    Setting("host", "127.0.0.1", "Address the server listens on."),
    Setting("port", "8000", "Port the server listens on."),
    Setting("workers", "8", "Web worker processes (gunicorn); each has its own query process."),
    Setting("query_timeout", "30", "Wall-clock limit of one query, in seconds; past it, 503."),
    Setting("client_timeout", "10", "Seconds a client may stay silent; then it is dropped."),
    Setting("max_query_bytes", "65536", "Longest query accepted, in bytes; longer ones get 413."),
    Setting(
        "max_body_bytes", "1048576", "Largest request body accepted, in bytes; larger ones get 413."
    ),
    Setting(
        "answer_cache_bytes",
        "33554432",
        "Bytes of answers each worker keeps for repeated queries (per release; 0 keeps none).",
    ),
    Setting(
        "result_row_cap", "100000", "Most rows (or triples) one answer holds; the cut is reported."
    ),
    Setting("max_nesting", "64", "Deepest nesting of brackets in a query; deeper ones get 400."),
    Setting(
        "rate_limit", "600", "Requests a minute one client (address) may send; 0 for no limit."
    ),
    Setting("rate_limit_loopback", "", "Set (to anything) to rate-limit loopback clients too."),
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
)


@dataclass(frozen=True)
class Settings:
    """The values of all settings for one run."""

    base_iri: str
    data_dir: Path
    releases_dir: Path
    host: str
    port: int
    workers: int
    query_timeout: float
    client_timeout: float
    max_query_bytes: int
    max_body_bytes: int
    answer_cache_bytes: int
    result_row_cap: int
    max_nesting: int
    rate_limit: int
    rate_limit_loopback: bool
    store: str
    store_gsp: str
    store_user: str
    store_password: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read each setting from its ``PSFKG_<NAME>`` variable, else take its default.

        :param environ: the environment to read; ``os.environ`` when omitted.
        :raises PsfkgError: when a value is malformed.
        """
        env = os.environ if environ is None else environ
        raw = {s.name: env.get(s.env_var, s.default) for s in SETTINGS}
        base = raw["base_iri"]
        if not base.startswith(("http://", "https://")) or not base.endswith("/"):
            raise PsfkgError(f"PSFKG_BASE_IRI must be an http(s) IRI ending in '/', not {base!r}")
        numbers: dict[str, float] = {}
        for name in (
            "port",
            "workers",
            "query_timeout",
            "client_timeout",
            "max_query_bytes",
            "max_body_bytes",
            "result_row_cap",
            "max_nesting",
        ):
            try:
                numbers[name] = float(raw[name]) if name.endswith("timeout") else int(raw[name])
            except ValueError:
                raise PsfkgError(
                    f"PSFKG_{name.upper()} must be a number, not {raw[name]!r}"
                ) from None
            if numbers[name] <= 0:
                raise PsfkgError(f"PSFKG_{name.upper()} must be positive, not {raw[name]!r}")
        return cls(
            base_iri=base,
            data_dir=Path(raw["data_dir"]),
            releases_dir=Path(raw["releases_dir"]),
            host=raw["host"],
            port=int(numbers["port"]),
            workers=int(numbers["workers"]),
            query_timeout=numbers["query_timeout"],
            client_timeout=numbers["client_timeout"],
            max_query_bytes=int(numbers["max_query_bytes"]),
            max_body_bytes=int(numbers["max_body_bytes"]),
            answer_cache_bytes=_count(raw["answer_cache_bytes"], "answer_cache_bytes"),
            result_row_cap=int(numbers["result_row_cap"]),
            max_nesting=int(numbers["max_nesting"]),
            rate_limit=_count(raw["rate_limit"], "rate_limit"),
            rate_limit_loopback=bool(raw["rate_limit_loopback"]),
            store=raw["store"],
            store_gsp=raw["store_gsp"],
            store_user=raw["store_user"],
            store_password=raw["store_password"],
        )


def _count(raw: str, name: str) -> int:
    """A whole number from 0."""
    if not raw.isdigit():
        raise PsfkgError(f"PSFKG_{name.upper()} must be a whole number from 0, not {raw!r}")
    return int(raw)
