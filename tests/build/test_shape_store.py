"""The validation store holds the triples the queries can read, and all of them when unsure."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import RDF, BNode, Literal, URIRef

from psfkg.build.dumps import Terms
from psfkg.build.shape_store import load, sparql_reads
from psfkg.namespaces import DEFAULT_BASE

EX = "http://example.org/"


def test_the_predicates_of_sparql_constraints_count_those_under_exists() -> None:
    query = f"""PREFIX ex: <{EX}>
        SELECT ?this WHERE {{ ?this ex:a ?x ; a ?c . FILTER NOT EXISTS {{ ?x ex:b ?y }}
        OPTIONAL {{ ?x ex:c [ ex:d ?z ] }} }}"""
    found = sparql_reads(query)
    assert found is not None
    assert {f"{EX}{p}" for p in "abcd"} | {str(RDF.type)} <= found


def test_a_query_reading_any_predicate_keeps_every_triple() -> None:
    for pattern in ("?x ?p ?y", "?x ex:a/ex:b ?y", "?x !ex:a ?y", "?x ex:a* ?y"):
        query = f"PREFIX ex: <{EX}> SELECT ?this WHERE {{ ?this ex:a ?x . {pattern} }}"
        assert sparql_reads(query) is None, pattern


def test_the_store_holds_the_triples_read_and_those_with_blank_nodes_once() -> None:
    a, b, blank = URIRef(f"{EX}a"), URIRef(f"{EX}b"), BNode()
    data = [
        (a, URIRef(f"{EX}kept"), Literal("x", lang="en")),
        (a, URIRef(f"{EX}dropped"), b),
        (blank, URIRef(f"{EX}kept"), b),
        (b, URIRef(f"{EX}kept"), blank),
    ]
    store = load(data, Terms(DEFAULT_BASE), {f"{EX}kept"})
    assert len(store) == 3
    nodes = {term for q in store for term in (q.subject, q.object)}
    assert len([n for n in nodes if isinstance(n, ox.BlankNode)]) == 1
    assert len(load(data, Terms(DEFAULT_BASE))) == 4
