"""The formats psfkg serves, in one table, and the one content negotiation over them.

Each :class:`Format` says its media type and the aliases clients use for it, its file suffix, the
names ``format=`` accepts, which query forms' results it can carry, and what rdflib and the W3C
call it. :func:`from_media_type` and :func:`from_suffix` look formats up (as pyoxigraph's
``RdfFormat.from_media_type`` and ``from_extension`` do), :func:`for_form` lists the formats of
a query form's results, and :func:`negotiate` chooses one for a request: a ``format=`` parameter
(a name such as ``csv``, or a media type) overrides the ``Accept`` header, so that a link can name
its format. :func:`for_people` adds a page to what a URL offers machines: clients that say nothing
(or ``*/*``) keep getting the data, and a browser, which names ``text/html`` first, gets the page.

>>> from_suffix("ttl") is TURTLE
True
>>> from_media_type('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"').label
'JSON-LD'
>>> [f.name for f in for_form("ASK")]
['json', 'xml']
>>> negotiate(for_form("SELECT"), "text/csv;q=0.9, application/sparql-results+xml").media_type
'application/sparql-results+xml'
>>> negotiate(for_form("CONSTRUCT"), "text/turtle; charset=utf-8").media_type
'text/turtle'
>>> negotiate(for_form("CONSTRUCT"), "text/html", format_param="nt").media_type
'application/n-triples'
>>> negotiate(for_people(for_form("CONSTRUCT")), "text/html,application/xml;q=0.9,*/*;q=0.8").label
'HTML'
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rdflib import Graph
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from .errors import NotAcceptable

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
SOLUTIONS: frozenset[QueryForm] = frozenset({"SELECT", "ASK"})
#: CSV and TSV cannot carry a boolean.
SELECT_ONLY: frozenset[QueryForm] = frozenset({"SELECT"})
GRAPHS: frozenset[QueryForm] = frozenset({"CONSTRUCT", "DESCRIBE"})
UTF_8 = "utf-8"


@dataclass(frozen=True, eq=False)
class Format:
    """A serialisation psfkg serves. Each is one of the constants below, equal only to itself."""

    #: What people call it, as in a link to it.
    label: str
    media_type: str
    #: Its file suffix, without the dot.
    suffix: str
    #: The names ``format=`` accepts for it; the first is its short name.
    names: tuple[str, ...]
    #: Other media types clients use for the same thing.
    aliases: tuple[str, ...] = ()
    #: The query forms whose results it can carry.
    forms: frozenset[QueryForm] = frozenset()
    #: rdflib's name for it, when psfkg writes rdflib graphs in it.
    rdflib: str | None = None
    #: Its name under ``http://www.w3.org/ns/formats/``, when the W3C names it.
    w3c: str | None = None
    #: The charset of its text; None for a binary format.
    charset: str | None = UTF_8

    @property
    def name(self) -> str:
        """The short name: what ``format=`` and the named queries' URLs use."""
        return self.names[0]

    @property
    def content_type(self) -> str:
        """The Content-Type header value: the media type, with the charset of a textual format."""
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type


