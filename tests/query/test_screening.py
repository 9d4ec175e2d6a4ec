"""Screening refuses what a public endpoint must, before evaluation, and finds the query form."""

from __future__ import annotations

import pytest

from psfkg.errors import QueryRejected
from psfkg.query.screening import REMEMBERED_LENGTH, screen

BASE = "http://127.0.0.1:8000/sparql"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT"),
        ("PREFIX ask: <http://e.org/> ask { ?s ask:p ?o }", "ASK"),
        ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("BASE <http://e.org/> DESCRIBE <x>", "DESCRIBE"),
    ],
)
def test_query_form(query: str, form: str) -> None:
    assert screen(query, base=BASE).form == form


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT * { SERVICE <http://127.0.0.1:22/> { ?s ?p ?o } }", "SERVICE is not allowed"),
        ("SELECT * { ?s ?p ?o . sErViCe SILENT <http://x/> {} }", "SERVICE is not allowed"),
        ("SELECT * { ?s ?p <file:///etc/passwd> }", "file: IRIs are not allowed"),
        (
            "PREFIX f: <file:///etc/> SELECT * FROM f:passwd { ?s ?p ?o }",
            "file: IRIs are not allowed",
        ),
        ("BASE <file:///etc/> SELECT * FROM <passwd> { ?s ?p ?o }", "file: IRIs are not allowed"),
        ("ASK { " + "{" * 70 + "}" * 70 + " }", "nesting too deep"),
        ("ASK { FILTER(" + "(" * 70 + "1" + ")" * 70 + ") }", "nesting too deep"),
        ("ASK { FILTER(" + "!" * 70 + "true) }", "nesting too deep"),
    ],
)
def test_refused_with_400_and_a_position(query: str, message: str) -> None:
    with pytest.raises(QueryRejected) as caught:
        screen(query, base=BASE)
    assert caught.value.status == 400
    assert message in str(caught.value)
    assert "line 1, column" in str(caught.value)


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <a> <b> <c> }",
        "LOAD <http://e.org/x>",
        "CLEAR ALL",
        "PREFIX e: <http://e.org/> DELETE WHERE { ?s e:p ?o }",
    ],
)
def test_updates_are_refused_with_403(update: str) -> None:
    with pytest.raises(QueryRejected) as caught:
        screen(update, base=BASE)
    assert caught.value.status == 403


def test_words_inside_strings_iris_and_comments_are_not_keywords() -> None:
    query = "SELECT * { ?s ?p 'SERVICE' . ?s ?p <http://e.org/SERVICE> } # SERVICE"
    assert screen(query, base=BASE).form == "SELECT"


def test_from_graphs_are_resolved() -> None:
    screened = screen(
        "BASE <http://e.org/base/> PREFIX g: <graphs/> "
        "SELECT * FROM <a> FROM g:b FROM NAMED <http://other.org/c> { ?s ?p ?o }",
        base=BASE,
    )
    assert screened.from_graphs == ("http://e.org/base/a", "http://e.org/base/graphs/b")
    assert screened.from_named_graphs == ("http://other.org/c",)


def test_relative_from_resolves_against_the_endpoint() -> None:
    assert screen("SELECT * FROM <g> {}", base=BASE).from_graphs == ("http://127.0.0.1:8000/g",)


@pytest.mark.parametrize("padding", [0, REMEMBERED_LENGTH])
def test_screening_is_remembered_but_a_refusal_is_never_forgotten(padding: int) -> None:
    # Short queries are remembered once screened, long ones screened each time: both refuse
    # a bad query every time it comes.
    query = "ASK { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }" + " " * padding
    for _ in range(2):
        with pytest.raises(QueryRejected, match="SERVICE is not allowed"):
            screen(query, base=BASE)
    accepted = "SELECT * FROM <g> { ?s ?p ?o }" + " " * padding
    assert screen(accepted, base=BASE) == screen(accepted, base=BASE)
    assert screen(accepted, base="http://e.org/a").from_graphs == ("http://e.org/g",)
