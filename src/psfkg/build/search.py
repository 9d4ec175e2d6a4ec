"""The search index of a release (``search.sqlite``), from its public graphs.

Every resource of the ontology and the asserted graph with a label (or a title) is indexed:
its label as the site shows it (corrected label, label, preferred label, title), its other
names (other labels, short names, titles, ISO codes, names as written) and its description.
Its class is its class in psfkg's namespace when it has one. Participations, whose labels
repeat their organisation's and project's names, weigh less, so that the organisation comes
first.

The index is read from the release's ``psfkg.nt`` (the ontology and the asserted graph, under the
release's base), in a process of its own while the build writes the other dumps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, SKOS, URIRef
from rdflib.namespace import DCTERMS

from .. import index
from ..namespaces import PSF, rebase

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
    str(c)
    for c in (
        OWL.FunctionalProperty,
        OWL.InverseFunctionalProperty,
        OWL.SymmetricProperty,
        OWL.TransitiveProperty,
    )
)
RDF_TYPE = str(RDF.type)
#: Weights of classes people look for less than others.
WEIGHTS = {PSF.Participation: 0.3, OWL.ObjectProperty: 0.6, OWL.DatatypeProperty: 0.6}


#: Values of the predicates read: predicate IRI -> subject IRI -> values.
Read = dict[str, dict[str, set[str]]]


def _read(triples: Iterable[ox.Triple | ox.Quad], moved: Mapping[URIRef, str]) -> Read:
    """Every value of the predicates the index reads, by predicate and subject: one scan (at
    1000x the PSF, a lookup per subject took minutes). ``moved`` names each predicate read as
    the release writes it."""
    found: Read = {iri: {} for iri in moved.values()}
    for triple in triples:
        values = found.get(triple.predicate.value)
        value = triple.object
        if values is not None and isinstance(triple.subject, ox.NamedNode):
            assert not isinstance(value, ox.Triple)  # N-Triples 1.1 has no quoted triples
            values.setdefault(triple.subject.value, set()).add(value.value.strip())
    return found


def _values(read: Read, subject: str, predicates: Iterable[str]) -> list[str]:
    found: list[str] = []
    for predicate in predicates:
        for value in sorted(read[predicate].get(subject, ())):
            if value and value not in found:
                found.append(value)
    return found


def _class(read: Read, subject: str, own: str) -> str | None:
    types = sorted(t for t in read[RDF_TYPE].get(subject, ()) if "://" in t)
    mine = [t for t in types if t.startswith(own)]
    plain = [t for t in types if t not in CHARACTERISTICS]
    chosen = mine or plain or types
    return chosen[0] if chosen else None


def _class_label(read: Read, cls: str | None) -> str:
    """A class's label, else its local name in words (``DatatypeProperty``: "Datatype
    property")."""
    if cls is None:
        return "Resource"
    labels = _values(read, cls, (str(RDFS.label),))
    name = re.split(r"[#/]", cls)[-1]
    found = labels[0] if labels else re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    return found[:1].upper() + found[1:]


def entries(triples: Iterable[ox.Triple | ox.Quad], base: str) -> list[index.Entry]:
    """The index's entries for the resources of ``triples`` (their IRIs under ``base``, as the
    release writes them), in the order of their IRIs."""
    moved = {p: rebase(str(p), base) for p in (*NAMES, *DESCRIPTIONS, RDF.type)}
    read = _read(triples, moved)
    names, descriptions = [moved[p] for p in NAMES], [moved[p] for p in DESCRIPTIONS]
    weights = {rebase(str(c), base): w for c, w in WEIGHTS.items()}
    own = rebase(str(PSF), base)
    subjects = {s for p in LABELS for s in read[moved[p]]}
    found = []
    for subject in sorted(subjects):
        known = _values(read, subject, names)
        cls = _class(read, subject, own)
        found.append(
            index.Entry(
                iri=subject,
                label=known[0],
                type_iri=cls or "",
                type_label=_class_label(read, cls),
                names=tuple(known[1:]),
                description=" ".join(_values(read, subject, descriptions)),
                weight=weights.get(cls, 1.0) if cls is not None else 1.0,
            )
        )
    return found


def write(path: Path, ntriples: Path, base: str) -> None:
    """Write the search index of the N-Triples file ``ntriples`` (under ``base``) to ``path``."""
    index.write(path, entries(ox.parse(path=ntriples, format=ox.RdfFormat.N_TRIPLES), base))