JSON_RESULTS = Format(
    "SPARQL JSON",
    "application/sparql-results+json",
    "srj",
    ("json", "srj"),
    ("application/json",),
    SOLUTIONS,
    w3c="SPARQL_Results_JSON",
)
XML_RESULTS = Format(
    "SPARQL XML",
    "application/sparql-results+xml",
    "srx",
    ("xml", "srx"),
    ("application/xml", "text/xml"),
    SOLUTIONS,
    w3c="SPARQL_Results_XML",
)
CSV = Format("CSV", "text/csv", "csv", ("csv",), (), SELECT_ONLY, w3c="SPARQL_Results_CSV")
TSV = Format(
    "TSV", "text/tab-separated-values", "tsv", ("tsv",), (), SELECT_ONLY, w3c="SPARQL_Results_TSV"
)
TURTLE = Format(
    "Turtle",
    "text/turtle",
    "ttl",
    ("turtle", "ttl"),
    ("application/x-turtle",),
    GRAPHS,
    rdflib="turtle",
    w3c="Turtle",
)
JSON_LD = Format(
    "JSON-LD",
    "application/ld+json",
    "jsonld",
    ("jsonld", "json-ld", "json"),
    ("application/json",),
    GRAPHS,
    rdflib="json-ld",
    w3c="JSON-LD",
)
N_TRIPLES = Format(
    "N-Triples",
    "application/n-triples",
    "nt",
    ("nt", "ntriples", "n-triples"),
    ("text/plain",),
    GRAPHS,
    rdflib="nt",
    w3c="N-Triples",
)
RDF_XML = Format(
    "RDF/XML",
    "application/rdf+xml",
    "rdf",
    ("rdfxml", "rdf", "xml"),
    ("application/xml", "text/xml"),
    GRAPHS,
    rdflib="xml",
    w3c="RDF_XML",
)
N_QUADS = Format(
    "N-Quads", "application/n-quads", "nq", ("nq", "nquads", "n-quads"), (), GRAPHS, w3c="N-Quads"
)
TRIG = Format("TriG", "application/trig", "trig", ("trig",), (), GRAPHS, w3c="TriG")
#: Pages for people, source texts, listings and charts.
HTML = Format("HTML", "text/html", "html", ("html",))
TEXT = Format("plain text", "text/plain", "txt", ("txt", "text"))
JSON = Format("JSON", "application/json", "json", ("json",))
#: JSON wrapped in a call, for the old clients of the reconciliation service (``callback=``).
JSONP = Format("JSONP", "application/javascript", "js", ("jsonp",))
SVG = Format("SVG", "image/svg+xml", "svg", ("svg",))
GZIP = Format("gzip", "application/gzip", "gz", ("gz", "gzip"), charset=None)
#: Search: what a browser's search box reads (the OpenSearch 1.1 description and suggestions).
OPENSEARCH = Format(
    "OpenSearch description", "application/opensearchdescription+xml", "xml", ("opensearch",)
)
SUGGESTIONS = Format(
    "OpenSearch suggestions", "application/x-suggestions+json", "suggestions", ("suggestions",)
)
#: What changed between two releases (psfkg.build.changes), and the feed of releases.
RDF_PATCH = Format("RDF Patch", "application/rdf-patch", "rdfp", ("rdfp", "rdf-patch"))
ATOM = Format("Atom", "application/atom+xml", "atom", ("atom",))
#: The release's search index, as ``/dumps/search.sqlite`` gives it.
SQLITE = Format("SQLite database", "application/vnd.sqlite3", "sqlite", ("sqlite",), charset=None)

#: Every format psfkg serves. Query results come in table order of preference (the first a query
#: form's results can take is its default).
TABLE = (
    JSON_RESULTS,
    XML_RESULTS,
    CSV,
    TSV,
    TURTLE,
    JSON_LD,
    N_TRIPLES,
    RDF_XML,
    N_QUADS,
    TRIG,
    HTML,
    TEXT,
    JSON,
    JSONP,
    SVG,
    GZIP,
    OPENSEARCH,
    SUGGESTIONS,
    SQLITE,
    RDF_PATCH,
    ATOM,
)

#: Who a file in each format is for, one line each, as the downloads page says.
USED_BY: dict[Format, str] = {
    TURTLE: "people reading the data, and RDF libraries and tools (rdflib, Apache Jena, RDF4J)",
    N_TRIPLES: "line-by-line tools (grep, sort, split) and the bulk loaders of triple stores",
    N_QUADS: "triple stores that keep named graphs (Oxigraph, Virtuoso, GraphDB, Jena TDB)",
    JSON_LD: "web developers and JSON tools; context.jsonld gives the short keys",
    RDF_PATCH: "mirrors that follow the releases: apply it to the previous psfkg.nq (RDF Delta)",
    GZIP: "anyone downloading: the same file, smaller; gunzip it, or let curl --compressed",
}


