"""Reconciliation (the W3C Reconciliation Service API 0.2): matching names in other people's
tables to psfkg's organisations, projects, countries and priority areas, and the facts that
data extension gives for them. No HTTP here: :mod:`psfkg.web.reconcile` speaks the protocol,
:mod:`psfkg.reconciliation_queries` reads its queries.

Candidates come from the release's search index (:mod:`psfkg.index`: folded text, typos,
other names), every word of the name first, then any; each is scored here against its label
and each other name, word by word (folded; a word within :func:`~psfkg.index.allowed_edits` of
another counts for less; ``the``, ``of`` and their kin count for little), so that word order,
a missing article or a typo lowers the score a little and another name a lot.

A candidate is a **match** only when the query is, word for word once folded, its label or one
of its other names (or its identifier), no property condition contradicts it, and no other
candidate is such a match too. Anything close is a candidate with a lower score, never a match.

Each property condition (an organisation's country, a project it took part in...) that holds
adds :data:`AGREES` to the score, and each that does not takes :data:`DISAGREES` off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from .index import Index, allowed_edits, distance, words
from .namespaces import PSF, rebase

#: The types one can reconcile against (psfkg's classes): id -> name.
TYPES = {
    "Organisation": "Organisation",
    "Project": "Project",
    "Country": "Country",
    "PriorityArea": "Priority area",
}


@dataclass(frozen=True)
class Property:
    """A property of an entity: usable as a condition in a query, and in data extension."""

    id: str
    name: str
    description: str
    #: The types whose entities have it.
    domain: tuple[str, ...]
    #: The type of its values when they are entities, else None (years, codes).
    range: str | None


PROPERTIES = (
    Property("country", "country", "The country an organisation is based in.",
             ("Organisation",), "Country"),
    Property("involvedIn", "projects", "The projects an organisation took part in.",
             ("Organisation",), "Project"),
    Property("priorityArea", "priority areas",
             "A project's priority area; an organisation's, those of its projects.",
             ("Organisation", "Project"), "PriorityArea"),
    Property("involvesOrganisation", "partners", "The organisations that took part in a project.",
             ("Project",), "Organisation"),
    Property("startYear", "start year", "The year a project started.", ("Project",), None),
    Property("endYear", "end year", "The year a project ended.", ("Project",), None),
    Property("iso3166Alpha2", "ISO 3166-1 alpha-2 code", "A country's two-letter code.",
             ("Country",), None),
)  # fmt: skip
BY_ID = {p.id: p for p in PROPERTIES}
#: The facts data extension and the conditions read: every entity of :data:`TYPES` with its
#: label and the values of :data:`PROPERTIES` that the graph states (or infers).
FACTS = """SELECT ?item ?type ?label ?corrected ?property ?value WHERE {
  ?item a ?type ; rdfs:label ?label .
  FILTER(?type IN (psf:Organisation, psf:Project, psf:Country, psf:PriorityArea))
  OPTIONAL { ?item psf:correctedLabel ?corrected }
  OPTIONAL { ?item ?property ?value .
    FILTER(?property IN (psf:country, psf:involvedIn, psf:priorityArea, psf:involvesOrganisation,
                         psf:startYear, psf:endYear, psf:iso3166Alpha2)) } }"""
#: Words that tell little about which entity is meant, and weigh that much.
MINOR = frozenset({"the", "of", "and", "in", "at", "for", "on", "to", "a", "an", "zu", "der"})
MINOR_WEIGHT = 0.25
#: The score of an exact name; of a close one, at most (times its share of words matched).
EXACT, CLOSE = 100.0, 95.0
AGREES, DISAGREES = 10.0, 30.0
#: The highest score of a candidate that is not a match.
CEILING = 99.0
#: Candidates read from the index for one query, by each of its two searches.
POOL = 40
#: Query words scored (no name is longer).
MOST_WORDS = 40


@dataclass(frozen=True)
class Space:
    """Where entity, type and property identifiers live, under the served base: an entity's id
    is its IRI after ``<base>id/`` (``organisation/university-of-turku``), a type's or
    property's its name after ``<base>def#``. Full IRIs are accepted too."""

    base: str

    @property
    def identifiers(self) -> str:
        """The identifier space: ``<base>id/``."""
        return self.base + "id/"

    @property
    def schema(self) -> str:
        """The schema space: ``<base>def#``."""
        return rebase(str(PSF), self.base)

    def entity_id(self, iri: str) -> str:
        """An entity's id."""
        return iri[len(self.identifiers) :] if iri.startswith(self.identifiers) else iri

    def entity_iri(self, given: str) -> str:
        """The IRI an id (or IRI) names."""
        return given if given.startswith(("http://", "https://")) else self.identifiers + given

    def term(self, given: str) -> str:
        """A type's or property's id, from its id or its IRI."""
        return given[len(self.schema) :] if given.startswith(self.schema) else given


