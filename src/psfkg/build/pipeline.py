"""The build, step by step: records -> mapping -> reasoning -> validation -> release."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Graph, URIRef

from .. import named_queries
from ..config import PROJECT_ROOT
from ..errors import ValidationFailed
from ..namespaces import (
    ASSERTED_GRAPH,
    DEFAULT_BASE,
    INFERRED_GRAPH,
    METADATA_GRAPH,
    ONTOLOGY_GRAPH,
)
from ..progress import Progress
from ..release import FILES, file_sha256
from . import dumps, mapping, output, reasoning, records, tables, triples, validation

#: The named queries the build copies into each release.
QUERIES_DIR = PROJECT_ROOT / "queries"


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused for a while. The build makes millions of small objects
    (terms, tuples of terms) that live until it ends, and each full collection walks them all:
    at 4,000 projects that was a third of the build's CPU time. Reference counting still frees
    what the build drops; the few cycles it makes are collected once it is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Checked:
    """The outcome of steps 1-4: the ontology, the asserted and inferred triples, and the
    validation report."""

    #: The records' sources (the other tables are let go once mapped).
    records: tables.Records
    ontology: Graph
    asserted_triples: triples.Triples
    inferred_triples: triples.Triples
    report: validation.Report
    #: The terms converted for pyoxigraph (by validation), for the dumps to reuse.
    terms: dumps.Terms

    @cached_property
    def asserted(self) -> Graph:
        """The asserted triples as an rdflib Graph (made when first asked for)."""
        return triples.graph(self.asserted_triples)

    @cached_property
    def inferred(self) -> Graph:
        """The inferred triples as an rdflib Graph (made when first asked for)."""
        return triples.graph(self.inferred_triples)


def check(data_dir: Path, progress: Progress, *, reference: bool = False) -> Checked:
    """Steps 1-4: read, map, reason and validate, without writing anything.

    With ``reference``, reasoning is owlrl's and validation pySHACL's (slower; the same results).

    :raises RecordError: for malformed records; ReasoningClash: for an inconsistent graph.
    """
    with _without_cycle_collection():
        return _check(data_dir, progress, reference)


def _check(data_dir: Path, progress: Progress, reference: bool) -> Checked:
    terms = dumps.Terms(DEFAULT_BASE)
    with progress.step("records", unit="records") as step:
        recs = records.load(data_dir)
        step.advance(len(recs.origins))
    progress.expect(len(recs.origins))
    with progress.step("mapping"):
        mapped = mapping.map_records(recs)
        ontology = mapping.ontology()
        # The release needs only the sources; the tables go (at 100,000 projects, ~0.8 GiB).
        recs = tables.Records(recs.directory, sources=recs.sources)
    with progress.step("reasoning"):
        inferred = reasoning.infer(
            ontology, mapped.triples, engine="owlrl" if reference else "rules"
        )
    with progress.step("validation"):
        report = validation.validate(
            mapped.triples,
            ontology,
            mapped.origins,
            inferred=inferred,
            engine="pyshacl" if reference else "compiled",
            terms=terms,
        )
    return Checked(recs, ontology, mapped.triples, inferred, report, terms)


@dataclass(frozen=True)
class Built:
    """A new release: its folder, and the validation report (which may hold warnings)."""

    path: Path
    report: validation.Report


def build(
    data_dir: Path, releases_dir: Path, *, base: str, progress: Progress, reference: bool = False
) -> Built:
    """Steps 1-5: build a release from ``data_dir`` into ``releases_dir``.

    :raises ValidationFailed: with the readable report, when the graph does not conform.
    """
    with _without_cycle_collection():
        return _build(data_dir, releases_dir, base, progress, reference)


def _build(
    data_dir: Path, releases_dir: Path, base: str, progress: Progress, reference: bool
) -> Built:
    checked = check(data_dir, progress, reference=reference)
    if not checked.report.conforms:
        raise ValidationFailed(checked.report.text())
    recs = checked.records
    sources = {s.file: file_sha256(recs.source_file(s.file)) for s in recs.sources}
    graphs: dict[URIRef, triples.AnyGraph] = {
        ONTOLOGY_GRAPH: checked.ontology,
        ASSERTED_GRAPH: checked.asserted_triples,
        INFERRED_GRAPH: checked.inferred_triples,
    }
    counts = {name: len(graph) for name, graph in graphs.items()}
    graphs[METADATA_GRAPH] = mapping.describe_dataset(counts, recs)
    contents = output.Contents(
        graphs,
        checked.report.results_graph,
        sources,
        pages={s.key: recs.source_file(s.file) for s in recs.sources},
        queries={q.name: q.text for q in named_queries.load(QUERIES_DIR).values()},
        terms=checked.terms,
    )
    with progress.step("release", total=len(FILES), unit="files") as step:
        path = output.write(contents, releases_dir, base=base, on_file=lambda _: step.advance())
    return Built(path, checked.report)
