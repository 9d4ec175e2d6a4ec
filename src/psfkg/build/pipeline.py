"""The build, step by step: records -> mapping -> reasoning -> validation -> release."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from .. import named_queries
from ..config import PROJECT_ROOT
from ..errors import ValidationFailed
from ..namespaces import (
    ASSERTED_GRAPH,
    INFERRED_GRAPH,
    METADATA_GRAPH,
    ONTOLOGY_GRAPH,
    PSF,
    SOURCE,
)
from ..progress import Progress
from ..release import FILES
from . import mapping, output, reasoning, records, tables, validation

#: The named queries the build copies into each release.
QUERIES_DIR = PROJECT_ROOT / "queries"


@dataclass(frozen=True)
class Checked:
    """The outcome of steps 1-4: the graphs, and the validation report."""

    records: tables.Records
    ontology: Graph
    asserted: Graph
    inferred: Graph
    report: validation.Report


def check(data_dir: Path, progress: Progress, *, reference: bool = False) -> Checked:
    """Steps 1-4: read, map, reason and validate, without writing anything.

    With ``reference``, reasoning is owlrl's and validation pySHACL's (slower; the same results).

    :raises RecordError: for malformed records; ReasoningClash: for an inconsistent graph.
    """
    with progress.step("records", unit="records") as step:
        recs = records.load(data_dir)
        step.advance(len(recs.origins))
    progress.expect(len(recs.origins))
    with progress.step("mapping"):
        mapped = mapping.map_records(recs)
        ontology = mapping.ontology()
    with progress.step("reasoning"):
        inferred = reasoning.infer(ontology, mapped.graph, engine="owlrl" if reference else "rules")
    with progress.step("validation"):
        report = validation.validate(
            mapped.graph,
            ontology,
            mapped.origins,
            inferred=inferred,
            engine="pyshacl" if reference else "compiled",
        )
    return Checked(recs, ontology, mapped.graph, inferred, report)


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
    checked = check(data_dir, progress, reference=reference)
    if not checked.report.conforms:
        raise ValidationFailed(checked.report.text())
    recs = checked.records
    sources = {s.file: str(checked.asserted.value(SOURCE[s.key], PSF.sha256)) for s in recs.sources}
    graphs = {
        ONTOLOGY_GRAPH: checked.ontology,
        ASSERTED_GRAPH: checked.asserted,
        INFERRED_GRAPH: checked.inferred,
    }
    counts = {name: len(graph) for name, graph in graphs.items()}
    graphs[METADATA_GRAPH] = mapping.describe_dataset(counts, recs)
    contents = output.Contents(
        graphs,
        checked.report.results_graph,
        sources,
        pages={s.key: recs.source_file(s.file) for s in recs.sources},
        queries={q.name: q.text for q in named_queries.load(QUERIES_DIR).values()},
    )
    with progress.step("release", total=len(FILES), unit="files") as step:
        path = output.write(contents, releases_dir, base=base, on_file=lambda _: step.advance())
    return Built(path, checked.report)