@dataclass
class Entity:
    """An entity of :data:`TYPES`: its label and the values of its :data:`PROPERTIES` (IRIs
    for entities, text for the others)."""

    iri: str
    type: str
    label: str
    values: dict[str, set[str]] = field(default_factory=dict)


class Facts:
    """Every entity of :data:`TYPES`, from the rows of :data:`FACTS` (variable -> text)."""

    def __init__(self, rows: Iterable[Mapping[str, str]], base: str) -> None:
        schema, terms = Space(base).schema, {rebase(str(PSF), base), str(PSF)}
        self.entities: dict[str, Entity] = {}
        for row in rows:
            kind = row["type"]
            for namespace in terms:
                kind = kind.removeprefix(namespace)
            label = row.get("corrected") or row["label"]
            found = self.entities.setdefault(row["item"], Entity(row["item"], kind, label))
            found.label = min(found.label, label)  # one label, whatever order the rows come in
            if "property" in row:
                prop = row["property"].removeprefix(schema).removeprefix(str(PSF))
                found.values.setdefault(prop, set()).add(row["value"])
        for entity in self.entities.values():  # an organisation's priority areas: its projects'
            if entity.type == "Organisation":
                areas = {
                    area
                    for project in entity.values.get("involvedIn", ())
                    if project in self.entities
                    for area in self.entities[project].values.get("priorityArea", ())
                }
                if areas:
                    entity.values["priorityArea"] = areas

    def label(self, iri: str) -> str:
        """An entity's label, else its IRI."""
        found = self.entities.get(iri)
        return found.label if found else iri

    def description(self, entity: Entity) -> str:
        """A few words that tell namesakes apart: its type, and its country or its years."""
        where = sorted(self.label(c) for c in entity.values.get("country", ()))
        years = sorted(entity.values.get("startYear", set()) | entity.values.get("endYear", set()))
        span = "–".join(dict.fromkeys([years[0], years[-1]])) if years else ""
        return ", ".join([TYPES[entity.type], *where, *filter(None, [span])])


