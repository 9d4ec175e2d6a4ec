"""For portals and crawlers: the DCAT-AP 3 catalogue, VoID, ``sitemap.xml`` and ``robots.txt``.

The catalogue and VoID are built by the build and read from the release being served (see
:mod:`psfkg.build.catalog`); their download and endpoint URLs are moved under the URL the site is
reached at, once per worker for each of the last few sites (URL roots) it was reached at.
"""

from __future__ import annotations

from collections import OrderedDict

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from rdflib import Graph, URIRef
from rdflib.term import Node

from .. import formats
from ..release import CATALOG, VOID_FILE
from ..terms import Binding
from . import catalogue
from .asking import select
from .listing import FACETS
from .queries import named_queries
from .resources import choose, not_found, split
from .service import served_release, service
from .site import alternates, link_header, tagged, url, wants

bp = Blueprint("portal", __name__)
OFFERS = (formats.TURTLE, formats.RDF_XML, formats.JSON_LD, formats.N_TRIPLES)
#: Sites (URL roots the site is reached at) whose catalogue and VoID graphs are kept per worker.
SITES_KEPT = 8
RECORDS = """SELECT DISTINCT ?s ?prefix
WHERE { ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), ?prefix)) } ORDER BY ?s"""


def _site_graph(name: str) -> Graph:
    """A release graph as this site names it: its download and endpoint links under the URL the
    site is reached at, kept for each of the last ``SITES_KEPT`` sites (the Host header is the
    client's to choose)."""
    svc = service()
    graph, site = svc.release_graph(name), request.url_root
    if site == svc.base:
        return graph
    graphs: OrderedDict[str, Graph] = svc.cache.setdefault(f"{name}@sites", OrderedDict())
    found = graphs.get(site)
    if found is None:
        found = graphs[site] = moved(graph, svc.base, site)
        while len(graphs) > SITES_KEPT:
            graphs.popitem(last=False)
    else:
        graphs.move_to_end(site)
    return found


def moved(graph: Graph, base: str, site: str) -> Graph:
    """``graph`` with the site's own URLs (home page, ``sparql``, the files of ``dumps/`` and of
    ``releases/<id>/``) under ``site``; IRIs (a release's ``releases/<id>/``, its distributions
    ``releases/<id>/#<file>``) stay as they are."""
    own = (base, base + "sparql")

    def move(term: Node) -> Node:
        text = str(term)
        if isinstance(term, URIRef) and (text in own or _download(text, base)):
            return URIRef(site + text[len(base) :])
        return term

    out = Graph(namespace_manager=graph.namespace_manager)
    for s, p, o in graph:
        out.add((move(s), p, move(o)))
    return out


def _download(iri: str, base: str) -> bool:
    """Whether ``iri`` is the URL of a file under ``base``: ``dumps/<file>`` or
    ``releases/<id>/<file>``."""
    if not iri.startswith(base) or "#" in iri:
        return False
    top, _, rest = iri[len(base) :].partition("/")
    return (top == "dumps" and bool(rest)) or (top == "releases" and "/" in rest.rstrip("/"))


def _graph_response(key: str, suffix: str | None, html: catalogue.GraphPage) -> ResponseReturnValue:
    """A release graph in the format a suffix names, else as negotiated: RDF, or for a browser
    a page built by ``html`` from the same graph."""
    served_release()
    chosen = choose(suffix, OFFERS) if suffix else wants(formats.for_people(OFFERS))
    path = request.path.rpartition(".")[0] if suffix else request.path
    graph = _site_graph(key)
    if chosen is formats.HTML:
        listed = [(url(f"{path}.{f.suffix}"), f.media_type, f.label) for f in OFFERS]
        response = html(graph, listed)
    else:
        response = Response(formats.write_graph(graph, chosen), content_type=chosen.content_type)
    response.headers["Link"] = link_header(path, offers=OFFERS)
    response.vary.add("Accept")
    return tagged(response)


@bp.route("/catalog")
@bp.route("/catalog.<suffix>")
def dcat(suffix: str | None = None) -> ResponseReturnValue:
    """The DCAT-AP 3 catalogue: Turtle, RDF/XML, JSON-LD or N-Triples; a page for browsers."""
    return _graph_response(CATALOG, suffix, catalogue.catalog_page)


@bp.route("/.well-known/void")
@bp.route("/.well-known/void.<suffix>")
def void(suffix: str | None = None) -> ResponseReturnValue:
    """The VoID description of the dataset; a page for browsers."""
    return _graph_response(VOID_FILE, suffix, catalogue.void_page)


@bp.route("/robots.txt")
def robots() -> Response:
    """Crawlers are welcome on pages and dumps; queries are for people and programs, not crawls."""
    lines = [
        "User-agent: *",
        "Disallow: /sparql",
        "Disallow: /query",
        "Allow: /",
        f"Sitemap: {request.url_root}sitemap.xml",
        "",
    ]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every page of the site: the landing and browse pages, queries, and every record."""
    svc = service()
    served_release()
    root = request.url_root.rstrip("/")
    paths = ["/", "/def", "/dataset", "/validation", "/queries", "/dumps", "/id/priority-areas"]
    paths.append("/about/iris")
    paths += [f"/browse/{kind}" for kind in FACETS]
    paths += [f"/queries/{name}" for name in named_queries()]
    base = svc.base
    _, rows = select(RECORDS, (("prefix", Binding("literal", base + "id/")),), cache="sitemap")
    paths += ["/" + row["s"].text[len(base) :] for row in rows]
    body = "".join(f"<url><loc>{root}{path}</loc></url>" for path in paths)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n'
    )
    return Response(xml, content_type="application/xml; charset=utf-8")


@bp.route("/dataset/distribution/<name>")
@bp.route("/dataset/linkset/<name>")
@bp.route("/sparql-service")
@bp.route("/sparql-service.<suffix>")
@bp.route("/publisher")
@bp.route("/publisher.<suffix>")
def catalog_resource(name: str | None = None, suffix: str | None = None) -> ResponseReturnValue:
    """A resource the catalogue or VoID mints (a distribution, a linkset, the data service, the
    publisher)."""
    svc = service()
    path = request.path.lstrip("/")
    found = _described(path, [_site_graph(CATALOG), _site_graph(VOID_FILE)])
    if found is None:
        return not_found(svc.base + path)
    iri, stem, suffix, described = found
    chosen = choose(suffix)
    if chosen is formats.HTML:
        response = catalogue.resource_page(iri, described, alternates("/" + stem))
    else:
        response = Response(
            formats.write_graph(described, chosen), content_type=chosen.content_type
        )
    response.headers["Link"] = link_header("/" + stem, canonical=str(iri))
    response.vary.add("Accept")
    return tagged(response)


def _described(path: str, graphs: list[Graph]) -> tuple[URIRef, str, str | None, Graph] | None:
    """What ``graphs`` say about the IRI at ``path``: its triples and those of its blank nodes.

    A distribution's name ends in its file's suffix, so the path is tried as it is, then as
    ``stem.suffix`` (a representation of the stem).
    """
    for stem, suffix in ((path, None), split(path)):
        iri = URIRef(service().base + stem)
        described = Graph()
        for source in graphs:
            for triple in source.triples((iri, None, None)):
                described.add(triple)
                for nested in source.triples((triple[2], None, None)):
                    described.add(nested)
        if described:
            return iri, stem, suffix, described
    return None