@functools.cache
def for_form(form: str) -> tuple[Format, ...]:
    """The formats a query form's results can be written in, the default first.

    :param form: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.
    :raises ValueError: for anything else.

    >>> [f.name for f in for_form("SELECT")]
    ['json', 'xml', 'csv', 'tsv']
    """
    found = tuple(f for f in TABLE if form in f.forms)
    if not found:
        raise ValueError(f"no query form {form!r}")
    return found


def for_people(offers: tuple[Format, ...]) -> tuple[Format, ...]:
    """``offers`` (formats for machines) and, after them, HTML: a page for people at the same URL.

    Being last, HTML is never the default: no ``Accept``, ``*/*``, ``text/*`` or
    ``application/xml`` still get the first of ``offers`` (or RDF/XML); it is chosen when
    ``text/html`` is named with a q-value at least as high as any of ``offers`` gets (see
    :func:`negotiate`), as every browser's navigation does.

    >>> [f.name for f in for_people(for_form("ASK"))]
    ['json', 'xml', 'html']
    """
    return offers if HTML in offers else (*offers, HTML)


def from_suffix(suffix: str, among: Iterable[Format] = TABLE) -> Format | None:
    """The format whose file suffix is ``suffix`` (no dot), if one of ``among`` has it.

    >>> from_suffix("json") is JSON, from_suffix("json", for_form("SELECT"))
    (True, None)
    """
    return next((f for f in among if f.suffix == suffix.lower()), None)


def from_media_type(value: str, among: Iterable[Format] = TABLE) -> Format | None:
    """The format a media type names, if one of ``among`` does: by its own media type first, then
    by an alias (``text/plain`` is plain text, not N-Triples). Parameters other than ``charset``
    are ignored; a ``charset`` the format is not written in names nothing.

    >>> from_media_type("text/plain; charset=utf-8") is TEXT
    True
    >>> from_media_type("text/turtle; charset=iso-8859-1") is None
    True
    """
    media_type, params = parse_options_header(value)
    candidates = [f for f in among if _charset_fits(f, params.get("charset"))]
    primary = next((f for f in candidates if f.media_type == media_type), None)
    return primary or next((f for f in candidates if media_type in f.aliases), None)


def by_name(value: str, among: Iterable[Format]) -> Format | None:
    """The format of ``among`` a ``format=`` value names: by name, else by media type.

    >>> by_name("TTL", for_form("CONSTRUCT")) is TURTLE
    True
    """
    value = value.strip().lower()
    among = tuple(among)
    return next((f for f in among if value in f.names), None) or from_media_type(value, among)


def write_graph(graph: Graph, fmt: Format) -> bytes:
    """An rdflib graph (the service description, the catalogue...) written in ``fmt``.

    :raises ValueError: for a format psfkg does not write rdflib graphs in.
    """
    if fmt.rdflib is None:
        raise ValueError(f"rdflib graphs are not written as {fmt.label}")
    return graph.serialize(format=fmt.rdflib, encoding=UTF_8)


def _charset_fits(fmt: Format, charset: str | None) -> bool:
    """Whether a media range's ``charset`` parameter (if any) allows ``fmt``."""
    if charset is None:
        return True
    return fmt.charset is not None and charset.strip('"').lower() in (fmt.charset, "utf8")


#: A media range of an Accept header: type, subtype, its charset parameter (if any), q-value.
Range = tuple[str, str, str | None, float]


def _ranges(accept: str) -> list[Range]:
    ranges = []
    for value, quality in parse_accept_header(accept, MIMEAccept):
        media_type, params = parse_options_header(value)
        # Media types are case-insensitive (RFC 9110 section 8.3.1): TEXT/HTML is text/html.
        kind, slash, subtype = media_type.lower().partition("/")
        if slash and kind and subtype and (kind != "*" or subtype == "*"):
            ranges.append((kind, subtype, params.get("charset"), quality))
    return ranges


