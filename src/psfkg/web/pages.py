"""Pages for people: the landing page, the charts, the validation report, what stays stable of
the IRIs (the browse lists are :mod:`psfkg.web.browse`)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, VOID
from rdflib.term import Node

from .. import formats
from ..namespaces import DEFAULT_BASE, NAMED_GRAPHS, ONTOLOGY_VERSION_IRI
from ..release import VOID_FILE
from . import charts
from .asking import Solution, select
from .citing import citation, schema_org
from .dumps import licences
from .listing import unplaced
from .queries import named_queries
from .service import served_release, service
from .site import page, tagged, url, wants

bp = Blueprint("pages", __name__)
SOURCES = """SELECT ?page ?title WHERE { ?page a psf:SourceDocument ; dcterms:title ?title }
ORDER BY DESC(?title)"""
#: The named queries the charts draw.
CHARTS = ("projects-per-priority-area-and-year", "country-co-participation")
#: The classes the landing page counts, by their name in psfkg's namespace.
COUNTED = ("Project", "Organisation", "Participation", "Country", "PriorityArea", "FundingPeriod")


@bp.route("/")
def landing() -> ResponseReturnValue:
    """What the dataset is, its counts, licence and sources, the release, and where to go next."""
    svc, published = service(), served_release()
    counts = class_counts()
    manifest = published.manifest
    base = svc.base
    cited = citation(published)
    json_ld = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": base + "dataset",
        "name": "CBSS Project Support Facility knowledge graph",
        "description": "Projects funded by the Project Support Facility of the Council of the "
        "Baltic Sea States (2013-2018) and BALTinnoSEC: partners, countries, priority areas, "
        "funding periods.",
        "url": request.url_root,
        "dateModified": manifest["date"],
        **schema_org(cited, licences()),
        "isBasedOn": sorted(
            str(s)
            for s in service()
            .release_graph(VOID_FILE)
            .objects(URIRef(base + "dataset"), DCTERMS.source)
        ),
        "distribution": [
            {
                "@type": "DataDownload",
                "contentUrl": f"{request.url_root}dumps/psfkg.{fmt.suffix}",
                "encodingFormat": fmt.media_type,
            }
            for fmt in DUMP_FORMATS
        ],
    }
    queries = named_queries()
    return page(
        "landing.html",
        title="CBSS PSF knowledge graph",
        counts=counts,
        manifest=manifest,
        release=published.name,
        triples=svc.triples,
        queries=queries.values(),
        charts={name: name in queries for name in CHARTS},
        unplaced=unplaced(),
        sources=select(SOURCES, own=True, cache="sources")[1],
        json_ld=json_ld,
        citation=cited,
    )


def class_counts() -> dict[str, int]:
    """How many of each class of :data:`COUNTED` the data holds, from the release's VoID."""
    void, psf = service().release_graph(VOID_FILE), service().psf
    dataset = URIRef(service().base + "dataset")
    found = {}
    for part in void.objects(dataset, VOID.classPartition):
        cls, entities = void.value(part, VOID["class"]), void.value(part, VOID.entities)
        name = str(cls)[len(psf) :] if str(cls).startswith(psf) else None
        if name in COUNTED and isinstance(entities, Literal):
            found[name] = int(entities)
    return {name: found.get(name, 0) for name in COUNTED}


#: The formats of the dumps (``psfkg.<suffix>``) the landing page's schema.org Dataset lists.
DUMP_FORMATS = (formats.TURTLE, formats.N_TRIPLES, formats.JSON_LD, formats.N_QUADS)


def _chart_rows(name: str) -> list[Solution]:
    """The rows of the named query a chart draws; 404 when the release has no such query."""
    served_release()
    query = named_queries().get(name)
    if query is None:
        abort(404, f"this release has no named query {name!r} to draw")
    return select(query.text, query.bind({}), cache=f"query-{name}")[1]


@bp.route("/charts/projects-per-year.svg")
def chart_projects_per_year() -> ResponseReturnValue:
    """Projects per start year, stacked by priority area."""
    rows = _chart_rows("projects-per-priority-area-and-year")
    data = [(r["priorityAreaLabel"].text, r["year"].text, int(r["projects"].text)) for r in rows]
    return _svg(charts.stacked_bars(data, title="Projects per start year and priority area"))


@bp.route("/charts/co-participation.svg")
def chart_co_participation() -> ResponseReturnValue:
    """The country co-participation network."""
    rows = _chart_rows("country-co-participation")
    data = [
        (r["country1Label"].text, r["country2Label"].text, int(r["projects"].text)) for r in rows
    ]
    return _svg(charts.network(data, title="Countries linked by the projects they share"))


def _svg(body: str) -> ResponseReturnValue:
    return tagged(Response(body, content_type=formats.SVG.content_type))


def _read_report(report: bytes) -> tuple[list[dict[str, str]], bool]:
    """The results of a validation report, violations first, and whether it has no violation
    (psfkg's verdict, ``psf:violations``; SHACL's ``sh:conforms`` counts warnings too)."""
    graph = Graph().parse(data=report, format="turtle")
    results = [_result(graph, r) for r in graph.subjects(RDF.type, SH.ValidationResult)]
    results.sort(key=lambda r: (r["severity"] != "Violation", r["focus"], r["message"]))
    violations = next(graph.objects(None, service().psf.violations), None)
    return results, isinstance(violations, Literal) and violations.toPython() == 0


@bp.route("/validation")
@bp.route("/validation.ttl")
def validation() -> ResponseReturnValue:
    """The SHACL validation report of the current release, as a page or as RDF."""
    svc, published = service(), served_release()
    report = published.read("validation.ttl") or b""
    turtle = formats.TURTLE
    if request.path.endswith(".ttl") or wants((formats.HTML, turtle)) is turtle:
        return Response(report, content_type=turtle.content_type)
    if "validation" not in svc.cache:
        svc.cache["validation"] = _read_report(report)
    results, conforms = svc.cache["validation"]
    return page(
        "validation.html",
        title="Validation report",
        results=results,
        conforms=conforms,
        release=published.name,
        alternates=[(url("/validation.ttl"), turtle.media_type, turtle.label)],
    )


@bp.route("/about/iris")
def about_iris() -> ResponseReturnValue:
    """What stays stable of psfkg's IRIs, what a removed record answers, and how the base
    (by default w3id.org's) reaches this site."""
    served_release()
    base = service().base
    return page(
        "about_iris.html",
        title="Persistent IRIs",
        base=base,
        version=ONTOLOGY_VERSION_IRI.rsplit("/", 1)[-1],
        graphs=[graph.rsplit("/", 1)[-1] for graph in NAMED_GRAPHS],
        redirected=base == DEFAULT_BASE,
    )


def _result(graph: Graph, node: Node) -> dict[str, str]:
    def one(predicate: URIRef) -> str:
        value = graph.value(node, predicate)
        return "" if value is None else str(value)

    return {
        "severity": one(SH.resultSeverity).rsplit("#", 1)[-1],
        "focus": one(SH.focusNode),
        "path": one(SH.resultPath),
        "message": one(SH.resultMessage),
        "value": one(SH.value),
    }
