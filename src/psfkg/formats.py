"""Media types and content negotiation for SPARQL results, RDF graphs and service descriptions.

One table per kind of answer, in order of preference (the first is the default). A ``format=``
parameter (a short name such as ``csv`` or a media type) overrides the ``Accept`` header, so that a
link can name its format.

>>> negotiate(RESULTS, "text/csv;q=0.9, application/sparql-results+xml").media_type
'application/sparql-results+xml'
>>> negotiate(GRAPH, "*/*").media_type
'text/turtle'
>>> negotiate(GRAPH, "text/html", format_param="nt").media_type
'application/n-triples'
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .errors import NotAcceptable


@dataclass(frozen=True)
class Format:
    """A serialisation: its media type, the short names ``format=`` accepts, and a file suffix."""

    media_type: str
    names: tuple[str, ...]
    suffix: str
    #: Other media types clients use for the same thing.
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header value; textual formats are UTF-8."""
        return f"{self.media_type}; charset=utf-8"


JSON_RESULTS = Format(
    "application/sparql-results+json", ("json", "srj"), "srj", ("application/json",)
)
XML_RESULTS = Format(
    "application/sparql-results+xml", ("xml", "srx"), "srx", ("application/xml", "text/xml")
)
CSV = Format("text/csv", ("csv",), "csv")
TSV = Format("text/tab-separated-values", ("tsv",), "tsv")

TURTLE = Format("text/turtle", ("turtle", "ttl"), "ttl", ("application/x-turtle",))
JSON_LD = Format(
    "application/ld+json", ("jsonld", "json-ld", "json"), "jsonld", ("application/json",)
)
N_TRIPLES = Format("application/n-triples", ("nt", "ntriples", "n-triples"), "nt", ("text/plain",))
RDF_XML = Format(
    "application/rdf+xml", ("rdfxml", "rdf", "xml"), "rdf", ("application/xml", "text/xml")
)
N_QUADS = Format("application/n-quads", ("nq", "nquads", "n-quads"), "nq")
TRIG = Format("application/trig", ("trig",), "trig")

#: SELECT results. ASK results use the first two only: CSV and TSV cannot carry a boolean.
RESULTS = (JSON_RESULTS, XML_RESULTS, CSV, TSV)
BOOLEAN = (JSON_RESULTS, XML_RESULTS)
#: CONSTRUCT and DESCRIBE results.
GRAPH = (TURTLE, JSON_LD, N_TRIPLES, RDF_XML, N_QUADS, TRIG)
#: The service description.
DESCRIBE_OFFERS = (TURTLE, JSON_LD, RDF_XML)
#: rdflib's names of the graph formats it writes for psfkg (service description, catalogue, VoID).
RDFLIB = {TURTLE: "turtle", RDF_XML: "xml", JSON_LD: "json-ld", N_TRIPLES: "nt"}


def by_format_param(offers: tuple[Format, ...], value: str) -> Format | None:
    """The offer a ``format=`` value names, by short name or media type."""
    value = value.strip().lower()
    for offer in offers:
        if value in offer.names or value == offer.media_type or value in offer.aliases:
            return offer
    return None


#: Distinct (offers, Accept, format=) choices remembered: clients send a handful of Accept headers.
NEGOTIATIONS_KEPT = 256


@functools.lru_cache(maxsize=NEGOTIATIONS_KEPT)
def negotiate(
    offers: tuple[Format, ...], accept: str | None, format_param: str | None = None
) -> Format:
    """Choose a format: the one ``format=`` names, else the best match for ``Accept`` (q-values and
    wildcards honoured), else the first offer when ``Accept`` is absent.

    A ``format=`` naming nothing on offer is ignored, as clients such as SPARQLWrapper send it
    beside a matching ``Accept``.

    :raises NotAcceptable: listing the offered media types when nothing acceptable is available.
    """
    chosen = by_format_param(offers, format_param) if format_param else None
    if chosen is not None:
        return chosen
    if not accept or not accept.strip():
        return offers[0]
    parsed = parse_accept_header(accept, MIMEAccept)
    # Primary media types first, so that a wildcard such as text/* picks one before an alias.
    candidates = {offer.media_type: offer for offer in offers}
    for offer in offers:
        for alias in offer.aliases:
            candidates.setdefault(alias, offer)
    best = parsed.best_match(list(candidates))
    if best is None:
        raise NotAcceptable("none of the media types in Accept is offered", offered(offers))
    return candidates[best]


def offered(offers: tuple[Format, ...]) -> list[str]:
    """The media types of some offers, for a 406 answer."""
    return [offer.media_type for offer in offers]