@dataclass(frozen=True)
class Condition:
    """A property condition of a query: the property's id and the values given for it, each
    text, or an entity's id (a previously reconciled value)."""

    pid: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A reconciliation query, read (see :mod:`psfkg.reconciliation_queries`)."""

    text: str
    types: tuple[str, ...] = ()
    limit: int = 10
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """An entity proposed for a query, with its score, its features and whether it matches."""

    iri: str
    name: str
    type: str
    description: str
    score: float
    features: dict[str, float | bool]
    match: bool = False


def similarity(query: list[str], name: list[str]) -> float:
    """How much ``query`` and ``name`` (folded words) have in common, from 0 to 1: the mean of
    the share of both that match (Dice) and of the query's share, so that a name holding the
    whole query ranks above one that holds part of it. Each query word pairs with the likeliest
    name word left (a typo within :func:`~psfkg.index.allowed_edits` counts for less), minor
    words weighing little.

    >>> similarity(["finnish", "border", "guard"], ["the", "finnish", "border", "guard"])
    0.98
    >>> similarity(["border", "guard", "finnish"], ["finnish", "border", "guard"])
    1.0
    >>> similarity(["cbss", "secretariat"], ["cbss"])
    0.583
    """
    weight = {w: MINOR_WEIGHT if w in MINOR else 1.0 for w in (*query, *name)}
    left, shared = list(name), 0.0
    for word in query:
        best, at = 0.0, -1
        for n, other in enumerate(left):
            if word == other:
                best, at = 1.0, n
                break
            edits = allowed_edits(min(word, other, key=len))
            if edits and abs(len(word) - len(other)) <= edits:
                near = 1 - distance(word, other) / max(len(word), len(other))
                if distance(word, other) <= edits and near > best:
                    best, at = near, n
        if at >= 0:
            shared += best * weight[left.pop(at)]
    asked = sum(weight[w] for w in query)
    if not asked:
        return 0.0
    return round((2 * shared / (asked + sum(weight[w] for w in name)) + shared / asked) / 2, 3)


class Reconciler:
    """Reconciles queries against a release: its search index and its facts."""

    def __init__(self, index: Index, facts: Facts, base: str) -> None:
        self.index, self.facts, self.space = index, facts, Space(base)

    def _found(self, text: str, types: tuple[str, ...]) -> dict[str, tuple[Entity, list[str]]]:
        """The entities of ``types`` the index finds for ``text``, with their names (label
        first): those with every word, then those with any."""
        found: dict[str, tuple[Entity, list[str]]] = {}
        for hit in [
            *self.index.search(text, limit=POOL).hits,
            *self.index.nearby(text, limit=POOL),
        ]:
            entity = self.facts.entities.get(hit.iri)
            if entity is not None and entity.type in types:
                found.setdefault(hit.iri, (entity, [hit.label, *hit.names]))
        return found

    def resolve(self, given: str, kind: str | None) -> set[str]:
        """What a condition's value names: for entity values, the IRIs of the entities of type
        ``kind`` that have it as id, label or other name; for others, its text (a number as a
        whole number when it is one)."""
        if kind is None:
            text = given.strip()
            try:
                number = float(text)
            except ValueError:
                return {text}
            return {str(int(number))} if number.is_integer() else {text}
        iri = self.space.entity_iri(given)
        if iri in self.facts.entities:
            return {iri}
        wanted = words(given)
        return {
            entity.iri
            for entity, names in self._found(given, (kind,)).values()
            if any(words(n) == wanted for n in names)
        }

    def reconcile(self, query: Query) -> list[Candidate]:
        """The best candidates for a query, best first, at most ``query.limit``."""
        types = tuple(t for t in (self.space.term(t) for t in query.types) if t in TYPES)
        if query.types and not types:
            return []  # a type this service does not have
        wanted = words(query.text)
        conditions = [
            (prop, set().union(*(self.resolve(v, prop.range) for v in c.values)))
            for c in query.conditions
            if (prop := BY_ID.get(self.space.term(c.pid))) is not None
        ]
        scored = []
        for entity, share, exact in self._named(query.text, wanted, types or tuple(TYPES)):
            features: dict[str, float | bool] = {"name": share} if wanted else {}
            score = (EXACT if exact else CLOSE * share) if wanted else 0.0
            for prop, given in conditions:
                if entity.type in prop.domain:
                    holds = features[prop.id] = bool(given & entity.values.get(prop.id, set()))
                    score += AGREES if holds else -DISAGREES
            if not wanted and not (features and all(features.values())):
                continue  # with no name, the conditions choose: each one must hold
            sure = exact and all(v is not False for v in features.values())
            description = self.facts.description(entity)
            score = round(min(max(score, 0.0), EXACT if sure else CEILING), 1)
            scored.append(
                Candidate(entity.iri, entity.label, entity.type, description, score, features, sure)
            )
        scored.sort(key=lambda c: (-c.score, c.name.casefold(), c.iri))
        if sum(c.match for c in scored) > 1:  # namesakes: a person must choose
            scored = [replace(c, match=False) for c in scored]
        return scored[: query.limit]

    def _named(
        self, text: str, wanted: list[str], types: tuple[str, ...]
    ) -> Iterable[tuple[Entity, float, bool]]:
        """The entities a query's text may name, with how much of it they share and whether it
        is one of their names; every entity of ``types`` when it has no text."""
        direct = self.facts.entities.get(self.space.entity_iri(text.strip()))
        if direct is not None and direct.type in types:
            yield direct, 1.0, True
        elif wanted:
            for entity, names in self._found(text, types).values():
                exact = any(words(n) == wanted for n in names)
                best = max(similarity(wanted[:MOST_WORDS], words(n)[:MOST_WORDS]) for n in names)
                yield entity, 1.0 if exact else best, exact
        else:
            yield from ((e, 0.0, False) for e in self.facts.entities.values() if e.type in types)

    def extend(
        self, ids: list[str], properties: list[str]
    ) -> dict[str, dict[str, list[dict[str, object]]]]:
        """The values of ``properties`` of each entity of ``ids``: entities as ``{"id", "name"}``,
        years as ``{"int"}``, other text as ``{"str"}``; none for an unknown entity or
        property."""
        rows: dict[str, dict[str, list[dict[str, object]]]] = {}
        for given in ids:
            entity = self.facts.entities.get(self.space.entity_iri(given))
            row = rows[given] = {}
            for pid in properties:
                prop = BY_ID.get(self.space.term(pid))
                values = entity.values.get(prop.id, set()) if entity and prop else set()
                if prop is not None and prop.range is not None:
                    cells: list[dict[str, object]] = [
                        {"id": self.space.entity_id(v), "name": self.facts.label(v)} for v in values
                    ]
                    row[pid] = sorted(
                        cells, key=lambda c: (str(c["name"]).casefold(), str(c["id"]))
                    )
                else:
                    row[pid] = [
                        {"int": int(v)} if v.isdigit() else {"str": v} for v in sorted(values)
                    ]
        return rows
