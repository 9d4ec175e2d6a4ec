"""Pages for people: the landing page, browse lists with facets, the charts, the validation report.

Facets work without JavaScript: each facet value is a link that adds (or removes) a filter, and
carries the number of items it would leave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH, VOID
from rdflib.term import Node

from .. import formats
from ..release import VOID_FILE
from . import charts
from .asking import Solution, select
from .queries import named_queries
from .service import served_release, service
from .site import page, tagged, url, wants

bp = Blueprint("pages", __name__)
PROJECTS = """SELECT ?item ?label ?title ?year ?area ?areaLabel ?period ?periodLabel
  ?country ?countryLabel
WHERE { ?item a psf:Project ; rdfs:label ?label .
  OPTIONAL { ?item psf:title ?title } OPTIONAL { ?item psf:startYear ?year }
  OPTIONAL { ?item psf:priorityArea ?area . ?area rdfs:label ?areaLabel }
  OPTIONAL { ?item psf:fundingPeriod ?period . ?period rdfs:label ?periodLabel }
  OPTIONAL { ?item psf:involvesCountry ?country . ?country rdfs:label ?countryLabel } }"""
ORGANISATIONS = """SELECT ?item ?label ?country ?countryLabel ?project
WHERE { ?item a psf:Organisation ; rdfs:label ?label .
  OPTIONAL { ?item psf:country ?country . ?country rdfs:label ?countryLabel }
  OPTIONAL { ?item psf:involvedIn ?project } }"""
SOURCES = """SELECT ?page ?title WHERE { ?page a psf:SourceDocument ; dcterms:title ?title }
ORDER BY DESC(?title)"""
#: The named queries the charts draw.
CHARTS = ("projects-per-priority-area-and-year", "country-co-participation")
#: The classes the landing page counts, by their name in psfkg's namespace.
COUNTED = ("Project", "Organisation", "Participation", "Country", "PriorityArea", "FundingPeriod")
#: facet parameter -> (value variable, label variable, heading)
FACETS = {
    "projects": {
        "priority-area": ("area", "areaLabel", "Priority area"),
        "year": ("year", "year", "Start year"),
        "country": ("country", "countryLabel", "Country"),
        "funding-period": ("period", "periodLabel", "Funding period"),
    },
    "organisations": {"country": ("country", "countryLabel", "Country")},
}
PAGE_SIZE = 100


@dataclass
class Item:
    """A browsed item: its IRI, label, a line of detail, and its facet values (slug -> label)."""

    iri: str
    label: str
    detail: str = ""
    facets: dict[str, dict[str, str]] = field(default_factory=dict)


def slug(value: str) -> str:
    """The last segment of an IRI (or the value itself): what a facet link carries."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def items(kind: str) -> list[Item]:
    """Every project or organisation with its facet values, computed once per worker."""
    query = PROJECTS if kind == "projects" else ORGANISATIONS
    _, rows = select(query, own=True, cache=f"browse-{kind}")
    found: dict[str, Item] = {}
    for row in rows:
        item = found.setdefault(row["item"].text, Item(row["item"].text, row["label"].text))
        if kind == "projects" and "title" in row:
            item.detail = row["title"].text
        for facet, (var, label_var, _) in FACETS[kind].items():
            if var in row:
                item.facets.setdefault(facet, {})[slug(row[var].text)] = row.get(
                    label_var, row[var]
                ).text
        if kind == "organisations" and "project" in row:
            item.facets.setdefault("projects", {})[row["project"].text] = ""
    if kind == "organisations":
        for item in found.values():
            item.detail = f"{len(item.facets.get('projects', {}))} project(s)"
    return sorted(found.values(), key=lambda i: i.label.lower())


def matches(item: Item, filters: dict[str, str], skip: str | None = None) -> bool:
    """Whether an item has every filtered facet value (but ``skip``)."""
    return all(
        value in item.facets.get(facet, {}) for facet, value in filters.items() if facet != skip
    )


def facet_links(kind: str, everything: list[Item], filters: dict[str, str]) -> list[dict[str, Any]]:
    """For each facet, its values with counts and the link that toggles each."""
    out = []
    for facet, (_, _, heading) in FACETS[kind].items():
        counts: dict[str, tuple[str, int]] = {}
        for item in everything:
            if matches(item, filters, skip=facet):
                for value, text in item.facets.get(facet, {}).items():
                    counts[value] = (text, counts.get(value, (text, 0))[1] + 1)
        values = []
        for value, (text, n) in sorted(
            counts.items(), key=lambda kv: (facet != "year", kv[1][0].lower())
        ):
            toggled = {k: v for k, v in filters.items() if k != facet}
            if filters.get(facet) != value:
                toggled[facet] = value
            values.append(
                {
                    "text": text,
                    "count": n,
                    "active": filters.get(facet) == value,
                    "href": url(f"/browse/{kind}?{urlencode(toggled)}")
                    if toggled
                    else url(f"/browse/{kind}"),
                }
            )
        out.append({"heading": heading, "options": values})
    return out


@bp.route("/")
def landing() -> ResponseReturnValue:
    """What the dataset is, its counts, licence and sources, the release, and where to go next."""
    svc, published = service(), served_release()
    counts = class_counts()
    manifest = published.manifest
    base = svc.base
    json_ld = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": base + "dataset",
        "name": "CBSS Project Support Facility knowledge graph",
        "description": "Projects funded by the Project Support Facility of the Council of the "
        "Baltic Sea States (2013-2018) and BALTinnoSEC: partners, countries, priority areas, "
        "funding periods.",
        "url": request.url_root,
        "version": manifest["version"],
        "dateModified": manifest["date"],
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
        sources=select(SOURCES, own=True, cache="sources")[1],
        json_ld=json_ld,
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


@bp.route("/browse/<kind>")
def browse(kind: str) -> ResponseReturnValue:
    """Projects or organisations, filtered by facets."""
    served_release()
    if kind not in FACETS:
        abort(
            404, f"nothing to browse called {kind!r}: try /browse/projects or /browse/organisations"
        )
    filters = {k: v for k, v in request.args.items() if k in FACETS[kind] and v}
    everything = items(kind)
    chosen = [i for i in everything if matches(i, filters)]
    asked = request.args.get("page", "1")
    number = max(int(asked), 1) if re.fullmatch(r"[0-9]{1,9}", asked) else 1
    shown = chosen[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    more = {**filters, "page": str(number + 1)} if number * PAGE_SIZE < len(chosen) else None
    return page(
        "browse.html",
        title=kind.capitalize(),
        kind=kind,
        items=shown,
        total=len(chosen),
        facets=facet_links(kind, everything, filters),
        filters=filters,
        next_href=url(f"/browse/{kind}?{urlencode(more)}") if more else None,
    )


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
