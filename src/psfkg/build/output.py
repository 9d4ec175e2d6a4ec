"""Step 5: write a release directory, atomically.

A release is written into a staging folder beside the others, then renamed into place, and the
``latest`` link is switched with an atomic rename. A build that fails at any point leaves the
previous releases and ``latest`` as they were. Dumps are sorted so that two builds of the same
data are byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from .. import __version__
from ..errors import ReleaseError
from ..namespaces import (
    ASSERTED_GRAPH,
    DEFAULT_BASE,
    ONTOLOGY_GRAPH,
    PSF,
    prefixes,
    rebase,
)
from ..release import (
    CATALOG,
    CHANGES,
    CHECKSUMS,
    FILES,
    MANIFEST,
    QUERIES,
    RESOURCES,
    SEARCH,
    SOURCES,
    VOID_FILE,
    Published,
    file_sha256,
    history,
    latest,
    next_dataset_version,
    point_latest,
    sha256,
)
from . import catalog, changes, mementos, search, versions
from . import dumps as writers
from .triples import AnyGraph


@dataclass(frozen=True)
class Contents:
    """What goes into a release: the four named graphs, the validation report, the source pages
    (key -> file) with their hashes, and the named queries (name -> text), all under the
    default base."""

    graphs: Mapping[URIRef, AnyGraph]
    report: Graph
    source_hashes: Mapping[str, str]
    pages: Mapping[str, Path] = field(default_factory=dict)
    queries: Mapping[str, str] = field(default_factory=dict)
    #: Terms already converted for pyoxigraph, under the default base (by validation).
    terms: writers.Terms | None = None


def rebased(graph: Graph, base: str) -> Graph:
    """A copy of ``graph`` with every IRI under the default base moved to ``base``: IRIs, and
    the plain literals that begin with one (such as ``void:uriSpace``)."""
    if base == DEFAULT_BASE:
        return writers.canonical(graph)

    def move(term: Node) -> Node:
        if isinstance(term, URIRef):
            return URIRef(rebase(str(term), base))
        if isinstance(term, Literal) and term.datatype in (None, XSD.string) and not term.language:
            return Literal(rebase(str(term), base), datatype=term.datatype)
        return term

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
        final = _free_name(releases_dir, now.strftime("%Y%m%dT%H%M%SZ"))
        sums = _fill(staging, contents, base, now, on_file or (lambda _: None), final.name)
        _write_file(
            staging / CHECKSUMS, "".join(f"{sums[n]}  {n}\n" for n in sorted(sums)).encode()
        )
        staging.chmod(0o755)
        os.rename(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseError(
            f"writing the release failed ({exc.strerror}); the previous release is untouched"
        ) from exc
    except BrokenProcessPool as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReleaseError(
            "a process writing the release's indexes ended before it was done (killed, or out "
            "of memory?); the previous release is untouched"
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    point_latest(releases_dir, final.name)
    return final


#: The processes that write the files read from the dumps (the resource index, the search index,
#: Turtle, JSON-LD, the changes): each is a core's work for a while, and holds little memory.
WORKERS = 4


def _fill(
    staging: Path,
    contents: Contents,
    base: str,
    now: datetime,
    on_file: Callable[[str], None],
    release_id: str,
) -> dict[str, str]:
    """Write every file of a release but ``SHA256SUMS`` into ``staging``; their checksums.
    ``release_id`` is the release's id: its catalogue lists it and the good releases before it
    on disk as the dataset's versions (a release never changes: later ones are in theirs)."""
    sums: dict[str, str] = {}
    sizes: dict[str, int] = {}
    stats, changed = _files(staging, contents, base, sums, sizes, on_file)
    manifest: dict[str, Any] = {
        "version": __version__,
        "dataset_version": next_dataset_version(staging.parent, now.date().isoformat()),
        "date": now.isoformat().replace("+00:00", "Z"),
        "base_iri": base,
        "triples": {
            rebase(str(g), base): len(graph) for g, graph in sorted(contents.graphs.items())
        },
        "sources": dict(sorted(contents.source_hashes.items())),
        "files": {n: {"bytes": sizes[n], "sha256": sums[n]} for n in sorted(sums)},
        "queries": sorted(contents.queries),
    }
    if changed:
        log = json.loads(changed[CHANGES])
        manifest["changes"] = {
            "previous": log["previous"],
            "quads": log["quads"],
            "resources": {k: len(log[k]) for k in ("added", "removed", "changed")},
        }
    extra = {f"{SOURCES}/{key}.txt": path.read_bytes() for key, path in contents.pages.items()}
    for name, text in contents.queries.items():
        extra[f"{QUERIES}/{name}.rq"] = text.replace(DEFAULT_BASE, base).encode("utf-8")
    manifest["default_graph_triples"] = stats.triples
    described = {**manifest, "base_iri": DEFAULT_BASE}
    earlier = [
        versions.version_of(r.name, r.manifest, Graph().parse(r.path / CATALOG, format="nt"))
        for r in history(staging.parent, opener=_glance)
        if r.name < release_id
    ]
    dcat = catalog.dcat(described, contents.graphs, site=DEFAULT_BASE)
    versions.add(dcat, described, release_id, earlier, site=DEFAULT_BASE)
    extra[CATALOG] = ntriples(rebased(dcat, base))
    extra[VOID_FILE] = ntriples(catalog.void(manifest, stats, site=base))
    extra[MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
    for folder in (SOURCES, QUERIES):
        (staging / folder).mkdir()
    for name, data in extra.items():
        _write_file(staging / name, data)
        sums[name] = sha256(data)
    return sums


def _files(
    staging: Path,
    contents: Contents,
    base: str,
    sums: dict[str, str],
    sizes: dict[str, int],
    on_file: Callable[[str], None],
) -> tuple[writers.Statistics, dict[str, bytes]]:
    """Write the dumps, their gzip twins and the indexes into ``staging``, their checksums and
    sizes into ``sums`` and ``sizes``; the statistics of the dumps, and the change files (by
    name) when there is a predecessor to compare with.

    The main process writes ``psfkg.nq`` and ``psfkg.nt`` from the sorted rows and lets them
    go; what reads those files is done in processes of their own, on the other cores, while it
    goes on; zlib and hashlib let go of the GIL, so the dumps are packed and summed in threads.
    """
    public = {f"<{rebase(str(g), base)}>" for g in (ONTOLOGY_GRAPH, ASSERTED_GRAPH)}
    rows = writers.sorted_rows(contents.graphs, base, contents.terms)
    writers.write_lines(staging / "psfkg.nq", rows, graphs=True)
    with (
        ProcessPoolExecutor(max_workers=WORKERS, mp_context=get_context("spawn")) as apart,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        packed = {"psfkg.nq": pool.submit(_packed, staging / "psfkg.nq")}
        indexed = apart.submit(mementos.write, staging / "psfkg.nq", staging / RESOURCES)
        counted = apart.submit(writers.statistics, staging / "psfkg.nq", base)
        writers.write_lines(staging / "psfkg.nt", writers.public_rows(rows, public), graphs=False)
        del rows  # the largest object of the release step, not needed beyond this
        packed["psfkg.nt"] = pool.submit(_packed, staging / "psfkg.nt")
        written = {
            name: apart.submit(writers.from_ntriples, staging / name, staging / "psfkg.nt", base)
            for name in ("psfkg.ttl", "psfkg.jsonld")
        }
        searched = apart.submit(search.write, staging / SEARCH, staging / "psfkg.nt", base)
        previous = latest(staging.parent)
        # A predecessor without N-Quads (built by an older psfkg) has nothing to compare with.
        compared = (
            apart.submit(changes.compare, previous, staging, base)
            if previous is not None and (previous / "psfkg.nq").is_file()
            else None
        )
        _write_file(
            staging / "context.jsonld", (json.dumps(context(base), indent=1) + "\n").encode()
        )
        report = _bind(rebased(published_report(contents.report), base), base)
        _write_file(staging / "validation.ttl", report.serialize(format="turtle").encode("utf-8"))
        for name, job in written.items():
            job.result()
            packed[name] = pool.submit(_packed, staging / name)
        for name in FILES.keys() - packed.keys():
            packed[name] = pool.submit(_packed, staging / name)
        for name, job in ((SEARCH, searched), (RESOURCES, indexed)):
            job.result()
            sums[name], sizes[name] = file_sha256(staging / name), (staging / name).stat().st_size
        changed = compared.result() if compared is not None else {}
        for name, data in changed.items():
            _write_file(staging / name, data)
            sums[name], sizes[name] = sha256(data), len(data)
        for name in FILES:
            for path, (digest, size) in packed[name].result().items():
                sums[path], sizes[path] = digest, size
            on_file(name)
        return counted.result(), changed


def _packed(path: Path) -> dict[str, tuple[str, int]]:
    """Write ``path.gz``; the SHA-256 and size of both files, by name."""
    return {p.name: (file_sha256(p), p.stat().st_size) for p in (path, writers.gzip_file(path))}


def ntriples(graph: Graph) -> bytes:
    """A graph as N-Triples, its lines sorted: the same bytes for the same graph."""
    lines = graph.serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
    return b"".join(sorted(line for line in lines if line.strip()))


def published_report(results: Graph) -> Graph:
    """The validation report as published: ``sh:conforms`` as SHACL defines it (true only when
    there is no result at all, whatever the severity), and psfkg's own verdict beside it as
    ``psf:violations``, the number of results of severity ``sh:Violation``."""
    out = Graph()
    for triple in results:
        if triple[1] != SH.conforms:
            out.add(triple)
    found = list(out.subjects(RDF.type, SH.ValidationResult))
    violations = sum(1 for r in found if (r, SH.resultSeverity, SH.Violation) in out)
    for report in results.subjects(RDF.type, SH.ValidationReport):
        out.add((report, SH.conforms, Literal(not found)))
        out.add((report, PSF.violations, Literal(violations)))
    return out


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


def _glance(path: Path) -> Published:
    """An earlier release as the catalogue's versions read it: its manifest and catalogue are
    checked against its SHA256SUMS, its other files need only be there (reading every byte of
    every earlier release would make each build slower than the one before)."""
    return Published.open(path, verify=(MANIFEST, CATALOG))
