"""What the browse lists hold: every project and organisation with its facet values, read from
one fixed query (:func:`~psfkg.web.asking.select`, remembered while the release is served), and
each item as a row of the CSV or the JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .asking import select

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
        """A facet's (value, label) pairs, by label."""
        return sorted(self.facets.get(facet, {}).values(), key=lambda v: (v[1].casefold(), v[0]))


def slug(value: str) -> str:
    """The last segment of an IRI (or the value itself): what a facet link carries."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def items(kind: str) -> list[Item]:
    """Every project or organisation with its facet values, computed once per worker."""
    query = PROJECTS if kind == "projects" else ORGANISATIONS
    _, rows = select(query, own=True, cache=f"browse-{kind}")
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
    if kind == "organisations":
        for item in found.values():
            item.cells["projects"] = str(len(projects.get(item.iri, ())))
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


def matches(item: Item, filters: dict[str, list[str]], skip: str | None = None) -> bool:
    """Whether an item has one of the values of every filtered facet (but ``skip``)."""
    return all(
        any(v in item.facets.get(facet, {}) for v in values)
        for facet, values in filters.items()
        if facet != skip
    )


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
