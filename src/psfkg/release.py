"""The release: the one contract between the build and the web.

A release is a folder the build writes once and never changes: the dumps, the source pages, the
named queries, the catalogue, VoID and statistics, the search index, each file listed with its
SHA-256 in ``SHA256SUMS`` and described in ``manifest.json``. The web tier reads a release only
through :class:`Published`, so a release copied alone to another machine serves identically. The
``latest`` link names the release to serve; it is switched with one atomic rename.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ReleaseError
from .index import Index
from .named_queries import NamedQuery, parse

LATEST = "latest"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
#: Folders of a release: the source pages (``<key>.txt``) and the named queries (``<name>.rq``).
SOURCES, QUERIES = "sources", "queries"
#: The DCAT-AP catalogue and the VoID description, built with the release (N-Triples, sorted).
CATALOG, VOID_FILE = "catalog.nt", "void.nt"
#: The search index, built with the release (SQLite, FTS5: see :mod:`psfkg.index`).
SEARCH = "search.sqlite"
#: What changed since the previous release (see :mod:`psfkg.build.changes`): the RDF Patch, the
#: same quads as two N-Quads files, and the changelog. A release with no predecessor has none.
PATCH, ADDED, REMOVED, CHANGES = "changes.rdfp", "added.nq", "removed.nq", "changes.json"
#: The per-resource index of the release's quads, which serves its past versions (Memento).
RESOURCES = "resources.sqlite"
#: The layout of :data:`RESOURCES`: a quad's subject (an IRI or ``_:b``), predicate, object IRI
#: (None for a literal or a blank node), the object's N-Triples text when it is no IRI (else
#: None), and its graph's IRI. The quad's N-Triples line is made of these (see :data:`LINE`).
#: Releases built before this layout hold the line itself in a column ``line`` instead of
#: ``term``, and the oldest no column ``g``.
SCHEMA = "CREATE TABLE quads (s TEXT NOT NULL, p TEXT NOT NULL, o TEXT, term TEXT, g TEXT);"
#: The indexes of :data:`RESOURCES`, made once its rows are in: by subject, and by object IRI
#: (literals left out, as no look-up asks for one).
INDEXES = (
    "CREATE INDEX by_subject ON quads (s);CREATE INDEX by_object ON quads (o) WHERE o IS NOT NULL;"
)
#: The N-Triples line of a row of :data:`RESOURCES`, in SQL.
LINE = (
    "CASE WHEN substr(s, 1, 2) = '_:' THEN s ELSE '<' || s || '>' END"
    " || ' <' || p || '> ' || coalesce('<' || o || '>', term) || ' .' || char(10)"
)
#: The files of a release, before their ``.gz`` twins: name -> what it holds.
FILES = {
    "psfkg.ttl": "ontology and asserted triples, Turtle",
    "psfkg.nt": "ontology and asserted triples, N-Triples",
    "psfkg.jsonld": "ontology and asserted triples, JSON-LD compacted with context.jsonld",
    "psfkg.nq": "the whole dataset: graphs ontology, asserted, inferred and metadata, N-Quads",
    "context.jsonld": "the JSON-LD context of psfkg.jsonld",
    "validation.ttl": "the SHACL validation report, Turtle",
}


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def apply_patch(quads: set[str], patch: str) -> set[str]:
    r"""Apply an RDF Patch (as :mod:`psfkg.build.changes` writes one: header, ``TX``, ``D`` and
    ``A`` rows of N-Quads, ``TC``) to a set of N-Quads lines, blank node labels as written.

    >>> sorted(apply_patch({"<a> <b> <c> ."}, "TX .\nD <a> <b> <c> .\nA <a> <b> <d> .\nTC .\n"))
    ['<a> <b> <d> .']

    :raises ReleaseError: for a row that is not a header, a transaction mark, ``A`` or ``D``.
    """
    out = set(quads)
    for row in patch.splitlines():
        code, _, rest = row.partition(" ")
        if code == "A":
            out.add(rest)
        elif code == "D":
            out.discard(rest)
        elif code not in ("H", "TX", "TC", "TA", ""):
            raise ReleaseError(f"not an RDF Patch row: {row[:80]!r}")
    return out


def point_latest(releases_dir: Path, name: str) -> None:
    """Switch the ``latest`` link to release ``name`` with one atomic rename."""
    link = releases_dir / LATEST
    tmp = releases_dir / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(name, tmp)
    os.replace(tmp, link)


def candidates(releases_dir: Path) -> list[Path]:
    """The releases to serve, in order of preference: ``latest``, then the others, newest
    first (none when there is no ``latest``)."""
    newest = latest(releases_dir)
    if newest is None:
        return []
    earlier = sorted(
        (
            p
            for p in releases_dir.iterdir()
            if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
        ),
        key=lambda p: p.name,
        reverse=True,
    )
    return [newest, *(p for p in earlier if p != newest)]


def latest(releases_dir: Path) -> Path | None:
    """The current release directory, if there is one."""
    link = releases_dir / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


#: What every release holds, whatever else it lists, and what its manifest must say.
REQUIRED = (MANIFEST, "psfkg.nq", CATALOG, VOID_FILE, "validation.ttl")
MANIFEST_KEYS = ("version", "date", "base_iri", "triples", "default_graph_triples", "files")


@dataclass(frozen=True)
class Published:
    """A release opened for serving, its files checked against ``SHA256SUMS``."""

    path: Path
    manifest: dict[str, Any]
    etag: str
    #: The files ``SHA256SUMS`` lists: the only ones a server reads.
    names: frozenset[str]

    @property
    def name(self) -> str:
        """The release's folder name (its id)."""
        return self.path.name

    @property
    def base(self) -> str:
        """The base IRI the release was built under: every IRI it mints starts with it."""
        base: str = self.manifest["base_iri"]
        return base

    @property
    def dataset_file(self) -> Path:
        """The N-Quads dump of the whole dataset."""
        return self.path / "psfkg.nq"

    def file(self, name: str) -> Path | None:
        """A file of the release by its name in ``SHA256SUMS`` (``sources/x.txt``), else None:
        no other path is ever opened, nor one that a link leads out of the release."""
        if name not in self.names:
            return None
        path = self.path / name
        return path if path.resolve().is_relative_to(self.path.resolve()) else None

    def read(self, name: str) -> bytes | None:
        """The bytes of a file of the release (see :meth:`file`)."""
        path = self.file(name)
        return path.read_bytes() if path is not None else None

    def source_text(self, key: str) -> bytes | None:
        """The text of the source page ``key``, if the release holds it."""
        return self.read(f"{SOURCES}/{key}.txt")

    def search_index(self) -> Index | None:
        """The release's search index, opened read-only; None for a release built without one,
        or with one of another layout."""
        path = self.file(SEARCH)
        index = Index(path) if path is not None else None
        return index if index is not None and index.readable() else None

    def named_queries(self) -> dict[str, NamedQuery]:
        """The release's named queries, by name, their IRIs under the release's base."""
        return {
            name: parse(name, (self.path / f"{QUERIES}/{name}.rq").read_text(encoding="utf-8"))
            for name in self.manifest.get("queries", [])
            if f"{QUERIES}/{name}.rq" in self.names
        }

    @property
    def default_graph_triples(self) -> int:
        """Triples of the default graph, the set union of the graphs (fewer than the quads when
        a triple is held in several graphs)."""
        found: int = self.manifest["default_graph_triples"]
        return found

    @classmethod
    def open(cls, path: Path, *, verify: Collection[str] | None = None) -> Published:
        """Open a release and verify every file it lists.

        :param verify: the files whose checksums are compared (the rest need only exist): what a
            build reads of earlier releases, so that it does not read all of every one of them.
        :raises ReleaseError: for a missing manifest or file, or a checksum that does not match.
        """
        try:
            sums = (path / CHECKSUMS).read_text(encoding="utf-8")
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReleaseError(f"release {path.name} is incomplete: {exc}") from None
        names = set()
        for line in sums.splitlines():
            if not line.strip():
                continue
            digest, _, name = line.partition(" ")
            name = name[1:] if name[:1] in (" ", "*") else name  # text or binary mode
            if name.startswith("/") or ".." in name.split("/"):
                raise ReleaseError(f"release {path.name} is corrupt: {name!r} in SHA256SUMS")
            unchecked = verify is not None and name not in verify
            try:
                if not (path / name).is_file():
                    raise OSError(name)
                matches = unchecked or file_sha256(path / name) == digest
            except OSError:
                raise ReleaseError(
                    f"release {path.name} is incomplete: {name} is missing"
                ) from None
            if not matches:
                raise ReleaseError(
                    f"release {path.name} is corrupt: {name} does not match SHA256SUMS"
                )
            names.add(name)
        missing = [n for n in REQUIRED if n not in names]
        missing += [f"{MANIFEST}'s {k}" for k in MANIFEST_KEYS if k not in manifest]
        if missing:
            raise ReleaseError(
                f"release {path.name} lacks {', '.join(missing)}: "
                "it was built by an older psfkg, or changed since; build again"
            )
        return cls(path, manifest, sha256(sums.encode())[:16], frozenset(names))


