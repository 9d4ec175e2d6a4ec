"""The metadata portals harvest: a DCAT-AP 3.0.1 catalogue and a VoID description of a release.

Both are built by the build from a release's manifest (``manifest.json``) and its named graphs,
so that what is served describes exactly what is served, and written into the release
(``catalog.nt``, ``void.nt``): the web tier never computes them.
Resources are named under the manifest's base IRI: ``<base>catalog``, ``<base>dataset`` (the
dataset of the metadata graph), ``<base>dataset/distribution/<file>``, ``<base>sparql-service``,
``<base>publisher`` (the agent that publishes them) and ``<base>dataset/linkset/<target>``; the
URLs to fetch things are under ``site``, where the release is served. The resources the
catalogue refers to (licences, formats, countries, themes...) are given the classes DCAT-AP
3.0.1's ranges want in the catalogue itself (:func:`psfkg.build.ranges.typed`).

Licences. The facts are transcribed from cbss.org pages that state no licence, and none is
invented for them. ``license`` (default CC BY 4.0, the licence the README declares for psfkg's
own work) goes on the distributions and the endpoint, beside a ``dct:rights`` statement saying
that it covers psfkg's work (model, IRIs, transcription) and that the facts come from cbss.org
under terms it does not state; ``license=None`` leaves ``dct:license`` out. The catalogue's own
record carries ``metadata_license`` (default CC0 1.0), so that portals may copy and merge it.

Distributions are the data dumps and their ``.gz`` twins: each twin is a file of its own (bytes,
size, checksum) with the media type and file type of what it holds and ``dcat:compressFormat``
gzip, as DCAT 3 models compression. ``context.jsonld`` (a JSON-LD context), ``validation.ttl``
(a report about the data), ``search.sqlite`` (an index of its names) and ``resources.sqlite``
(its quads indexed for Memento) are not the dataset in
any format; the report is linked as a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, VOID
from rdflib.term import Node

from .. import formats, namespaces
from ..namespaces import (
    CATALOG,
    DATASET,
    EU_COUNTRY,
    METADATA_PREFIXES,
    ONTOLOGY,
    PSF,
    PUBLISHER,
    SPARQL_SERVICE,
    WD,
    distribution,
    prefixes,
    rebase,
)
from ..release import FILES, SEARCH
from .dumps import Statistics
from .ranges import CC0, CC_BY_4, DCAT, DCATAP, EU, SPDX, typed
from .triples import AnyGraph

VCARD = Namespace(METADATA_PREFIXES["vcard"])
IANA = Namespace("http://www.iana.org/assignments/media-types/")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
THEME_SCHEME, THEMES = EU["data-theme"], (EU["data-theme/INTR"],)
ENGLISH, PUBLIC = EU["language/ENG"], EU["access-right/PUBLIC"]
AVAILABLE = EU["planned-availability/AVAILABLE"]
#: EU file-type codes of the formats psfkg writes.
FILE_TYPES = {
    formats.TURTLE: "RDF_TURTLE",
    formats.N_TRIPLES: "RDF_N_TRIPLES",
    formats.JSON_LD: "JSON_LD",
    formats.N_QUADS: "RDF_N_QUADS",
    formats.RDF_XML: "RDF_XML",
    formats.TRIG: "RDF_TRIG",
    formats.JSON_RESULTS: "SPARQLQRES",
    formats.XML_RESULTS: "SPARQLQRES",
    formats.CSV: "CSV",
    formats.TSV: "TSV",
}
#: Files of a release that are not the dataset in some format.
NOT_DISTRIBUTIONS = frozenset({"context.jsonld", "validation.ttl", SEARCH})
REPORT = "validation.ttl"
#: Links to other datasets: (name, predicate, target dataset, the target's URI space).
LINKSETS = (
    ("wikidata", PSF.wikidata, URIRef("http://www.wikidata.org/"), str(WD)),
    ("eu-country", PSF.euAuthority, EU.country, str(EU_COUNTRY)),
)
KEYWORDS = (
    "Council of the Baltic Sea States",
    "CBSS",
    "Project Support Facility",
    "BALTinnoSEC",
    "Baltic Sea Region",
    "project funding",
)
CATALOG_TEXT = (
    "The CBSS Project Support Facility knowledge graph: its dumps and its SPARQL endpoint."
)
SERVICE_TEXT = "Read-only SPARQL 1.1 endpoint; its service description is at the same URL."
RIGHTS = (
    "The licence covers psfkg's own work: the data model, the IRIs and the transcription. The "
    "facts are transcribed from web pages of the Council of the Baltic Sea States (cbss.org), "
    "which state no licence; their reuse is subject to the CBSS's terms."
)


def dumps(manifest: Mapping[str, Any]) -> list[str]:
    """The files of a release that are distributions of the dataset, ``.gz`` twins included.

    >>> dumps({"files": {"psfkg.nq": {}, "psfkg.nq.gz": {}, "context.jsonld": {}}})
    ['psfkg.nq', 'psfkg.nq.gz']
    """
    return [
        name
        for name in sorted(manifest["files"])
        if name.removesuffix(".gz") in FILES and name.removesuffix(".gz") not in NOT_DISTRIBUTIONS
    ]


def dcat(
    manifest: Mapping[str, Any],
    data: Mapping[URIRef, AnyGraph],
    *,
    site: str,
    license: str | None = CC_BY_4,
    metadata_license: str | None = CC0,
    publisher: str = "psfkg",
) -> Graph:
    """The DCAT-AP 3.0.1 catalogue: the dataset, one distribution per dump, the SPARQL endpoint.

    :param manifest: the release's ``manifest.json`` (its base IRI, version, date and files).
    :param data: the release's named graphs: titles, sources, countries and dates.
    :param site: the URL the release is served at, ending in ``/``.
    :param license: licence IRI of the dumps and the endpoint, or None to state none.
    :param metadata_license: licence IRI of this catalogue, or None to state none.
    :param publisher: the name of the publishing agent.
    :raises KeyError: for a manifest without ``base_iri``, ``version``, ``date`` or ``files``.
    """
    base, when = manifest["base_iri"], Literal(manifest["date"], datatype=XSD.dateTime)
    catalog, dataset = _in(base, CATALOG), _in(base, DATASET)
    service, endpoint = _in(base, SPARQL_SERVICE), URIRef(site + "sparql")
    union, g = Union(data), _graph(base)
    agent, contact, rights = _in(base, PUBLISHER), BNode("contact"), BNode("rights")
    _add(g, agent, (RDF.type, FOAF.Agent), (FOAF.name, Literal(publisher)))
    _add(g, contact, (RDF.type, VCARD.Kind), (VCARD.fn, Literal(publisher)))
    _add(g, contact, (VCARD.hasURL, URIRef(site)))
    _add(g, rights, (RDF.type, DCTERMS.RightsStatement), (RDFS.label, _en(RIGHTS)))
    common = [(DCTERMS.publisher, agent), (DCTERMS.language, ENGLISH)]
    dated = [(DCTERMS.issued, when), (DCTERMS.modified, when)]
    topics = [(DCAT.theme, t) for t in THEMES] + [(DCAT.keyword, _en(k)) for k in KEYWORDS]
    spatial = [
        (DCTERMS.spatial, c) for c in _sorted(union.objects(None, _in(base, PSF.euAuthority)))
    ]

    _add(
        g,
        catalog,
        *_about(DCAT.Catalog, "psfkg catalogue", CATALOG_TEXT),
        *common,
        *dated,
        *spatial,
    )
    _add(g, catalog, (FOAF.homepage, URIRef(site)), (DCAT.themeTaxonomy, THEME_SCHEME))
    _add(g, catalog, (DCAT.dataset, dataset), (DCAT.service, service), *_license(metadata_license))

    sources = union.subjects(RDF.type, _in(base, PSF.SourceDocument))
    _add(g, dataset, (RDF.type, DCAT.Dataset), *common, *dated, *topics, *spatial)
    for p in (DCTERMS.title, DCTERMS.description):
        _add(g, dataset, *((p, o) for o in union.objects(dataset, p)))
    version = str(manifest.get("dataset_version") or manifest["version"])
    _add(g, dataset, (DCAT.version, Literal(version)), (DCAT.contactPoint, contact))
    _add(g, dataset, (DCTERMS.accessRights, PUBLIC))
    _add(g, dataset, *((PROV.wasDerivedFrom, s) for s in _sorted(sources)))
    _temporal(g, dataset, union, base)
    if REPORT in manifest["files"]:
        _add(g, dataset, (FOAF.page, URIRef(f"{site}dumps/{REPORT}")))
    for name in dumps(manifest):
        dist = _in(base, distribution(name))
        _add(g, dataset, (DCAT.distribution, dist))
        _distribution(g, dist, name, manifest["files"][name], site=site, base=base)
        _add(g, dist, (DCTERMS.rights, rights), *_license(license))

    types = sorted(
        {FILE_TYPES[f] for f in (*formats.for_form("SELECT"), *formats.for_form("CONSTRUCT"))}
    )
    _add(
        g,
        service,
        *_about(DCAT.DataService, "psfkg SPARQL endpoint", SERVICE_TEXT),
        *common,
        *topics,
    )
    _add(g, service, (DCAT.endpointURL, endpoint), (DCAT.endpointDescription, endpoint))
    _add(g, service, (DCAT.servesDataset, dataset), (DCTERMS.conformsTo, SPARQL_PROTOCOL))
    _add(g, service, (DCAT.contactPoint, contact), *_license(license))
    _add(g, service, *((DCTERMS["format"], EU[f"file-type/{t}"]) for t in types))
    return typed(g)


def void(manifest: Mapping[str, Any], stats: Statistics, *, site: str) -> Graph:
    """A VoID description of the release's dataset, from the statistics its dumps counted.

    The dataset's triples are those of its default graph, the set union of its graphs; each
    graph's are counted apart. ``void:entities`` is the number of records (IRIs under
    ``<base>id/``), a class partition's the resources of its class (blank nodes too: a class
    with only blank instances, such as ``owl:AllDisjointClasses``, is a class of the data).
    Blank nodes are labelled from what they stand for, so that the same data gives the same
    graph.

    :param manifest: the release's ``manifest.json`` (its base IRI and files).
    :param stats: what :func:`psfkg.build.dumps.statistics` counted, IRIs under the base.
    :param site: the URL the release is served at, ending in ``/``.
    """
    base = manifest["base_iri"]
    dataset, space = _in(base, DATASET), base + "id/"
    predicates, classes = stats.predicates, stats.classes
    g = _graph(base)
    _add(g, dataset, (RDF.type, VOID.Dataset), (VOID.triples, _count(stats.triples)))
    _add(g, dataset, (VOID.entities, _count(stats.records)), (VOID.classes, _count(len(classes))))
    _add(g, dataset, (VOID.properties, _count(len(predicates))), (VOID.uriSpace, Literal(space)))
    _add(g, dataset, (VOID.sparqlEndpoint, URIRef(site + "sparql")))
    _add(g, dataset, *((VOID.dataDump, URIRef(f"{site}dumps/{n}")) for n in dumps(manifest)))
    for graph, triples in sorted(stats.graphs.items()):
        _add(g, dataset, (VOID.subset, URIRef(graph)))
        _add(g, URIRef(graph), (RDF.type, VOID.Dataset), (VOID.triples, _count(triples)))
    for n, (cls, members) in enumerate(sorted(classes.items())):
        _add(g, dataset, (VOID.classPartition, part := BNode(f"class{n}")))
        _add(g, part, (VOID["class"], URIRef(cls)), (VOID.entities, _count(members)))
    for n, (prop, count) in enumerate(sorted(predicates.items())):
        _add(g, dataset, (VOID.propertyPartition, part := BNode(f"property{n}")))
        _add(g, part, (VOID.property, URIRef(prop)), (VOID.triples, _count(count)))
    # A term's vocabulary is its namespace: the term's IRI up to its last '#' or '/'.
    vocabularies = {t[: max(t.rfind("#"), t.rfind("/")) + 1] for t in (*predicates, *classes)}
    _add(g, dataset, *((VOID.vocabulary, URIRef(v)) for v in sorted(vocabularies)))
    for cls in (PSF.Project, PSF.Organisation, PSF.Country):
        example = stats.examples.get(str(_in(base, cls)))
        _add(g, dataset, *([(VOID.exampleResource, URIRef(example))] if example else []))
    for name, prop, target, target_space in LINKSETS:
        linkset, link = _in(base, namespaces.linkset(name)), _in(base, prop)
        _add(g, dataset, (VOID.subset, linkset))
        _add(g, target, (RDF.type, VOID.Dataset), (VOID.uriSpace, Literal(target_space)))
        _add(g, linkset, (RDF.type, VOID.Linkset), (VOID.linkPredicate, link))
        _add(g, linkset, (VOID.subjectsTarget, dataset), (VOID.objectsTarget, target))
        _add(g, linkset, (VOID.triples, _count(predicates[str(link)])))
    return g


def _distribution(
    g: Graph,
    dist: URIRef,
    name: str,
    entry: Mapping[str, Any],
    *,
    site: str,
    base: str,
    at: str = "dumps/",
) -> None:
    """One file: where to get it (under ``<site><at>``), its format, size and checksum."""
    inner, url = name.removesuffix(".gz"), URIRef(f"{site}{at}{name}")
    checksum = BNode(
        f"checksum-{name}" if at == "dumps/" else f"checksum-{at[:-1].replace('/', '-')}-{name}"
    )
    fmt = formats.from_suffix(inner.rpartition(".")[2], formats.for_form("CONSTRUCT"))
    assert fmt is not None, inner
    text = FILES[inner] + (", gzipped" if name != inner else "")
    _add(g, dist, *_about(DCAT.Distribution, name, text), (DCAT.mediaType, IANA[fmt.media_type]))
    _add(g, dist, (DCAT.downloadURL, url), (DCAT.accessURL, url), (SPDX.checksum, checksum))
    _add(g, dist, (DCTERMS["format"], EU[f"file-type/{FILE_TYPES[fmt]}"]))
    _add(g, dist, (DCAT.byteSize, Literal(entry["bytes"], datatype=XSD.nonNegativeInteger)))
    _add(g, dist, (DCATAP.availability, AVAILABLE), (DCTERMS.conformsTo, _in(base, ONTOLOGY)))
    if name != inner:
        _add(g, dist, (DCAT.compressFormat, IANA["application/gzip"]))
    sha256 = Literal(entry["sha256"], datatype=XSD.hexBinary)
    _add(g, checksum, (RDF.type, SPDX.Checksum), (SPDX.checksumValue, sha256))
    # SPDX's own IRI for SHA-256 (http://spdx.org/rdf/terms#), the namespace DCAT 3 and every
    # DCAT-AP 3.0.1 file use: mdr-vocabularies.shape.ttl's pattern "^https://spdx.org/rdf/terms"
    # matches no SPDX term, so that one shape fails (tests/dcat-ap/SOURCE.md has the evidence).
    _add(g, checksum, (SPDX.algorithm, SPDX.checksumAlgorithm_sha256))


def _temporal(g: Graph, dataset: URIRef, data: Union, base: str) -> None:
    """The span of the dates (``xsd:date``) in the data, if it has any."""
    dates = sorted(
        str(o)
        for p in (PSF.startDate, PSF.endDate)
        for o in data.objects(None, _in(base, p))
        if isinstance(o, Literal) and o.datatype == XSD.date
    )
    if dates:
        _add(g, dataset, (DCTERMS.temporal, period := BNode("period")))
        _add(g, period, (RDF.type, DCTERMS.PeriodOfTime))
        _add(g, period, (DCAT.startDate, Literal(dates[0], datatype=XSD.date)))
        _add(g, period, (DCAT.endDate, Literal(dates[-1], datatype=XSD.date)))


def _about(cls: URIRef, title: str, text: str) -> list[tuple[Node, Node]]:
    return [(RDF.type, cls), (DCTERMS.title, _en(title)), (DCTERMS.description, _en(text))]


def _license(iri: str | None) -> list[tuple[Node, Node]]:
    return [(DCTERMS.license, URIRef(iri))] if iri else []


def _add(g: Graph, s: Node, *pairs: tuple[Node, Node]) -> None:
    for p, o in pairs:
        g.add((s, p, o))


def _en(text: str) -> Literal:
    return Literal(text, lang="en")


def _count(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(set(nodes), key=str)


def _in(base: str, term: str) -> URIRef:
    """A term minted under the default base, moved to the release's base."""
    return URIRef(rebase(str(term), base))


class Union:
    """Look-ups in the set union of some graphs, without copying them."""

    def __init__(self, data: Mapping[URIRef, AnyGraph]) -> None:
        self.graphs = list(data.values())

    def objects(self, s: Node | None, p: Node) -> set[Node]:
        """The distinct objects of the triples ``(s, p, ?)``."""
        return {o for graph in self.graphs for o in graph.objects(s, p)}

    def subjects(self, p: Node, o: Node) -> set[Node]:
        """The distinct subjects of the triples ``(?, p, o)``."""
        return {s for graph in self.graphs for s in graph.subjects(p, o)}


def _graph(base: str) -> Graph:
    g = Graph()
    for prefix, ns in {**prefixes(base), **METADATA_PREFIXES}.items():
        g.bind(prefix, ns)
    return g
