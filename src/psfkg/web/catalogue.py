"""The DCAT-AP catalogue, VoID, the data service and the dataset as pages for people.

Each page is read from the graph its RDF is written from (the release's ``catalog`` and ``void``,
moved under the site's URL; the store's description of ``/dataset``), so the page and the data
cannot disagree. Properties are named in words; blank nodes (a period, a checksum) are shown by
what they hold, not by their store-given labels, and the publisher by its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, VOID
from rdflib.term import Node

from ..namespaces import METADATA_PREFIXES, compact
from .site import alternates, curie, href, label, page, url
from .statements import Link, PropertyValues

#: A page built from a whole graph, given the graph's alternates as (href, media type, name).
GraphPage = Callable[[Graph, list[tuple[str, str, str]]], Response]
SPDX = METADATA_PREFIXES["spdx"]
VCARD = METADATA_PREFIXES["vcard"]
#: Properties of the metadata vocabularies, in words and in the order a person reads them.
WORDS: dict[URIRef, str] = {
    DCTERMS.title: "title",
    DCTERMS.description: "description",
    DCTERMS.publisher: "publisher",
    DCTERMS.license: "licence",
    DCTERMS.rights: "rights",
    DCTERMS.accessRights: "access rights",
    URIRef(METADATA_PREFIXES["dcat"] + "version"): "version",
    OWL.versionInfo: "version",
    DCTERMS.issued: "issued",
    DCTERMS.modified: "modified",
    DCTERMS.temporal: "period covered",
    DCTERMS.spatial: "places covered",
    DCTERMS.language: "language",
    DCAT.keyword: "keywords",
    DCAT.theme: "theme",
    DCAT.themeTaxonomy: "theme taxonomy",
    DCAT.contactPoint: "contact point",
    FOAF.name: "name",
    FOAF.homepage: "home page",
    FOAF.page: "page",
    DCAT.landingPage: "landing page",
    DCAT.endpointURL: "endpoint",
    DCAT.endpointDescription: "endpoint description",
    DCAT.servesDataset: "serves the dataset",
    DCAT.dataset: "dataset",
    DCAT.service: "data service",
    DCAT.distribution: "distribution",
    DCAT.downloadURL: "download",
    DCAT.accessURL: "access URL",
    DCAT.mediaType: "media type",
    DCAT.compressFormat: "compressed as",
    DCAT.byteSize: "bytes",
    DCTERMS.format: "format",
    DCTERMS.conformsTo: "conforms to",
    DCTERMS.source: "source",
    PROV.wasDerivedFrom: "derived from",
    URIRef(SPDX + "checksum"): "checksum",
    URIRef(METADATA_PREFIXES["dcatap"] + "availability"): "availability",
    VOID.triples: "triples",
    VOID.classes: "classes",
    VOID.properties: "properties",
    VOID.distinctSubjects: "distinct subjects",
    VOID.distinctObjects: "distinct objects",
    VOID.exampleResource: "example resources",
    VOID.entities: "entities",
    VOID.vocabulary: "vocabulary",
    VOID.subset: "subsets",
    VOID.sparqlEndpoint: "SPARQL endpoint",
    VOID.dataDump: "data dump",
    VOID.uriSpace: "IRI space",
    VOID.linkPredicate: "link predicate",
    VOID.subjectsTarget: "subjects in",
    VOID.objectsTarget: "objects in",
    RDF.type: "kind",
}
#: The kinds of resource the metadata describes, in words.
KINDS: dict[URIRef, str] = {
    DCAT.Catalog: "Catalogue",
    DCAT.Dataset: "Dataset",
    DCAT.DataService: "Data service",
    DCAT.Distribution: "Distribution",
    FOAF.Agent: "Agent",
    VOID.Dataset: "Dataset",
    VOID.Linkset: "Linkset",
}
#: Prefixes for the metadata's own vocabularies, beside psfkg's.
VOCABULARIES = {
    **METADATA_PREFIXES,
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "prov": str(PROV),
    "rdf": str(RDF),
}
#: What a blank node is shown by, tried in order: a name, a label, a value.
NAMES = (
    FOAF.name,
    URIRef(VCARD + "fn"),
    RDFS.label,
    URIRef(SPDX + "checksumValue"),
)
#: Where the dataset's page points: its descriptions and files.
SEE_ALSO = (
    ("/catalog", "its DCAT-AP catalogue"),
    ("/.well-known/void", "its VoID description"),
    ("/dumps", "its files, with checksums"),
    ("/sparql", "its SPARQL endpoint"),
)
#: Shown in a table of their own, not in a resource's facts.
TABLED = {DCAT.distribution, VOID.classPartition, VOID.propertyPartition}


@dataclass
class Table:
    """A table on a page: a caption, column headings, and rows of values."""

    caption: str
    columns: list[str]
    rows: list[list[Link]] = field(default_factory=list)


@dataclass
class Section:
    """A part of a page: a heading, facts (one row per property), and tables."""

    heading: str
    anchor: str
    facts: list[PropertyValues] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def value(graph: Graph, term: Node | None) -> Link:
    """A value as a person reads it: a literal's text, a link for an IRI (its label when the
    graph has one), a blank node by its name, its period, or what it says; nothing for None."""
    if term is None:
        return Link("")
    if isinstance(term, Literal):
        return Link(str(term), note=f"@{term.language}" if term.language else None)
    if isinstance(term, BNode):
        for predicate in NAMES:
            named = graph.value(term, predicate)
            if named is not None:
                return Link(str(named), href(named) if isinstance(named, URIRef) else None)
        start, end = graph.value(term, DCAT.startDate), graph.value(term, DCAT.endDate)
        if start is not None or end is not None:
            return Link(f"{start or '…'} to {end or '…'}")
        return Link("; ".join(f"{word(p)}: {value(graph, o).text}" for p, o in _told(graph, term)))
    named = graph.value(term, FOAF.name)  # an agent (the publisher) by its name
    text = str(named) if named is not None else label(graph, term)
    return Link(short(text) if text == str(term) else text, href(term))


def short(iri: str) -> str:
    """A prefixed name for an IRI, by psfkg's prefixes or the metadata vocabularies', else the IRI.

    >>> short("http://rdfs.org/ns/void#Linkset")
    'void:Linkset'
    """
    return compact(iri, VOCABULARIES)


def word(predicate: Node) -> str:
    """A property in words, else its prefixed name."""
    if not isinstance(predicate, URIRef):
        return ""
    return WORDS.get(predicate) or short(curie(str(predicate)))


def _told(graph: Graph, subject: Node) -> list[tuple[Node, Node]]:
    return sorted(
        ((p, o) for p, o in graph.predicate_objects(subject) if p != RDF.type),
        key=lambda pair: str(pair),
    )


def facts(
    graph: Graph, subject: Node, *, skip: frozenset[Node] = frozenset()
) -> list[PropertyValues]:
    """What ``graph`` says of ``subject``, one row per property, in reading order (the
    properties named in :data:`WORDS` first, in its order)."""
    order = {p: n for n, p in enumerate(WORDS)}
    values: dict[Node, list[Link]] = {}
    for p, o in graph.predicate_objects(subject):
        if p not in skip and p not in TABLED:
            values.setdefault(p, []).append(value(graph, o))
    ordered = sorted(values, key=lambda p: (order.get(p, len(order)), word(p)))  # type: ignore[call-overload]
    return [
        PropertyValues(Link(word(p), href(p)), sorted(values[p], key=lambda v: v.text))
        for p in ordered
    ]


def distributions(graph: Graph, dataset: Node) -> Table:
    """The dataset's distributions: each file with what it holds, its type, size, licence and
    SHA-256."""
    table = Table(
        "Distributions: every file of the release",
        ["file", "what it holds", "media type", "bytes", "licence", "SHA-256"],
    )
    for dist in sorted(graph.objects(dataset, DCAT.distribution), key=str):
        download = graph.value(dist, DCAT.downloadURL)
        media = graph.value(dist, DCAT.mediaType)
        checksum = graph.value(dist, URIRef(SPDX + "checksum"))
        table.rows.append(
            [
                Link(
                    str(graph.value(dist, DCTERMS.title) or dist),
                    href(download) if download else None,
                ),
                Link(str(graph.value(dist, DCTERMS.description) or "")),
                Link(str(media).rsplit("/media-types/", 1)[-1] if media else ""),
                Link(str(graph.value(dist, DCAT.byteSize) or "")),
                value(graph, graph.value(dist, DCTERMS.license))
                if (dist, DCTERMS.license, None) in graph
                else Link(""),
                Link(
                    str(graph.value(checksum, URIRef(SPDX + "checksumValue")) or "")
                    if checksum
                    else ""
                ),
            ]
        )
    return table


def catalog_page(graph: Graph, alternates: list[tuple[str, str, str]]) -> Response:
    """The catalogue: itself, its dataset with its distributions, its data service, and the
    statements of rights its distributions carry."""
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog), None)
    sections = []
    for dataset in sorted(graph.objects(catalog, DCAT.dataset), key=str):
        sections.append(
            Section(
                f"Dataset: {value(graph, graph.value(dataset, DCTERMS.title) or dataset).text}",
                "dataset",
                facts(graph, dataset, skip=frozenset({DCTERMS.title})),
                [distributions(graph, dataset)],
            )
        )
    for served in sorted(graph.objects(catalog, DCAT.service), key=str):
        sections.append(
            Section(
                f"Data service: {value(graph, graph.value(served, DCTERMS.title) or served).text}",
                "service",
                facts(graph, served, skip=frozenset({DCTERMS.title})),
            )
        )
    rights = sorted({o for o in graph.objects(None, DCTERMS.rights)}, key=str)
    if rights:
        sections.append(
            Section(
                "Rights",
                "rights",
                [PropertyValues(Link("rights"), [value(graph, r) for r in rights])],
            )
        )
    return _page(graph, catalog, "Catalogue", sections, alternates)


def void_page(graph: Graph, alternates: list[tuple[str, str, str]]) -> Response:
    """VoID: the dataset's size, its named graphs, its classes and properties, its linksets."""
    subsets = {s for s in graph.subjects(RDF.type, VOID.Dataset) if (None, VOID.subset, s) in graph}
    dataset = next(
        (d for d in graph.subjects(RDF.type, VOID.Dataset) if (d, VOID.subset, None) in graph), None
    )
    dataset = dataset or next(graph.subjects(RDF.type, VOID.Dataset), None)
    sections = []
    graphs = Table("Named graphs", ["graph", "triples"])
    for subset in sorted(subsets, key=str):
        graphs.rows.append(
            [value(graph, subset), Link(str(graph.value(subset, VOID.triples) or ""))]
        )
    classes = Table("Classes, with how many resources each has", ["class", "entities"])
    for part in graph.objects(dataset, VOID.classPartition):
        cls = graph.value(part, VOID["class"])
        classes.rows.append([value(graph, cls), Link(str(graph.value(part, VOID.entities) or ""))])
    classes.rows.sort(key=lambda row: row[0].text)
    properties = Table("Properties, with how many triples use each", ["property", "triples"])
    for part in graph.objects(dataset, VOID.propertyPartition):
        prop = graph.value(part, VOID.property)
        properties.rows.append(
            [value(graph, prop), Link(str(graph.value(part, VOID.triples) or ""))]
        )
    properties.rows.sort(key=lambda row: row[0].text)
    sections.append(
        Section("Contents", "contents", [], [t for t in (graphs, classes, properties) if t.rows])
    )
    linksets = Table(
        "Linksets: links to other datasets", ["linkset", "link predicate", "to", "triples"]
    )
    for linkset in sorted(graph.subjects(RDF.type, VOID.Linkset), key=str):
        target = graph.value(linkset, VOID.objectsTarget)
        linksets.rows.append(
            [
                value(graph, linkset),
                value(graph, graph.value(linkset, VOID.linkPredicate)),
                value(graph, graph.value(target, VOID.uriSpace) or target),
                Link(str(graph.value(linkset, VOID.triples) or "")),
            ]
        )
    if linksets.rows:
        sections.append(Section("Linksets", "linksets", [], [linksets]))
    skip = frozenset({VOID.subset})
    return _page(graph, dataset, "VoID description of the dataset", sections, alternates, skip=skip)


