"""The values a named query's parameter can take, from the release, and what a person may type.

A parameter with ``# choices:`` (see :mod:`psfkg.named_queries`) offers the values the release
holds, each with its label, and reads any of a value, its slug or its label in any case as that
value: ``?country=se``, ``SE``, ``sweden`` and ``Sweden`` all mean Sweden's code ``SE``. Only what
the release itself holds is offered or understood; nothing is guessed. The choices are found by
one fixed query with the class and property bound as terms, and remembered while the release is
served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..named_queries import NamedQuery, Param
from ..terms import Binding
from .asking import select
from .service import service

#: The bound variables are projected, as a binding's variable must be.
BY_IRI = "SELECT ?class ?item ?label WHERE { ?item a ?class ; rdfs:label ?label }"
BY_CODE = """SELECT ?class ?property ?item ?label ?value
WHERE { ?item a ?class ; rdfs:label ?label ; ?property ?value }"""


@dataclass(frozen=True)
class Choice:
    """A value a parameter can take (a code, or an IRI), its label, and the item's IRI."""

    value: str
    label: str
    iri: str

    def names(self) -> set[str]:
        """What a person may type for it, case folded: the value, the label, the IRI's slug."""
        slug = self.iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        return {self.value.casefold(), self.label.casefold(), slug.casefold()}


def expand(name: str) -> str | None:
    """The IRI of a prefixed name under the served base (``psf:Country``), or None."""
    prefix, _, local = name.partition(":")
    namespace = service().prefixes.get(prefix)
    return None if namespace is None else namespace + local


def choices(query: NamedQuery, param: Param) -> list[Choice]:
    """The values the release holds for a parameter, by label; none without ``# choices:``."""
    if param.choices is None:
        return []
    of = expand(param.choices.of)
    prop = expand(param.choices.value) if param.choices.value else None
    if of is None or (param.choices.value and prop is None):
        return []
    bindings: tuple[tuple[str, Binding], ...] = (("class", Binding("iri", of)),)
    if prop:
        bindings += (("property", Binding("iri", prop)),)
    _, rows = select(
        BY_CODE if prop else BY_IRI,
        bindings,
        own=True,
        cache=f"choices-{query.name}-{param.name}",
    )
    found = {
        Choice(r["value"].text if prop else r["item"].text, r["label"].text, r["item"].text)
        for r in rows
    }
    return sorted(found, key=lambda c: (c.label.casefold(), c.value))


def understood(
    query: NamedQuery, given: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, list[Choice]], list[str]]:
    """The values to bind for each parameter (the default when none is given; a code, slug or
    label read as the value it stands for), each parameter's choices, and the parameters whose
    value is not among its choices."""
    values: dict[str, str] = {}
    offered: dict[str, list[Choice]] = {}
    unknown = []
    for param in query.params:
        value = given.get(param.name) or param.default
        offered[param.name] = options = choices(query, param)
        if options:
            folded = value.strip().casefold()
            match = next((c for c in options if folded in c.names()), None)
            if match is None:
                unknown.append(param.name)
            else:
                value = match.value
        values[param.name] = value
    return values, offered, unknown