def history(
    releases_dir: Path, opener: Callable[[Path], Published] | None = None
) -> list[Published]:
    """Every valid release in ``releases_dir``, oldest first (by folder name, which is the build
    time); a folder that does not open (incomplete, corrupt, of an older layout) is left out.

    :param opener: opens one release; :meth:`Published.open` unless given (a server passes one
        that remembers what it has checked).
    """
    found = []
    for path in sorted(candidates(releases_dir), key=lambda p: p.name):
        try:
            found.append((opener or Published.open)(path))
        except (ReleaseError, OSError):
            continue
    return found


def dataset_version(manifest: dict[str, Any], name: str) -> str:
    """The dataset version of a release: its manifest's ``dataset_version``; for a release built
    before there was one, the ``YYYY.MM.DD`` of its date."""
    found = manifest.get("dataset_version")
    return str(found) if found else str(manifest.get("date", name))[:10].replace("-", ".")


def next_dataset_version(releases_dir: Path, day: str) -> str:
    """The dataset version of a release built on ``day`` (``YYYY-MM-DD``): ``YYYY.MM.DD``, then
    ``YYYY.MM.DD.2``, ``.3``… for the second and later releases built that day among those on
    disk (one more than the highest there). Only manifests are read."""
    stem = day.replace("-", ".")
    taken = set()
    if releases_dir.is_dir():
        for path in releases_dir.iterdir():
            if path.is_symlink() or path.name.startswith(".") or not path.is_dir():
                continue
            try:
                manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(manifest, dict):
                taken.add(dataset_version(manifest, path.name))
    # After the highest taken that day, so that a version once given (since pruned) never returns.
    counts = [1 if v == stem else int(v[len(stem) + 1 :]) for v in taken if _of_day(v, stem)]
    return stem if not counts else f"{stem}.{max(counts) + 1}"


def _of_day(version: str, stem: str) -> bool:
    """Whether ``version`` is ``stem`` or ``stem.N``."""
    return version == stem or (
        version.startswith(stem + ".") and version[len(stem) + 1 :].isdigit()
    )


def protected(releases_dir: Path, releases: list[Published]) -> set[str]:
    """Names of the releases never pruned: the latest, the one ``psfkg rollback`` would point
    ``latest`` at (the newest good release older than it), and every release newer than the
    latest (after a rollback ``latest`` names an older one; the newer are what was rolled back
    from, there to point ``latest`` at again)."""
    current = latest(releases_dir)
    if current is None:
        return set()
    earlier = [r.name for r in releases if r.name < current.name]
    return {current.name, *earlier[-1:], *(r.name for r in releases if r.name > current.name)}


def prunable(releases_dir: Path, keep: int) -> list[Published]:
    """The releases ``psfkg prune`` removes to keep ``keep`` (0: all): the oldest beyond the
    ``keep`` newest, never a :func:`protected` one (so none newer than the latest). Folders
    that do not open are not touched."""
    if keep <= 0:
        return []
    releases = history(releases_dir)
    safe = protected(releases_dir, releases)
    return [r for r in releases[: max(0, len(releases) - keep)] if r.name not in safe]
