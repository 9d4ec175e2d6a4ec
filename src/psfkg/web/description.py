"""The SPARQL 1.1 Service Description of the endpoint, as an RDF graph."""

from __future__ import annotations

from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from .. import formats

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = URIRef("http://www.w3.org/ns/entailment/OWL-RDF-Based")
OWL_RL = URIRef("http://www.w3.org/ns/owl-profile/RL")
#: The formats the description is written in, the default first.
OFFERS = (formats.TURTLE, formats.JSON_LD, formats.RDF_XML)
#: W3C format IRIs of what the endpoint writes: every format query results come in.
FORMAT_IRIS = {f: FORMATS[f.w3c] for f in formats.TABLE if f.forms and f.w3c}


def describe(
    endpoint: str, named_graphs: dict[str, int | None], total: int, *, owl_rl: bool
) -> Graph:
    """Describe the service at ``endpoint``.

    :param endpoint: the URL the description was requested at (``sd:endpoint``).
    :param named_graphs: each named graph's IRI and its triple count, when known.
    :param total: the triples of the default graph (the union of all graphs).
    :param owl_rl: whether the default graph holds the OWL 2 RL entailments (the PSF release).
    """
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("formats", FORMATS)
    service, dataset, default = BNode("service"), BNode("dataset"), BNode("default")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for iri in FORMAT_IRIS.values():
        g.add((service, SD.resultFormat, iri))
    if owl_rl:
        g.add((service, SD.defaultEntailmentRegime, ENTAILMENT))
        g.add((service, SD.defaultSupportedEntailmentProfile, OWL_RL))
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(total)))
    # Blank nodes named by position, so that the same service is described in the same bytes.
    for number, (name, count) in enumerate(sorted(named_graphs.items())):
        named, graph = BNode(f"named{number}"), BNode(f"graph{number}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        if count is not None:
            g.add((graph, VOID.triples, Literal(count)))
    return g
