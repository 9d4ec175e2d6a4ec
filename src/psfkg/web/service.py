"""What the web tier serves: a store, its query runner, and the release it came from.

A :class:`Service` is one release (or one set of RDF files) opened for serving; it never changes.
:class:`Releases` holds the current one and switches to a new release when ``latest`` moves: the
new release is checked against its checksums and loaded before it is swapped in, and a release
that fails the check is not served (the reason shows at ``/-/health``). Each request takes the
current service once and keeps it, so no request sees half of one release and half of another.

Who switches: in-process (the Flask test client, ``flask run``), the request that finds ``latest``
moved, at most once a second. Under gunicorn, the master, between its rounds of keeping the
workers, never a worker (:mod:`psfkg.serving`): the master sets :attr:`Releases.inline` off
before it forks them, then loads each new release once, outside any request, and replaces its
workers with ones forked from it, which share the one store.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import abort, current_app, g
from rdflib import Graph, Namespace

from .. import namespaces
from ..config import Settings
from ..errors import ReleaseError
from ..named_queries import NamedQuery
from ..query.remote import RemoteStore
from ..query.runner import QueryRunner
from ..query.store import EmbeddedStore
from ..release import CATALOG, CHECKSUMS, VOID_FILE, Published, candidates, latest
from .answers import Answers
from .stats import Stats

EXTENSION = "psfkg"
#: Seconds between two looks at where ``latest`` points.
CHECK_EVERY = 1.0
log = logging.getLogger("psfkg.web")


@dataclass
class Service:
    """One release (or set of files) opened for serving."""

    settings: Settings
    store: EmbeddedStore | RemoteStore
    runner: QueryRunner
    #: The PSF release being served; None when serving arbitrary files.
    release: Published | None
    #: Changes whenever the served data changes; part of every ETag.
    etag: str
    triples: int
    #: Answers kept for repeated queries (new with each release).
    answers: Answers
    #: The base IRI of everything the served data mints: the release's, else the setting's.
    base: str
    #: The named queries of the release (none for files given on the command line).
    queries: dict[str, NamedQuery]
    #: Things derived from the (immutable) served data, computed once per worker.
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_files(cls, settings: Settings, files: Sequence[Path]) -> Service:
        """Serve RDF files in an embedded store."""
        store = EmbeddedStore.from_files(files)
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.read_bytes())
        return cls._serving(settings, store, None, digest.hexdigest()[:16])

    @classmethod
    def from_release(cls, settings: Settings, path: Path) -> Service:
        """Serve a release, after checking every file against its checksums.

        :raises ReleaseError: when the release is incomplete or corrupt.
        """
        published = Published.open(path)
        try:
            return cls._loaded(settings, published)
        except ReleaseError:
            raise
        except Exception as exc:  # whatever a release's files do to a loader, it is not served
            raise ReleaseError(f"release {path.name} cannot be served: {exc}") from exc

    @classmethod
    def _loaded(cls, settings: Settings, published: Published) -> Service:
        store: EmbeddedStore | RemoteStore
        if settings.store == "embedded":
            disjoint = published.default_graph_triples == sum(
                published.manifest["triples"].values()
            )
            store = EmbeddedStore.from_files([published.dataset_file], disjoint=disjoint)
        else:
            store = RemoteStore(
                settings.store,
                published.manifest["triples"],
                triples=published.default_graph_triples,
                timeout=settings.query_timeout,
            )
        served = cls._serving(settings, store, published, published.etag)
        # Read before workers fork (gunicorn preloads the app), so that a cold worker answers a
        # harvester's first request for the catalogue or VoID without reading them.
        for name in (CATALOG, VOID_FILE):
            served.release_graph(name).serialize(format="turtle")
        return served

    @classmethod
    def _serving(
        cls,
        settings: Settings,
        store: EmbeddedStore | RemoteStore,
        release: Published | None,
        etag: str,
    ) -> Service:
        runner = QueryRunner(
            store.answer, timeout=settings.query_timeout, memory=settings.query_memory
        )
        return cls(
            settings,
            store,
            runner,
            release,
            etag,
            len(store),
            Answers(settings.answer_cache_bytes),
            release.base if release else settings.base_iri,
            release.named_queries() if release else {},
        )

    @functools.cached_property
    def prefixes(self) -> dict[str, str]:
        """psfkg's prefixes, its own namespaces under the served base."""
        return namespaces.prefixes(self.base)

    def release_graph(self, name: str) -> Graph:
        """A graph the build wrote into the release as N-Triples (the catalogue, VoID), read
        once, with psfkg's prefixes bound; an empty graph when serving files."""
        found: Graph | None = self.cache.get(name)
        if found is None:
            data = self.release.read(name) if self.release else None
            found = self.cache[name] = Graph().parse(data=data or b"", format="nt")
            for prefix, ns in {**self.prefixes, **namespaces.METADATA_PREFIXES}.items():
                found.bind(prefix, ns)
        return found

    @functools.cached_property
    def psf(self) -> Namespace:
        """psfkg's terms under the served base."""
        return Namespace(self.prefixes["psf"])


