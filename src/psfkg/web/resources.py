"""Every IRI the graph mints answers a GET: records, ontology terms, named graphs, the dataset and
the source pages.

Cool URIs by content negotiation: ``/id/project/jatoc`` answers HTML to browsers and Turtle,
JSON-LD, N-Triples or RDF/XML to RDF clients, names the variant in ``Content-Location`` and lists
every variant in ``Link: rel=alternate``. A suffix (``.html``, ``.ttl``, ``.jsonld``, ``.nt``,
``.rdf``) or ``format=`` asks for one variant. A source page also comes as plain text (``.txt``),
the text its records cite by line (RFC 5147). Hash IRIs of terms (``/def#Project``) resolve to the
ontology's page, which has an anchor for each term. The Turtle is written with psfkg's prefixes,
the resource's own statements first, in one subject block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from rdflib import URIRef

from .. import formats
from ..formats import Format
from ..namespaces import METADATA_PREFIXES, ONTOLOGY_VERSION_IRI
from ..terms import Binding
from . import catalogue, statements, views
from .asking import construct
from .service import served_release, service
from .site import RESOURCE, link_header, page, tagged, url, wants

bp = Blueprint("resources", __name__)
RESOURCE_QUERY = (Path(__file__).parent / "resource.rq").read_text(encoding="utf-8")
ONTOLOGY_QUERY = "CONSTRUCT WHERE { ?s ?p ?o }"
#: What a source page is offered in: a resource's formats, and its text.
SOURCE = (*RESOURCE, formats.TEXT)
#: A local name Turtle writes as it is, without escapes (a subset of PN_LOCAL).
PLAIN_LOCAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*")
#: Longest name of a source page, in bytes: longer than any, shorter than a file name can be.
SOURCE_NAME_BYTES = 200


def split(path: str, offers: tuple[Format, ...] = RESOURCE) -> tuple[str, str | None]:
    """``id/project/jatoc.ttl`` -> (``id/project/jatoc``, ``ttl``): a suffix of ``offers``."""
    stem, dot, suffix = path.rpartition(".")
    if dot and "/" not in suffix and formats.from_suffix(suffix, offers) is not None:
        return stem, suffix
    return path, None


def choose(suffix: str | None, offers: tuple[Format, ...] = RESOURCE) -> Format:
    """The format a suffix names, else the one the request negotiates.

    :raises NotFound: for a suffix none of ``offers`` has.
    """
    if suffix is None:
        return wants(offers)
    chosen = formats.from_suffix(suffix, offers)
    if chosen is None:
        known = ", ".join(f".{f.suffix}" for f in offers)
        abort(404, f"no format .{suffix} here: use {known} or no suffix")
    return chosen


def _fetch(
    iri: str, media_type: str, query: str = RESOURCE_QUERY, graphs: tuple[str, ...] = ()
) -> bytes:
    bindings = (("resource", Binding("iri", iri)),) if query is RESOURCE_QUERY else ()
    return construct(query, media_type, own=True, default_graphs=graphs, bindings=bindings)


def turtle(n_triples: bytes, iri: str) -> bytes:
    """Turtle of a resource's triples with psfkg's prefixes: the resource's block first, then
    each other subject's, every subject's triples together (one block each).

    A prefix is declared when the triples use it and each name under it is a plain local name:
    ``id:project\\/jatoc`` is valid Turtle, but its full IRI reads better.

    :param n_triples: the triples, as N-Triples.
    :param iri: the resource.
    """
    triples = sorted(
        ox.parse(n_triples, format=ox.RdfFormat.N_TRIPLES),
        key=lambda t: (t.subject.value != iri, str(t.subject), str(t)),
    )
    known = {**service().prefixes, **METADATA_PREFIXES}
    iris = {
        named.value
        for t in triples
        for term in (t.subject, t.predicate, t.object)
        if isinstance(
            named := term.datatype if isinstance(term, ox.Literal) else term, ox.NamedNode
        )
    }
    used: dict[str, bool] = {}
    for value in iris:
        for prefix, namespace in known.items():
            if value.startswith(namespace):
                local = value[len(namespace) :]
                used[prefix] = used.get(prefix, True) and bool(PLAIN_LOCAL.fullmatch(local))
    prefixes = {p: ns for p, ns in known.items() if used.get(p)}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b""


def respond(
    path: str,
    suffix: str | None,
    *,
    query: str = RESOURCE_QUERY,
    graphs: tuple[str, ...] = (),
    html: views.Renderer = views.resource,
    text: Callable[[], Response] | None = None,
) -> ResponseReturnValue:
    """Serve the resource at ``path`` (no leading slash) in the negotiated representation: HTML
    by ``html``, RDF, or plain text by ``text`` when the resource has a text."""
    iri = service().base + path
    offers = RESOURCE if text is None else SOURCE
    chosen = choose(suffix, offers)
    if not statements.shows_inferred() and chosen is not formats.HTML:
        abort(
            400,
            "inferred=0 hides the inferred statements of the HTML page; the RDF is the resource's "
            "data with them (to leave them out, query the graph asserted at /sparql)",
        )
    if chosen is formats.HTML:
        graph = statements.graph(_fetch(iri, formats.N_TRIPLES.media_type, query, graphs))
        if not any(True for _ in graph.triples((URIRef(iri), None, None))):
            return not_found(iri)
        response = html(URIRef(iri), graph)
    elif chosen is formats.TEXT and text is not None:
        response = text()
    else:
        if chosen is formats.TURTLE:
            body = turtle(_fetch(iri, formats.N_TRIPLES.media_type, query, graphs), iri)
        else:
            body = _fetch(iri, chosen.media_type, query, graphs)
        if not body.strip():
            return not_found(iri)
        response = Response(body, content_type=chosen.content_type)
    local = "/" + path
    response.headers["Content-Location"] = url(f"{local}.{chosen.suffix}")
    response.headers["Link"] = link_header(local, canonical=iri, offers=offers)
    response.vary.add("Accept")
    return tagged(response)


def not_found(iri: str) -> Response:
    """A helpful 404: what was looked for, and where to go instead."""
    return page("not_found.html", status=404, iri=iri, title="Not found")


@bp.before_request
def _require_release() -> None:
    """Every route here serves the PSF graph; a files-only server has none."""
    served_release()


@bp.route("/id/<path:path>")
def record(path: str) -> ResponseReturnValue:
    """A project, organisation, participation, country, priority area, period, event..."""
    stem, suffix = split(path)
    return respond(f"id/{stem}", suffix)


@bp.route("/def")
@bp.route("/def.<suffix>")
@bp.route("/def/<version>")
def ontology(suffix: str | None = None, version: str | None = None) -> ResponseReturnValue:
    """The ontology: documentation for people, Turtle and the rest for machines.

    ``/def/<major.minor>`` is the version IRI; the current version is served there too.
    """
    if version is not None:
        stem, suffix = split(version)
        if stem != ONTOLOGY_VERSION_IRI.rsplit("/", 1)[-1]:
            abort(404, f"version {stem} of the ontology is not served here; see /def")
    graph = service().base + "graph/ontology"
    return respond("def", suffix, query=ONTOLOGY_QUERY, graphs=(graph,), html=views.ontology)


@bp.route("/graph/<name>")
def named_graph(name: str) -> ResponseReturnValue:
    """A named graph of the dataset, as the metadata graph describes it."""
    stem, suffix = split(name)
    return respond(f"graph/{stem}", suffix)


@bp.route("/dataset")
@bp.route("/dataset.<suffix>")
def dataset(suffix: str | None = None) -> ResponseReturnValue:
    """The dataset itself."""
    return respond("dataset", suffix, html=catalogue.dataset_page)


@bp.route("/source/<name>")
def source(name: str) -> ResponseReturnValue:
    """A source page: its description, and its text with an anchor on every line; or the text."""
    stem, suffix = split(name, SOURCE)
    if len(stem.encode("utf-8")) > SOURCE_NAME_BYTES:
        abort(404, f"no source page has a name of more than {SOURCE_NAME_BYTES} bytes")
    return respond(
        f"source/{stem}", suffix, html=views.source, text=lambda: views.source_text(stem)
    )


#: The first segment of the paths of resources that have mementos, and the whole of the
#: paths of those with a single IRI.
KINDS = ("id", "graph", "source")
SINGLES = ("def", "dataset")


def resource_path(path: str) -> tuple[str, str | None, tuple[Format, ...]] | None:
    """``id/project/jatoc.ttl`` -> the resource's path, the suffix, and what it is offered in;
    None for a path that is no resource IRI of the graph."""
    kind, slash, rest = path.partition("/")
    offers = SOURCE if kind == "source" else RESOURCE
    stem, suffix = split(path, offers)
    if (kind in KINDS and slash and rest) or stem in SINGLES:
        return stem, suffix, offers
    return None


def _ontology(args: dict[str, object]) -> str:
    # /def/1.0 is the ontology's version IRI, the same resource as /def
    suffix = args.get("suffix") or split(str(args.get("version") or ""))[1]
    return f"def.{suffix}" if suffix else "def"


#: The resource routes, and the path of the resource each asks for, from its arguments.
ROUTES: dict[str, Callable[[dict[str, Any]], str]] = {
    "resources.record": lambda a: f"id/{a['path']}",
    "resources.named_graph": lambda a: f"graph/{a['name']}",
    "resources.source": lambda a: f"source/{a['name']}",
    "resources.dataset": lambda a: f"dataset.{a['suffix']}" if a.get("suffix") else "dataset",
    "resources.ontology": _ontology,
}


def requested() -> str | None:
    """The path of the resource a request to a resource route asks for (suffix and all)."""
    route = ROUTES.get(request.endpoint or "")
    return None if route is None or request.view_args is None else route(request.view_args)
