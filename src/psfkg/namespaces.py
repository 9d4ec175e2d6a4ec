"""Every IRI psfkg mints is minted here: its namespaces, the ontology, the named graphs, the
dataset and the catalogue's resources, and each record's (:func:`record`).

Everything psfkg mints lives under one persistent base. The code and the files in ``ontology/``
and ``shapes/`` are written against :data:`DEFAULT_BASE`; a build with another base (a setting)
rewrites the IRIs at the end with :func:`rebase`.

>>> str(PSF.Project)
'https://w3id.org/psfkg/def#Project'
>>> str(ONTOLOGY_VERSION_IRI)
'https://w3id.org/psfkg/def/1.0'
"""

from __future__ import annotations

from rdflib import Namespace, URIRef

from . import __version__

DEFAULT_BASE = "https://w3id.org/psfkg/"

#: Terms: an unversioned namespace, so that a new version does not rename every term.
PSF = Namespace(DEFAULT_BASE + "def#")
#: Records: ``id/<kind>/<slug>``.
ID = Namespace(DEFAULT_BASE + "id/")
#: The copies of the source pages the records come from.
SOURCE = Namespace(DEFAULT_BASE + "source/")
#: The named graphs of a release.
GRAPH = Namespace(DEFAULT_BASE + "graph/")

ONTOLOGY = URIRef(DEFAULT_BASE + "def")
_MAJOR_MINOR = ".".join(__version__.split(".")[:2])
ONTOLOGY_VERSION_IRI = URIRef(f"{ONTOLOGY}/{_MAJOR_MINOR}")
DATASET = URIRef(DEFAULT_BASE + "dataset")

#: The catalogue's own resources (see :mod:`psfkg.build.catalog`).
CATALOG = URIRef(DEFAULT_BASE + "catalog")
SPARQL_SERVICE = URIRef(DEFAULT_BASE + "sparql-service")
#: The agent that publishes the catalogue, its dataset and its endpoint: psfkg itself.
PUBLISHER = URIRef(DEFAULT_BASE + "publisher")

ONTOLOGY_GRAPH = GRAPH.ontology
ASSERTED_GRAPH = GRAPH.asserted
INFERRED_GRAPH = GRAPH.inferred
METADATA_GRAPH = GRAPH.metadata
NAMED_GRAPHS = (ONTOLOGY_GRAPH, ASSERTED_GRAPH, INFERRED_GRAPH, METADATA_GRAPH)

SCHEMA = Namespace("https://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")
EURIO = Namespace("http://data.europa.eu/s66#")
WD = Namespace("http://www.wikidata.org/entity/")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

#: Prefixes bound in every serialisation, in this order.
PREFIXES: dict[str, str] = {
    "psf": str(PSF),
    "id": str(ID),
    "src": str(SOURCE),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "eurio": str(EURIO),
    "wd": str(WD),
    "eucountry": str(EU_COUNTRY),
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

#: Prefixes of the vocabularies of the catalogue and VoID, bound beside :data:`PREFIXES` there.
METADATA_PREFIXES: dict[str, str] = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "spdx": "http://spdx.org/rdf/terms#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "void": "http://rdfs.org/ns/void#",
}


def record(kind: str, key: str) -> URIRef:
    """The IRI of a record.

    >>> str(record("project", "jatoc"))
    'https://w3id.org/psfkg/id/project/jatoc'
    """
    return ID[f"{kind}/{key}"]


def release_version(name: str) -> URIRef:
    """The IRI of release ``name`` as a version of the dataset: its page, ``/releases/<id>/``.

    >>> str(release_version("20250101T000000Z"))
    'https://w3id.org/psfkg/releases/20250101T000000Z/'
    """
    return URIRef(f"{DEFAULT_BASE}releases/{name}/")


def distribution(name: str) -> URIRef:
    """The IRI of the distribution of the dataset that is the release's file ``name``."""
    return URIRef(f"{DATASET}/distribution/{name}")


def linkset(name: str) -> URIRef:
    """The IRI of the VoID linkset ``name`` (links to another dataset)."""
    return URIRef(f"{DATASET}/linkset/{name}")


def rebase(iri: str, base: str) -> str:
    """Move an IRI minted under :data:`DEFAULT_BASE` to ``base``; leave any other IRI alone.

    >>> rebase("https://w3id.org/psfkg/id/project/jatoc", "http://localhost:8000/")
    'http://localhost:8000/id/project/jatoc'
    >>> rebase("https://schema.org/Project", "http://localhost:8000/")
    'https://schema.org/Project'
    """
    if iri.startswith(DEFAULT_BASE):
        return base + iri[len(DEFAULT_BASE) :]
    return iri


def prefixes(base: str) -> dict[str, str]:
    """psfkg's prefixes, with its own namespaces moved to ``base`` (see :func:`rebase`)."""
    return {prefix: rebase(ns, base) for prefix, ns in PREFIXES.items()}


def compact(iri: str, prefixes: dict[str, str]) -> str:
    """A compact IRI (``psf:Project``) where a prefix fits, else the IRI.

    >>> compact("https://w3id.org/psfkg/def#Project", {"psf": "https://w3id.org/psfkg/def#"})
    'psf:Project'
    """
    for prefix, namespace in prefixes.items():
        if (
            iri.startswith(namespace)
            and len(iri) > len(namespace)
            and not iri[len(namespace) :].startswith("//")
        ):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def known_prefixes(base: str) -> dict[str, str]:
    """Every prefix psfkg knows, under ``base``: its own (:func:`prefixes`), ``rdf:``, and the
    catalogue's (:data:`METADATA_PREFIXES`); what the query editor offers and what a syntax
    error for an undeclared prefix suggests."""
    return {**prefixes(base), "rdf": RDF_NS, **METADATA_PREFIXES}
