"""Syntax errors read as a person would write them (:mod:`psfkg.query.syntax`), for malformed
queries as researchers type them, through the store that reports them."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from psfkg.errors import QueryRejected
from psfkg.namespaces import PREFIXES
from psfkg.query.store import EmbeddedStore, QueryRequest
from psfkg.query.syntax import explain

JSON = "application/sparql-results+json"
KNOWN = tuple(PREFIXES.items())


def message(query: str) -> str:
    """What the store says of a malformed query."""
    with pytest.raises(QueryRejected) as caught:
        EmbeddedStore().answer(QueryRequest(query, JSON, prefixes=KNOWN))
    assert caught.value.status == 400
    return str(caught.value)


@pytest.mark.parametrize(
    ("query", "first_line", "caret_line"),
    [
        (
            "SELECT * WHERE { ?s a psf:Project }",
            "syntax error at line 1, column 23: unknown prefix `psf:`; "
            "add `PREFIX psf: <https://w3id.org/psfkg/def#>`",
            "                        ^",
        ),
        (
            "PREFIX psf: <https://w3id.org/psfkg/def#>\nSELECT * {\n  ?p a psf:Project ;\n"
            "     schema:name ?n }",
            "syntax error at line 4, column 6: unknown prefix `schema:`; "
            "add `PREFIX schema: <https://schema.org/>`",
            "       ^",
        ),
        (
            "SELECT * { ?s a ex:Thing }",
            "syntax error at line 1, column 17: unknown prefix `ex:`; "
            "declare it with `PREFIX ex: <...>` before the query",
            "                  ^",
        ),
        (
            "SELEC * WHERE { ?s ?p ?o }",
            "syntax error at line 1, column 1: a query begins with SELECT, CONSTRUCT, ASK or "
            "DESCRIBE (after any PREFIX and BASE), not `SELEC`",
            "  ^",
        ),
        (
            "SELECT * WHERE {\n  ?s ?p ?o ",
            "syntax error at line 2, column 11: `{` opened at line 1, column 16 is never closed: "
            "add `}`",
            "            ^",
        ),
        (
            "SELECT * WHERE { ?s ?p ?o FILTER(?o > 3 }",
            "syntax error at line 1, column 41: `(` opened at line 1, column 33 is closed by `}`: "
            "add `)`",
            "                                          ^",
        ),
        (
            'SELECT * WHERE { ?s ?p "unterminated }',
            "syntax error at line 1, column 24: the string opened at line 1, column 24 is never "
            'closed: add `"`',
            "                         ^",
        ),
        (
            "SELECT ?x WHERE { ?s ?p ?o } GROUP BY ?s",
            "syntax error at line 1, column 41: a variable of SELECT is neither grouped nor "
            "aggregated: add it to GROUP BY, or select an aggregate of it such as "
            "(SAMPLE(?x) AS ?y)",
            "                                          ^",
        ),
        (
            "SELECT * { ?s <http://a b> ?o }",
            "syntax error at line 1, column 27: not a valid IRI (spaces, quotes and <> must be "
            "%-encoded)",
            "                            ^",
        ),
        (
            "SELECT * { ?s ?p ?o } LIMIT x",
            "syntax error at line 1, column 29: expected one of HAVING, OFFSET, OPTIONAL, VALUES",
            "                              ^",
        ),
        (
            "SELECT * { ?s ?p ?o } ORDER ?s",
            "syntax error at line 1, column 31: the query ends too soon; expected BY",
            "                                ^",
        ),
    ],
)
def test_the_message_names_the_line_the_column_and_the_fix(
    query: str, first_line: str, caret_line: str
) -> None:
    first, excerpt, caret = message(query).split("\n")
    assert first == first_line
    line = int(first.split("line ")[1].split(",")[0])
    assert excerpt == "  " + query.split("\n")[line - 1]
    assert caret == caret_line


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s a psf:Project }",
        "SELECT * WHERE { ?s ?p }",
        "SELECT ?x WHERE { ?s ?p ?o } GROUP BY ?s",
        "SELECT * { ?s ?p ?o . FILTER(?o = ) }",
        "",
    ],
)
def test_no_rust_notation_is_left(query: str) -> None:
    text = message(query)
    for rust in ("\\u{", "..=", "['", "[_]", "error at 1:"):
        assert rust not in text


def test_a_tab_indent_is_kept_under_the_caret() -> None:
    lines = message("SELECT * {\n\t?s a nope:X }").split("\n")
    assert lines[1:] == ["  \t?s a nope:X }", "  \t     ^"]


def test_a_long_line_is_cut_around_the_column() -> None:
    query = "SELECT * { " + "?s ?p ?o . " * 50 + "?s a psf:X }"
    _, excerpt, caret = message(query).split("\n")
    assert len(excerpt) <= 102 and "psf:X" in excerpt
    assert excerpt[len(caret) - 1 : len(caret) + 4] == "psf:X"


def test_an_unknown_message_is_kept_as_it_is() -> None:
    assert explain("SELECT", "something else", {}) == "syntax error: something else"


def test_the_parser_still_says_where() -> None:
    with pytest.raises(SyntaxError, match=r"^error at \d+:\d+: "):
        ox.Store().query("SELECT * { ?s a psf:X }")


def test_a_long_line_is_explained_in_linear_time() -> None:
    """A pattern run back from where the parser stopped took 0.5 s for 10,000 characters of
    ``a.a.a.``, and grew with the square of the length."""
    query = "SELECT * { ?s ?p " + "a." * 50_000 + "x }"
    started = time.perf_counter()
    explain(query, f"error at 1:{len(query) - 1}: expected one of Prefix not found", {})
    assert time.perf_counter() - started < 0.5
