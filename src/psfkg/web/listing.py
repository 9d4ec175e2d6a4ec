"""What the browse lists hold: every project and organisation with its facet values, read from
one fixed query (:func:`~psfkg.web.asking.select`, remembered while the release is served), and
each item as a row of the CSV or the JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .asking import select
from .service import service

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
#: column -> heading, in the order of the table and the CSV (after the item's IRI).
COLUMNS = {
    "projects": {
        "label": "Name",
        "title": "Title",
        "year": "Start year",
        "priority-area": "Priority area",
        "funding-period": "Funding period",
        "country": "Country",
    },
    "organisations": {"label": "Name", "country": "Country", "projects": "Projects"},
}
#: Facets an item may have several values of: a list in the JSON (else a string, or null).
SEVERAL = {"projects": ("country",), "organisations": ()}
#: Columns sorted as numbers (and numbers in the JSON).
NUMERIC = ("year", "projects")


@dataclass
class Item:
    """A browsed item: its IRI, label, other cells, and facet values (slug -> (value, label))."""

    iri: str
    label: str
    cells: dict[str, str] = field(default_factory=dict)
    facets: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def cell(self, column: str) -> str:
        """A column's text: its value, or the labels of its facet values joined by ``; ``."""
        if column == "label":
            return self.label
        if column in self.cells:
            return self.cells[column]
        return "; ".join(text for _, text in self.values(column))

    def values(self, facet: str) -> list[tuple[str, str]]:
        """A facet's (value, label) pairs, by label (as :func:`items` orders them)."""
        return list(self.facets.get(facet, {}).values())


def slug(value: str) -> str:
    """The last segment of an IRI (or the value itself): what a facet link carries."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def items(kind: str) -> list[Item]:
    """Every project or organisation with its facet values, computed once per worker (and
    release: the service's cache goes with it)."""
    cache = service().cache
    if f"items-{kind}" not in cache:
        cache[f"items-{kind}"] = _read(kind)
    found: list[Item] = cache[f"items-{kind}"]
    return found


def _read(kind: str) -> list[Item]:
    query = PROJECTS if kind == "projects" else ORGANISATIONS
    _, rows = select(query, own=True)
    found: dict[str, Item] = {}
    projects: dict[str, set[str]] = {}
    for row in rows:
        item = found.setdefault(row["item"].text, Item(row["item"].text, row["label"].text))
        if "title" in row:
            item.cells["title"] = row["title"].text
        for facet, (var, label_var, _) in FACETS[kind].items():
            if var in row:
                text = row.get(label_var, row[var]).text
                item.facets.setdefault(facet, {})[slug(row[var].text)] = (row[var].text, text)
        if "project" in row:
            projects.setdefault(item.iri, set()).add(row["project"].text)
    for item in found.values():
        if kind == "organisations":
            item.cells["projects"] = str(len(projects.get(item.iri, ())))
        for facet, values in item.facets.items():  # each facet's values by label, once
            item.facets[facet] = dict(
                sorted(values.items(), key=lambda kv: (kv[1][1].casefold(), kv[0]))
            )
    return sorted(found.values(), key=lambda i: (i.label.casefold(), i.iri))


def unplaced() -> list[str]:
    """Each project that "projects per year and priority area" cannot count, with why: the
    source gives it no start year, or no priority area (``BALTinnoSEC (no start year...)``)."""
    out = []
    for item in items("projects"):
        missing = [
            w
            for f, w in (("year", "start year"), ("priority-area", "priority area"))
            if f not in item.facets
        ]
        if missing:
            out.append(f"{item.label} (its source gives no {' and no '.join(missing)})")
    return out


@dataclass(frozen=True)
class Index:
    """Each facet's values: the items that have each (their positions in :func:`items`), and its
    label, ordered by label (years in order)."""

    members: dict[str, dict[str, frozenset[int]]]
    labels: dict[str, dict[str, str]]

    def having(self, facet: str, values: list[str]) -> frozenset[int]:
        """The items that have any of ``values`` of ``facet``."""
        return frozenset().union(*(self.members[facet].get(v, frozenset()) for v in values))


def index(kind: str) -> Index:
    """The :class:`Index` of a list, computed once per worker (and release)."""
    cache = service().cache
    if f"index-{kind}" not in cache:
        members: dict[str, dict[str, set[int]]] = {f: {} for f in FACETS[kind]}
        labels: dict[str, dict[str, str]] = {f: {} for f in FACETS[kind]}
        for position, item in enumerate(items(kind)):
            for facet, values in item.facets.items():
                for value, (_, text) in values.items():
                    members[facet].setdefault(value, set()).add(position)
                    labels[facet][value] = text
        for facet, texts in labels.items():
            labels[facet] = dict(
                sorted(texts.items(), key=lambda kv: (facet != "year", kv[1].casefold(), kv[0]))
            )
        cache[f"index-{kind}"] = Index(
            {f: {v: frozenset(members[f][v]) for v in labels[f]} for f in members}, labels
        )
    found: Index = cache[f"index-{kind}"]
    return found


def record(kind: str, item: Item, *, flat: bool) -> dict[str, Any]:
    """An item as a row of the CSV (``flat``: text, several values joined by ``; ``) or of the
    JSON (numbers as numbers, :data:`SEVERAL` as lists, a missing value null). Each facet whose
    values are IRIs has them in a column of its own, ``<facet>-iri`` (joined by spaces)."""
    row: dict[str, Any] = {"iri": item.iri}
    for column in COLUMNS[kind]:
        facet = FACETS[kind].get(column)
        pairs = item.values(column) if facet else [("", item.cell(column))]
        pairs = [(v, t) for v, t in pairs if t]
        columns = {column: [t for _, t in pairs]}
        if facet and facet[0] != facet[1]:
            columns[f"{column}-iri"] = [v for v, _ in pairs]
        for name, values in columns.items():
            if flat:
                row[name] = (" " if name.endswith("-iri") else "; ").join(values)
            elif column in SEVERAL[kind]:
                row[name] = values
            elif not values:
                row[name] = None
            else:
                row[name] = int(values[0]) if column in NUMERIC else values[0]
    return row