def resource_page(
    subject: URIRef,
    graph: Graph,
    listed: list[tuple[str, str, str]],
    *,
    see_also: tuple[tuple[str, str], ...] = (),
) -> Response:
    """A resource the catalogue or VoID describes (the data service, a distribution, a linkset),
    or the dataset: its facts, and its distributions when it has any."""
    tables = [distributions(graph, subject)] if (subject, DCAT.distribution, None) in graph else []
    sections = [Section("Files", "files", [], tables)] if tables else []
    kinds = sorted(
        {
            KINDS.get(k, short(curie(str(k))))
            for k in graph.objects(subject, RDF.type)
            if isinstance(k, URIRef)
        }
    )
    return _page(
        graph, subject, ", ".join(kinds) or "Resource", sections, listed, see_also=see_also
    )


def dataset_page(subject: URIRef, graph: Graph) -> Response:
    """``/dataset``: what the store says of the dataset (its graphs, sources, vocabulary), and
    where its catalogue, VoID and files are."""
    return resource_page(subject, graph, alternates("/dataset"), see_also=SEE_ALSO)


def _page(
    graph: Graph,
    subject: Node | None,
    kind: str,
    sections: list[Section],
    alternates: list[tuple[str, str, str]],
    *,
    skip: frozenset[Node] = frozenset(),
    see_also: tuple[tuple[str, str], ...] = (),
) -> Response:
    title = (
        graph.value(subject, DCTERMS.title) or graph.value(subject, FOAF.name)
        if subject is not None
        else None
    )
    return page(
        "catalogue.html",
        title=f"{kind}: {title}" if title else kind,
        iri=str(subject) if isinstance(subject, URIRef) else None,
        description=graph.value(subject, DCTERMS.description) if subject is not None else None,
        facts=facts(graph, subject, skip=skip | {DCTERMS.title, DCTERMS.description})
        if subject is not None
        else [],
        sections=sections,
        alternates=alternates,
        see_also=[(url(path), text) for path, text in see_also],
    )