class Releases:
    """The service being served, switched when ``latest`` moves to another good release."""

    def __init__(self, settings: Settings, files: Sequence[Path] = ()) -> None:
        self.settings = settings
        self.files = list(files)
        self.started = time.time()
        #: The server's counters and rate-limit windows, shared by its workers, whatever the
        #: release (made here, before gunicorn forks them).
        self.stats = Stats()
        #: Whether :meth:`get` switches release itself; off in gunicorn's workers, whose master
        #: switches.
        self.inline = True
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        #: The release last refused, as :func:`_state` saw it.
        self._refused: tuple[Path, float] | None = None
        if self.files:
            self.current = Service.from_files(settings, self.files)
        else:
            self.current = self._first_good()

    def _first_good(self) -> Service:
        """The latest release, or, when it is corrupt, the newest earlier one that is good."""
        found = candidates(self.settings.releases_dir)
        if not found:
            raise ReleaseError(
                f"no release in {self.settings.releases_dir}: run `psfkg build` first"
            )
        for candidate in found:
            try:
                service = Service.from_release(self.settings, candidate)
            except ReleaseError as exc:
                self.problem = f"{exc}; serving an earlier good release"
                self._refused = self._refused or _state(candidate)
                log.error("%s", exc)
                continue
            return service
        raise ReleaseError(f"no good release in {self.settings.releases_dir}: {self.problem}")

    @property
    def problem(self) -> str | None:
        """Why the release ``latest`` names is not served, if it is not (shared by the workers)."""
        return self.stats.problem

    @problem.setter
    def problem(self, text: str | None) -> None:
        self.stats.problem = text

    def get(self) -> Service:
        """The current service, after switching release if ``latest`` has moved (in-process
        only: see the module's text)."""
        if self.inline and not self.files and time.monotonic() - self._checked >= CHECK_EVERY:
            self.switch()
        return self.current

    def switch(self) -> bool:
        """Switch to the release ``latest`` names if it has moved there and the release is good;
        whether it switched. A release refused is not tried again until its checksums change."""
        if self.files:
            return False
        with self._lock:
            self._checked = time.monotonic()
            target = latest(self.settings.releases_dir)
            release = self.current.release
            if target is None or release is None or target == release.path:
                return False
            seen = _state(target)
            if seen == self._refused:
                return False  # refused already, and unchanged since: not loaded again each second
            try:
                fresh = Service.from_release(self.settings, target)
            except ReleaseError as exc:
                self.problem = f"{exc}; still serving release {release.name}"
                self._refused = seen
                log.error("%s", self.problem)
                return False
            old, self.current, self.problem = self.current, fresh, None
            log.warning("switched from release %s to %s", release.name, target.name)
        old.runner.close()
        return True


def _state(path: Path) -> tuple[Path, float]:
    """A release as it stands: its folder and when its checksums last changed."""
    try:
        return path, (path / CHECKSUMS).stat().st_mtime
    except OSError:
        return path, 0.0


def service() -> Service:
    """The service of the current request: taken once, then the same for the whole request."""
    found: Service | None = g.get("psfkg_service")
    if found is None:
        found = g.psfkg_service = releases().get()
    return found


def served_release() -> Published:
    """The PSF release of the current request; 404 when the server serves files given on the
    command line, which have no release (no landing page, catalogue, dumps or records)."""
    published = service().release
    if published is None:
        abort(
            404,
            "this server serves files given on the command line, not a PSF release: see /sparql",
        )
    return published


def stats() -> Stats:
    """The server's counters, rate-limit windows and fair shares."""
    return releases().stats


def releases() -> Releases:
    """The app's release holder."""
    holder: Releases = current_app.extensions[EXTENSION]
    return holder
