"""Step 5: write a release directory, atomically.

A release is written into a staging folder beside the others, then renamed into place, and the
``latest`` link is switched with an atomic rename. A build that fails at any point leaves the
previous releases and ``latest`` as they were. Dumps are sorted so that two builds of the same
data are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Node

from . import __version__, writers
from .errors import ReleaseError
from .namespaces import ASSERTED_GRAPH, DEFAULT_BASE, ONTOLOGY_GRAPH, prefixes, rebase

LATEST = "latest"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
#: The files of a release, before their ``.gz`` twins: name -> what it holds.
FILES = {
    "psfkg.ttl": "ontology and asserted triples, Turtle",
    "psfkg.nt": "ontology and asserted triples, N-Triples",
    "psfkg.jsonld": "ontology and asserted triples, JSON-LD compacted with context.jsonld",
    "psfkg.nq": "the whole dataset: graphs ontology, asserted, inferred and metadata, N-Quads",
    "context.jsonld": "the JSON-LD context of psfkg.jsonld",
    "validation.ttl": "the SHACL validation report, Turtle",
}


@dataclass(frozen=True)
class Contents:
    """What goes into a release: the four named graphs and the validation report."""

    graphs: Mapping[URIRef, Graph]
    report: Graph
    source_hashes: Mapping[str, str]


def rebased(graph: Graph, base: str) -> Graph:
    """A copy of ``graph`` with every IRI under the default base moved to ``base``."""
    if base == DEFAULT_BASE:
        return writers.canonical(graph)

    def move(term: Node) -> Node:
        return URIRef(rebase(str(term), base)) if isinstance(term, URIRef) else term

    out = Graph()
    for s, p, o in graph:
        out.add((move(s), move(p), move(o)))
    return writers.canonical(out)


def context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The published JSON-LD context: psfkg's prefixes."""
    return {"@context": prefixes(base)}


def _bind(graph: Graph, base: str) -> Graph:
    for prefix, ns in prefixes(base).items():
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def write(
    contents: Contents,
    releases_dir: Path,
    *,
    base: str = DEFAULT_BASE,
    on_file: Callable[[str], None] | None = None,
) -> Path:
    """Write a new release and make it ``latest``; return its directory.

    :param contents: the graphs and report to publish.
    :param releases_dir: the folder holding every release and the ``latest`` link.
    :param base: the base IRI to publish under.
    :param on_file: called with each file name as it is written (for progress).
    :raises ReleaseError: when the release cannot be written; nothing is left half-written.
    """
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        releases_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=releases_dir))
    except OSError as exc:
        raise ReleaseError(f"cannot create a release in {releases_dir}: {exc.strerror}") from exc
    try:
        public = {f"<{rebase(str(g), base)}>" for g in (ONTOLOGY_GRAPH, ASSERTED_GRAPH)}
        writers.write_dumps(staging, contents.graphs, public, base)
        _write_file(
            staging / "context.jsonld", (json.dumps(context(base), indent=1) + "\n").encode()
        )
        report = _bind(rebased(contents.report, base), base)
        _write_file(staging / "validation.ttl", report.serialize(format="turtle").encode("utf-8"))
        sums: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for name in FILES:
            for path in (staging / name, writers.gzip_file(staging / name)):
                sums[path.name], sizes[path.name] = writers.file_sha256(path), path.stat().st_size
            if on_file:
                on_file(name)
        manifest = {
            "version": __version__,
            "date": now.isoformat().replace("+00:00", "Z"),
            "base_iri": base,
            "triples": {
                rebase(str(g), base): len(graph) for g, graph in sorted(contents.graphs.items())
            },
            "sources": dict(sorted(contents.source_hashes.items())),
            "files": {n: {"bytes": sizes[n], "sha256": sums[n]} for n in sorted(sums)},
        }
        data = (json.dumps(manifest, indent=1) + "\n").encode()
        _write_file(staging / MANIFEST, data)
        sums[MANIFEST] = sha256(data)
        _write_file(
            staging / CHECKSUMS, "".join(f"{sums[n]}  {n}\n" for n in sorted(sums)).encode()
        )
        final = _free_name(releases_dir, now.strftime("%Y%m%dT%H%M%SZ"))
        staging.chmod(0o755)
        os.rename(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseError(
            f"writing the release failed ({exc.strerror}); the previous release is untouched"
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    point_latest(releases_dir, final.name)
    return final


def point_latest(releases_dir: Path, name: str) -> None:
    """Switch the ``latest`` link to release ``name`` with one atomic rename."""
    link = releases_dir / LATEST
    tmp = releases_dir / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(name, tmp)
    os.replace(tmp, link)


def latest(releases_dir: Path) -> Path | None:
    """The current release directory, if there is one."""
    link = releases_dir / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _free_name(releases_dir: Path, stem: str) -> Path:
    candidate, n = releases_dir / stem, 1
    while candidate.exists():
        n += 1
        candidate = releases_dir / f"{stem}-{n}"
    return candidate


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class Published:
    """A release opened for serving, its files checked against ``SHA256SUMS``."""

    path: Path
    manifest: dict[str, Any]
    etag: str

    @property
    def name(self) -> str:
        """The release's folder name (its id)."""
        return self.path.name

    @property
    def dataset_file(self) -> Path:
        """The N-Quads dump of the whole dataset."""
        return self.path / "psfkg.nq"

    @classmethod
    def open(cls, path: Path) -> Published:
        """Open a release and verify every file it lists.

        :raises ReleaseError: for a missing manifest or file, or a checksum that does not match.
        """
        try:
            sums = (path / CHECKSUMS).read_text(encoding="utf-8")
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReleaseError(f"release {path.name} is incomplete: {exc}") from None
        for line in sums.splitlines():
            digest, _, name = line.partition("  ")
            try:
                actual = writers.file_sha256(path / name)
            except OSError:
                raise ReleaseError(
                    f"release {path.name} is incomplete: {name} is missing"
                ) from None
            if actual != digest:
                raise ReleaseError(
                    f"release {path.name} is corrupt: {name} does not match SHA256SUMS"
                )
        return cls(path, manifest, sha256(sums.encode())[:16])
