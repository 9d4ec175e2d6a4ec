"""What the web tier serves: a store, its query runner, and the release it came from."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from ..config import Settings
from ..errors import ReleaseError
from ..release import Published, latest
from ..remote import RemoteStore
from ..runner import QueryRunner
from ..store import EmbeddedStore
from .stats import Stats

EXTENSION = "psfkg"


@dataclass
class Service:
    """The state shared by the blueprints, kept in ``app.extensions["psfkg"]``."""

    settings: Settings
    store: EmbeddedStore | RemoteStore
    runner: QueryRunner
    #: The PSF release being served; None when serving arbitrary files.
    release: Published | None
    #: Changes whenever the served data changes; part of every ETag.
    etag: str
    triples: int
    #: Things derived from the (immutable) served data, computed once per worker.
    cache: dict[str, Any] = field(default_factory=dict)
    #: This worker's counters and rate-limit windows.
    stats: Stats = field(default_factory=Stats)

    @classmethod
    def load(cls, settings: Settings, files: Sequence[Path] = ()) -> Service:
        """Open the latest release (or the given RDF files) into an embedded store.

        :raises ReleaseError: when there is no release, or it is incomplete or corrupt.
        """
        published: Published | None = None
        store: EmbeddedStore | RemoteStore
        if files:
            store = EmbeddedStore.from_files(files)
            digest = hashlib.sha256()
            for path in files:
                digest.update(path.read_bytes())
            etag = digest.hexdigest()[:16]
        else:
            current = latest(settings.releases_dir)
            if current is None:
                raise ReleaseError(
                    f"no release in {settings.releases_dir}: run `psfkg build` first"
                )
            published = Published.open(current)
            if settings.store == "embedded":
                store = EmbeddedStore.from_files([published.dataset_file])
            else:
                counts = published.manifest["triples"]
                store = RemoteStore(
                    settings.store,
                    counts,
                    triples=sum(counts.values()),
                    timeout=settings.query_timeout,
                )
            etag = published.etag
        runner = QueryRunner(store.answer, timeout=settings.query_timeout)
        return cls(settings, store, runner, published, etag, len(store))


def service() -> Service:
    """The service of the current app."""
    found: Service = current_app.extensions[EXTENSION]
    return found