def _match(
    ranges: list[Range], fmt: Format, media_type: str, *, named: bool = False
) -> tuple[float, int] | None:
    """The q-value and specificity of the most specific range that applies to ``media_type``
    (RFC 9110 section 12.5.1), if any does; with ``named``, only ranges that name it (no
    wildcard). Unknown parameters (a JSON-LD ``profile``, say) are ignored; a range whose
    ``charset`` the format is not written in does not apply."""
    kind, _, subtype = media_type.partition("/")
    best: tuple[int, float] | None = None
    for r_kind, r_subtype, charset, quality in ranges:
        if r_kind not in ("*", kind) or r_subtype not in ("*", subtype):
            continue
        if named and "*" in (r_kind, r_subtype):
            continue
        if not _charset_fits(fmt, charset):
            continue
        specificity = (r_kind != "*") + (r_subtype != "*") + (charset is not None)
        if best is None or (specificity, quality) > best:
            best = (specificity, quality)
    return None if best is None else (best[1], best[0])


#: Distinct (offers, Accept, format=) choices remembered: clients send a handful of Accept headers.
NEGOTIATIONS_KEPT = 256


@functools.lru_cache(maxsize=NEGOTIATIONS_KEPT)
def negotiate(
    offers: tuple[Format, ...], accept: str | None, format_param: str | None = None
) -> Format:
    """Choose a format: the one ``format=`` names, else the best match for ``Accept``, else the
    first offer when ``Accept`` is absent.

    ``Accept`` is read as RFC 9110 section 12.5.1 says: q-values and wildcards, the most specific
    range deciding a format's q-value. A format's own media type is reached by wildcards, an
    alias only by a range that names it, and a format named with q=0 is refused whatever its
    aliases say. Ties in q-value go to HTML when ``Accept`` names ``text/html`` (whoever names
    it beside RDF types at the same q-value asks for a page), then to the more specific match,
    then to the format's own media type, then to the earlier offer. A ``format=`` naming
    nothing on offer is ignored, as clients such as SPARQLWrapper send it beside a matching
    ``Accept``.

    :raises NotAcceptable: listing the offered media types when nothing acceptable is available.

    >>> negotiate((HTML, TURTLE), "text/*;q=0.5, text/html;q=0").label
    'Turtle'
    >>> negotiate((TURTLE,), "text/turtle;q=0, */*;q=0.1")
    Traceback (most recent call last):
    ...
    psfkg.errors.NotAcceptable: none of the media types in Accept is offered; offered: text/turtle
    """
    chosen = by_name(format_param, offers) if format_param else None
    if chosen is not None:
        return chosen
    if not accept or not accept.strip():
        return offers[0]
    ranges = _ranges(accept)
    best: Format | None = None
    best_rank: tuple[float, bool, int, bool] = (0.0, False, -1, False)
    for offer in offers:
        own = _match(ranges, offer, offer.media_type, named=True)
        if own is not None and own[0] == 0:
            continue  # refused by name: no alias or wildcard brings it back
        for media_type in (offer.media_type, *offer.aliases):
            # An alias counts only where a range names it; a wildcard reaches the format itself.
            found = _match(ranges, offer, media_type, named=media_type != offer.media_type)
            if found is None:
                continue
            own_type = media_type == offer.media_type
            page = offer is HTML and _match(ranges, offer, media_type, named=True) is not None
            rank = (found[0], page, found[1], own_type)
            if found[0] > 0 and rank > best_rank:
                best, best_rank = offer, rank
    if best is None:
        raise NotAcceptable("none of the media types in Accept is offered", offered(offers))
    return best


def offered(offers: tuple[Format, ...]) -> list[str]:
    """The media types of some offers, for a 406 answer."""
    return [offer.media_type for offer in offers]
