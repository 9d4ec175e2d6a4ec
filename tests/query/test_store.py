"""The embedded store: loading, answering in every format, the row cap, datasets, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph

from psfkg.errors import PsfkgError, QueryRejected
from psfkg.query.store import EmbeddedStore, QueryRequest
from psfkg.terms import Binding

TRIG = """
@prefix e: <http://e.org/> .
e:a e:p 1 .
e:g1 { e:b e:p 2 . }
e:g2 { e:c e:p 3 . e:d e:p 4 . }
"""
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    path = tmp_path_factory.mktemp("store") / "data.trig"
    path.write_text(TRIG)
    return EmbeddedStore.from_files([path])


def values(store: EmbeddedStore, query: str, **kw: object) -> list[str]:
    body = store.answer(QueryRequest(query, JSON, **kw)).body  # type: ignore[arg-type]
    return sorted(b["v"]["value"] for b in json.loads(body)["results"]["bindings"])


def test_default_graph_is_the_union(store: EmbeddedStore) -> None:
    assert values(store, "SELECT ?v { ?s ?p ?v }") == ["1", "2", "3", "4"]
    assert store.named_graphs() == {"http://e.org/g1", "http://e.org/g2"}


def test_protocol_dataset_replaces_the_union(store: EmbeddedStore) -> None:
    assert values(store, "SELECT ?v { ?s ?p ?v }", default_graphs=("http://e.org/g2",)) == [
        "3",
        "4",
    ]
    assert values(
        store, "SELECT ?v { GRAPH ?g { ?s ?p ?v } }", named_graphs=("http://e.org/g1",)
    ) == ["2"]
    assert values(store, "SELECT ?v { ?s ?p ?v }", default_graphs=("http://e.org/absent",)) == []


def test_row_cap_cuts_and_says_so(store: EmbeddedStore) -> None:
    answer = store.answer(QueryRequest("SELECT ?v { ?s ?p ?v }", JSON, row_cap=3))
    assert (answer.rows, answer.truncated) == (3, True)
    assert len(json.loads(answer.body)["results"]["bindings"]) == 3
    assert store.answer(QueryRequest("SELECT ?v { ?s ?p ?v }", JSON, row_cap=4)).truncated is False


@pytest.mark.parametrize(
    "media_type",
    [
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
        "application/n-quads",
        "application/trig",
    ],
)
def test_graph_results_in_every_format(store: EmbeddedStore, media_type: str) -> None:
    answer = store.answer(QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", media_type))
    assert answer.rows == 4 and answer.body


def test_syntax_error_names_the_position(store: EmbeddedStore) -> None:
    with pytest.raises(QueryRejected, match=r"syntax error at line 1, column \d+"):
        store.answer(QueryRequest("SELECT * WHERE { ?s ?p }", JSON))


def test_a_boolean_cannot_be_csv(store: EmbeddedStore) -> None:
    with pytest.raises(QueryRejected) as caught:
        store.answer(QueryRequest("ASK {}", "text/csv"))
    assert caught.value.status == 406


def test_unknown_file_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data.xlsx").write_bytes(b"")
    with pytest.raises(PsfkgError, match="unknown RDF file type"):
        EmbeddedStore.from_files([tmp_path / "data.xlsx"])


def test_a_syntax_error_in_a_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "bad.ttl").write_text("<a> <b> .")
    with pytest.raises(PsfkgError, match=r"bad\.ttl"):
        EmbeddedStore.from_files([tmp_path / "bad.ttl"])


def test_from_in_the_query_takes_the_place_of_the_union(store: EmbeddedStore) -> None:
    query = "SELECT ?v FROM <http://e.org/g1> { ?s ?p ?v }"
    assert values(store, query, union_default_graph=False) == ["2"]


def test_the_store_returns_every_triple_of_the_dumps_as_written(releases: Path) -> None:
    """pyoxigraph normalises some literals on load (oxigraph#526); the PSF data avoids them."""
    from rdflib import Dataset
    from rdflib.compare import isomorphic

    from psfkg.release import latest

    current = latest(releases)
    assert current is not None
    store = EmbeddedStore.from_files([current / "psfkg.nq"])
    body = store.answer(
        QueryRequest("CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples", row_cap=10**6)
    ).body
    served, dumped = Graph().parse(data=body, format="nt"), Graph()
    dataset = Dataset()
    dataset.parse(current / "psfkg.nq", format="nquads")
    for quad in dataset.quads((None, None, None, None)):
        dumped.add(quad[:3])
    assert isomorphic(served, dumped)


def test_bindings_are_rdf_terms_not_text(store: EmbeddedStore) -> None:
    query = "SELECT ?s ?v { ?s ?p ?v }"
    bound = (("s", Binding("iri", "http://e.org/c")),)
    assert values(store, query, bindings=bound) == ["3"]
    injection = (("v", Binding("literal", "1 } UNION { ?s ?p ?v", datatype=None)),)
    assert values(store, query, bindings=injection) == []
    with pytest.raises(QueryRejected, match="does not contain"):
        store.answer(QueryRequest("SELECT ?v { ?s ?p ?v }", JSON, bindings=bound))
    with pytest.raises(QueryRejected, match="not a valid iri"):
        store.answer(QueryRequest(query, JSON, bindings=(("s", Binding("iri", "not an iri")),)))
