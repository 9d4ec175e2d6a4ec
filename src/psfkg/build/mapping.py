"""Step 2: records to triples, each record named by :func:`psfkg.namespaces.record`.

Every record becomes ``<base>id/<kind>/<slug>``; a participation's slug joins its project and
organisation (``jatoc--finnish-border-guard``), so no blank nodes are needed and two builds give
the same IRIs. Each record links to the line of the source page it was read from, as an
RFC 5147 fragment of the page's IRI (``src:cbss-psf-past-projects#line=15,16`` is line 16).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, VOID

from .. import __version__
from ..config import PROJECT_ROOT
from ..namespaces import (
    DATASET,
    EU_COUNTRY,
    ID,
    METADATA_GRAPH,
    ONTOLOGY,
    ONTOLOGY_VERSION_IRI,
    PREFIXES,
    PSF,
    SOURCE,
    WD,
    record,
)
from ..release import file_sha256
from . import triples
from .tables import Origin, Records, SourceRef

ONTOLOGY_FILE = PROJECT_ROOT / "ontology" / "psfkg.ttl"
ROLE_TERMS = {
    "coordinator": PSF.Coordinator,
    "lead-partner": PSF.LeadPartner,
    "partner": PSF.Partner,
    "funder": PSF.Funder,
}
EVENT_CLASSES = {"meeting": PSF.Meeting, "event": PSF.Event}
PRIORITY_SCHEME = ID["priority-areas"]


@dataclass
class Mapped:
    """The asserted triples, and for each minted IRI the record it came from."""

    triples: triples.Triples
    origins: dict[URIRef, Origin]

    @cached_property
    def graph(self) -> Graph:
        """The asserted triples as an rdflib Graph (made when first asked for)."""
        return triples.graph(self.triples)


def ontology() -> Graph:
    """The ontology, with its version IRI and version info from :data:`psfkg.__version__`."""
    graph = Graph()
    graph.parse(ONTOLOGY_FILE, format="turtle")
    graph.add((ONTOLOGY, OWL.versionIRI, ONTOLOGY_VERSION_IRI))
    graph.add((ONTOLOGY, OWL.versionInfo, Literal(__version__)))
    return graph


def source_line(ref: SourceRef) -> URIRef:
    """The IRI of one line of a source page (RFC 5147 ``line=`` fragment).

    >>> str(source_line(SourceRef("cbss-psf-past-projects.txt", 16)))
    'https://w3id.org/psfkg/source/cbss-psf-past-projects#line=15,16'
    """
    return URIRef(f"{SOURCE[ref.file.removesuffix('.txt')]}#line={ref.line - 1},{ref.line}")


def en(text: str) -> Literal:
    """English text from the (English) source pages."""
    return Literal(text, lang="en")


def year(value: int) -> Literal:
    """A year as ``xsd:gYear``."""
    return Literal(f"{value:04d}", datatype=XSD.gYear)


class _Mapper:
    """The asserted graph being made, and the records it is made of."""

    def __init__(self, records: Records) -> None:
        self.records = records
        self.triples: set[triples.Triple] = set()
        self.origins: dict[URIRef, Origin] = {}
        self.add = self.triples.add

    def node(self, table: str, kind: str, key: str, cls: URIRef, ref: SourceRef) -> URIRef:
        """The IRI of a record, typed and sourced, its origin remembered."""
        subject = record(kind, key)
        self.add((subject, RDF.type, cls))
        self.add((subject, DCTERMS.source, source_line(ref)))
        origin = self.records.origin(table, key)
        if origin is not None:
            self.origins[subject] = origin
        return subject


def map_records(records: Records) -> Mapped:
    """Turn every record into triples of the asserted graph, table by table.

    :param records: what :func:`psfkg.build.records.load` read.
    :returns: the graph and the origin (file, line in ``data/``) of each minted IRI.
    """
    m = _Mapper(records)
    for step in (
        _sources,
        _countries,
        _priority_areas,
        _programmes,
        _projects,
        _organisations,
        _participations,
        _events,
        _merge_candidates,
    ):
        step(m)
    return Mapped(triples.interned(m.triples), m.origins)


def _sources(m: _Mapper) -> None:
    """The source pages: their title, site, format and digest."""
    for src in m.records.sources:
        doc = SOURCE[src.key]
        m.add((doc, RDF.type, PSF.SourceDocument))
        m.add((doc, DCTERMS.title, en(src.title)))
        m.add((doc, PSF.site, Literal(src.site)))
        m.add((doc, DCTERMS["format"], Literal("text/plain")))
        m.add(
            (
                doc,
                PSF.sha256,
                Literal(file_sha256(m.records.source_file(src.file))),
            )
        )


def _countries(m: _Mapper) -> None:
    """Countries, with their labels, ISO codes and links to Wikidata and the EU table."""
    for c in m.records.countries:
        s = m.node("countries", "country", c.key, PSF.Country, c.source)
        m.add((s, RDFS.label, en(c.label)))
        m.add((s, SKOS.prefLabel, en(c.label)))
        for alt in c.alt_labels:
            m.add((s, SKOS.altLabel, en(alt)))
        m.add((s, PSF.iso3166Alpha2, Literal(c.iso_alpha2)))
        m.add((s, PSF.iso3166Alpha3, Literal(c.iso_alpha3)))
        m.add((s, PSF.iso3166Numeric, Literal(c.iso_numeric)))
        if c.wikidata:
            m.add((s, PSF.wikidata, WD[c.wikidata]))
        if c.eu_country:
            m.add((s, PSF.euAuthority, EU_COUNTRY[c.eu_country]))


def _priority_areas(m: _Mapper) -> None:
    """The CBSS priority areas, as a SKOS scheme."""
    m.add((PRIORITY_SCHEME, RDF.type, SKOS.ConceptScheme))
    m.add((PRIORITY_SCHEME, RDFS.label, en("CBSS long-term priorities")))
    m.add(
        (PRIORITY_SCHEME, DCTERMS.source, source_line(SourceRef("cbss-psf-past-projects.txt", 7)))
    )
    for p in m.records.priority_areas:
        s = m.node("priority_areas", "priority-area", p.key, PSF.PriorityArea, p.source)
        m.add((s, RDFS.label, en(p.label)))
        m.add((s, SKOS.prefLabel, en(p.label)))
        m.add((s, SKOS.inScheme, PRIORITY_SCHEME))
        m.add((s, SKOS.topConceptOf, PRIORITY_SCHEME))
        m.add((PRIORITY_SCHEME, SKOS.hasTopConcept, s))


def _programmes(m: _Mapper) -> None:
    """Funding programmes and their funding periods, with the projects each lists."""
    listed = Counter(p.funding_period for p in m.records.projects if p.funding_period)
    for prog in m.records.programmes:
        s = m.node("programmes", "programme", prog.key, PSF.FundingProgramme, prog.source)
        m.add((s, RDFS.label, en(prog.label)))
        if prog.short_name:
            m.add((s, SKOS.altLabel, Literal(prog.short_name)))
        if prog.created_at:
            m.add((s, PSF.createdAt, record("event", prog.created_at)))
    for fp in m.records.funding_periods:
        s = m.node("funding_periods", "funding-period", fp.key, PSF.FundingPeriod, fp.source)
        m.add((s, RDFS.label, en(fp.label)))
        m.add((s, PSF.periodOf, record("programme", fp.programme)))
        m.add((record("programme", fp.programme), PSF.hasFundingPeriod, s))
        m.add((s, PSF.startYear, year(fp.start_year)))
        m.add((s, PSF.endYear, year(fp.end_year)))
        if fp.stated_project_count is not None:
            m.add(
                (
                    s,
                    PSF.statedProjectCount,
                    Literal(fp.stated_project_count, datatype=XSD.integer),
                )
            )
        m.add((s, PSF.listedProjectCount, Literal(listed[fp.key], datatype=XSD.integer)))
        if fp.remark:
            m.add((s, PSF.remark, en(fp.remark)))


def _projects(m: _Mapper) -> None:
    """Projects: names, texts, years, priority area, programme and period."""
    for proj in m.records.projects:
        s = m.node("projects", "project", proj.key, PSF.Project, proj.source)
        m.add((s, RDFS.label, Literal(proj.short_name)))
        m.add((s, PSF.shortName, Literal(proj.short_name)))
        if proj.corrected_short_name:
            m.add((s, PSF.correctedLabel, Literal(proj.corrected_short_name)))
        if proj.title:
            m.add((s, PSF.title, en(proj.title)))
        if proj.description:
            m.add((s, PSF.description, en(proj.description.strip())))
        if proj.start_year is not None:
            m.add((s, PSF.startYear, year(proj.start_year)))
        if proj.end_year is not None:
            m.add((s, PSF.endYear, year(proj.end_year)))
        if proj.priority_area:
            m.add((s, PSF.priorityArea, record("priority-area", proj.priority_area)))
        if proj.programme:
            m.add((s, PSF.fundedBy, record("programme", proj.programme)))
        if proj.funding_period:
            m.add((s, PSF.fundingPeriod, record("funding-period", proj.funding_period)))


def _organisations(m: _Mapper) -> None:
    """Organisations: labels, other names and country."""
    for org in m.records.organisations:
        s = m.node("organisations", "organisation", org.key, PSF.Organisation, org.source)
        m.add((s, RDFS.label, Literal(org.label)))
        if org.corrected_label:
            m.add((s, PSF.correctedLabel, Literal(org.corrected_label)))
        for alt in org.alt_labels:
            m.add((s, SKOS.altLabel, Literal(alt)))
        if org.country:
            m.add((s, PSF.country, record("country", org.country)))


def _participations(m: _Mapper) -> None:
    """Participations: who took part in which project, in what role."""
    short_names = {p.key: p.short_name for p in m.records.projects}
    org_labels = {o.key: o.label for o in m.records.organisations}
    for part in m.records.participations:
        s = m.node("participations", "participation", part.key, PSF.Participation, part.source)
        project, organisation = (
            record("project", part.project),
            record("organisation", part.organisation),
        )
        m.add(
            (
                s,
                RDFS.label,
                Literal(
                    f"{org_labels[part.organisation]}: {part.role.replace('-', ' ')} in "
                    f"{short_names[part.project]}"
                ),
            )
        )
        m.add((s, PSF.participationIn, project))
        m.add((project, PSF.hasParticipation, s))
        m.add((s, PSF.participant, organisation))
        m.add((s, PSF.role, ROLE_TERMS[part.role]))
        m.add((s, PSF.nameAsWritten, Literal(part.name_as_written)))
        if part.remark:
            m.add((s, PSF.remark, en(part.remark)))
        if part.role_source:
            m.add((s, DCTERMS.source, source_line(part.role_source)))


def _events(m: _Mapper) -> None:
    """Meetings and events."""
    for ev in m.records.events:
        s = m.node("events", "event", ev.key, EVENT_CLASSES[ev.kind], ev.source)
        m.add((s, RDFS.label, en(ev.label)))
        if ev.project:
            m.add((s, PSF.eventOf, record("project", ev.project)))
        if ev.start_date:
            m.add((s, PSF.startDate, Literal(ev.start_date.isoformat(), datatype=XSD.date)))
        if ev.end_date:
            m.add((s, PSF.endDate, Literal(ev.end_date.isoformat(), datatype=XSD.date)))
        if ev.when_planned:
            m.add((s, PSF.whenPlanned, en(ev.when_planned)))
        if ev.topic:
            m.add((s, PSF.plannedTopic, en(ev.topic)))
        if ev.place:
            m.add((s, PSF.placeName, Literal(ev.place)))
        if ev.country:
            m.add((s, PSF.country, record("country", ev.country)))


def _merge_candidates(m: _Mapper) -> None:
    """Organisations that may be one and the same."""
    for mc in m.records.merge_candidates:
        m.add(
            (
                record("organisation", mc.organisation),
                PSF.mergeCandidate,
                record("organisation", mc.candidate),
            )
        )


def describe_dataset(counts: dict[URIRef, int], records: Records) -> Graph:
    """The metadata graph: what the dataset is, its version, graphs and sources.

    It holds no timestamp, so that two builds of the same data are byte-identical; the build
    date is in the release manifest.
    """
    g = Graph()
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, DCTERMS.title, en("CBSS Project Support Facility knowledge graph")))
    g.add(
        (
            DATASET,
            DCTERMS.description,
            en(
                "Projects funded by the Project Support Facility of the Council of the Baltic Sea "
                "States, and BALTinnoSEC, with their partner organisations, countries, priority "
                "areas and funding periods, transcribed from the CBSS web pages."
            ),
        )
    )
    g.add((DATASET, OWL.versionInfo, Literal(__version__)))
    g.add((DATASET, VOID.vocabulary, URIRef(PREFIXES["psf"])))
    for graph_iri, count in sorted(counts.items()):
        g.add((DATASET, VOID.subset, graph_iri))
        g.add((graph_iri, RDF.type, VOID.Dataset))
        g.add((graph_iri, VOID.triples, Literal(count, datatype=XSD.integer)))
    for src in records.sources:
        g.add((DATASET, DCTERMS.source, SOURCE[src.key]))
    # The metadata graph describes itself too: its triples are all of g, these three included.
    g.add((DATASET, VOID.subset, METADATA_GRAPH))
    g.add((METADATA_GRAPH, RDF.type, VOID.Dataset))
    g.add((METADATA_GRAPH, VOID.triples, Literal(len(g) + 1, datatype=XSD.integer)))
    return g
