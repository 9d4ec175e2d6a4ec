"""The search index of a release (``search.sqlite``), from its public graphs.

Every resource of the ontology and the asserted graph with a label (or a title) is indexed:
its label as the site shows it (corrected label, label, preferred label, title), its other
names (other labels, short names, titles, ISO codes, names as written) and its description.
Its class is its class in psfkg's namespace when it has one. Participations, whose labels
repeat their organisation's and project's names, weigh less, so that the organisation comes
first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from .. import index
from ..namespaces import PSF, rebase
from .triples import AnyGraph

#: Where the label shown comes from, in order of preference (as the site's pages choose).
LABELS = (PSF.correctedLabel, RDFS.label, SKOS.prefLabel, DCTERMS.title)
#: Other names a resource is known by.
NAMES = (
    *LABELS,
    SKOS.altLabel,
    PSF.shortName,
    PSF.title,
    PSF.nameAsWritten,
    PSF.iso3166Alpha2,
    PSF.iso3166Alpha3,
)
DESCRIPTIONS = (PSF.description, SKOS.definition, RDFS.comment, DCTERMS.description)
#: Classes that say how a property behaves, not what it is: not shown as its class.
CHARACTERISTICS = frozenset(
    {
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
    }
)
#: Weights of classes people look for less than others.
WEIGHTS = {PSF.Participation: 0.3, OWL.ObjectProperty: 0.6, OWL.DatatypeProperty: 0.6}


#: Values of the predicates read: predicate -> subject -> values.
Read = dict[Node, dict[Node, set[str]]]


def _read(graphs: Iterable[AnyGraph]) -> Read:
    """Every value of the predicates the index reads, by predicate and subject: one scan of
    each graph (at 1000x the PSF, a lookup per subject took minutes)."""
    found: Read = {p: {} for p in (*NAMES, *DESCRIPTIONS, RDF.type)}
    for graph in graphs:
        for subject, predicate, value in graph:
            values = found.get(predicate)
            if values is not None:
                values.setdefault(subject, set()).add(str(value).strip())
    return found


def _values(read: Read, subject: Node, predicates: Iterable[URIRef]) -> list[str]:
    found: list[str] = []
    for predicate in predicates:
        for value in sorted(read[predicate].get(subject, ())):
            if value and value not in found:
                found.append(value)
    return found


def _class(read: Read, subject: Node) -> URIRef | None:
    types = sorted(URIRef(t) for t in read[RDF.type].get(subject, ()) if "://" in t)
    own = [t for t in types if t.startswith(str(PSF))]
    plain = [t for t in types if t not in CHARACTERISTICS]
    chosen = own or plain or types
    return chosen[0] if chosen else None


def _class_label(read: Read, cls: URIRef | None) -> str:
    """A class's label, else its local name in words (``DatatypeProperty``: "Datatype
    property")."""
    if cls is None:
        return "Resource"
    labels = _values(read, cls, (RDFS.label,))
    name = re.split(r"[#/]", str(cls))[-1]
    found = labels[0] if labels else re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    return found[:1].upper() + found[1:]


def entries(graphs: Iterable[AnyGraph], base: str) -> list[index.Entry]:
    """The index's entries for the resources of ``graphs`` (under the default base), their
    IRIs moved under ``base``, in the order of their IRIs."""
    read = _read(graphs)
    subjects = {s for p in LABELS for s in read[p] if isinstance(s, URIRef)}
    found = []
    for subject in sorted(subjects):
        names = _values(read, subject, NAMES)
        cls = _class(read, subject)
        found.append(
            index.Entry(
                iri=rebase(str(subject), base),
                label=names[0],
                type_iri=rebase(str(cls), base) if cls is not None else "",
                type_label=_class_label(read, cls),
                names=tuple(names[1:]),
                description=" ".join(_values(read, subject, DESCRIPTIONS)),
                weight=WEIGHTS.get(cls, 1.0) if cls is not None else 1.0,
            )
        )
    return found


def write(path: Path, graphs: Iterable[AnyGraph], base: str) -> None:
    """Write the search index of ``graphs`` to ``path``, its IRIs under ``base``."""
    index.write(path, entries(graphs, base))
