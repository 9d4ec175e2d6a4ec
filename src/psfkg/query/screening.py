"""Checks on a query before it is evaluated: what a public endpoint must refuse.

A light SPARQL lexer (strings, IRIs, comments, brackets and words; no grammar) finds:

- the query form (SELECT, ASK, CONSTRUCT, DESCRIBE), and updates, which are refused;
- SERVICE anywhere, and ``file:`` IRIs: both refused, so a query can never reach out;
- FROM and FROM NAMED graphs, which must be graphs of the dataset;
- the nesting depth, which is capped: the parser recurses, and a deep query would exhaust its stack.

>>> screen("PREFIX ex: <http://e.org/> SELECT * FROM ex:g { ?s ?p ?o }").from_graphs
('http://e.org/g',)
>>> screen("ASK { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
psfkg.errors.QueryRejected: SERVICE is not allowed on this endpoint (line 1, column 7)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from ..errors import QueryRejected

TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<unary>!(?!=))
  | (?P<word>[^\s<>"'(){}\[\],;\#!=|&*/+^]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATES = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
PNAME = re.compile(r"^(?P<prefix>[^:]*):(?P<local>.*)$")


@dataclass(frozen=True)
class Screened:
    """What screening learnt about an accepted query."""

    form: str
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()


def _position(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


#: Queries up to this many characters are remembered once screened (the last ``SCREENINGS_KEPT``):
#: researchers and their tools send the same queries again and again.
REMEMBERED_LENGTH = 8192
SCREENINGS_KEPT = 512


def screen(query: str, *, base: str | None = None, max_depth: int = 64) -> Screened:
    """Screen a query (see :func:`_screen`), remembering the answer for short queries."""
    if len(query) <= REMEMBERED_LENGTH:
        return _remembered(query, base, max_depth)
    return _screen(query, base, max_depth)


def _screen(query: str, base: str | None, max_depth: int) -> Screened:
    """Screen a query.

    :param query: the query text.
    :param base: the IRI relative IRIs resolve against (the endpoint), unless the query has BASE.
    :param max_depth: the deepest nesting of brackets and ``!`` operators allowed.
    :raises QueryRejected: 400 for SERVICE, ``file:`` IRIs or too deep nesting; 403 for updates.
    """
    prefixes: dict[str, str] = {}
    form: str | None = None
    depth = deepest = unary_run = 0
    froms: list[str] = []
    named: list[str] = []
    expect: str | None = None  # what the previous words announce: "prefix", "base", "from"
    pending_prefix: str | None = None
    from_named = False
    for match in TOKEN.finditer(query):
        kind, text, at = match.lastgroup, match.group(), match.start()
        if kind in ("space", "comment"):
            continue
        if kind == "unary":
            unary_run += 1
            deepest = max(deepest, depth + unary_run)
        else:
            unary_run = 0
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(depth - 1, 0)
        if deepest > max_depth:
            raise QueryRejected(
                f"nesting too deep: more than {max_depth} levels ({_position(query, at)})"
            )
        if kind == "iri":
            iri = urljoin(base, text[1:-1]) if base else text[1:-1]
            if iri.lower().startswith("file:"):
                raise QueryRejected(f"file: IRIs are not allowed ({_position(query, at)})")
            if expect == "base":
                base, expect = iri, None
            elif expect == "prefix" and pending_prefix is not None:
                prefixes[pending_prefix], expect = iri, None
            elif expect == "from":
                (named if from_named else froms).append(iri)
                expect = None
            continue
        if kind != "word":
            expect = None
            continue
        upper = text.upper()
        if upper == "SERVICE":
            raise QueryRejected(f"SERVICE is not allowed on this endpoint ({_position(query, at)})")
        if expect == "prefix" and text.endswith(":"):
            pending_prefix = text[:-1]
            continue
        if expect == "from" and upper == "NAMED":
            from_named = True
            continue
        if expect == "from":
            pname = PNAME.match(text)
            if pname and pname["prefix"] in prefixes:
                (named if from_named else froms).append(prefixes[pname["prefix"]] + pname["local"])
            expect = None
            continue
        expect = None
        if upper == "PREFIX":
            expect, pending_prefix = "prefix", None
        elif upper == "BASE":
            expect = "base"
        elif upper == "FROM" and form is not None:
            expect, from_named = "from", False
        elif form is None and upper in FORMS:
            form = upper
        elif form is None and upper in UPDATES:
            raise QueryRejected("this endpoint is read-only: SPARQL Update is not allowed", 403)
    return Screened(form or "SELECT", tuple(froms), tuple(named))


_remembered = functools.lru_cache(maxsize=SCREENINGS_KEPT)(_screen)


def where_group(query: str) -> int:
    """The offset just inside the ``{`` that opens the query's WHERE group.

    For CONSTRUCT with a template, that is the second group at the top level; otherwise the first.

    >>> q = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    >>> q[where_group(q):].strip()
    '?s ?p ?o }'

    :raises QueryRejected: for a query with no WHERE group, or the short form ``CONSTRUCT WHERE``,
        whose pattern is its template and can take no inline data.
    """
    form: str | None = None
    depth = groups = 0
    template = False
    for match in TOKEN.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind in ("space", "comment"):
            continue
        if form is None and kind == "word" and text.upper() in FORMS:
            form = text.upper()
            continue
        short_form = form == "CONSTRUCT" and groups == depth == 0 and not template
        if short_form and kind == "word" and text.upper() == "WHERE":
            raise QueryRejected("CONSTRUCT WHERE { ... } cannot take parameters: write a template")
        if kind == "open" and text == "{":
            if depth == 0:
                groups += 1
                if form == "CONSTRUCT" and groups == 1:
                    template = True
                elif form is not None:
                    return match.end()
            depth += 1
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(depth - 1, 0)
    raise QueryRejected("the query has no WHERE group to bind parameters in")
