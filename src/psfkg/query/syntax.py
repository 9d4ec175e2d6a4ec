"""Syntax errors as a person would write them: the line, a caret under the column, the likely fix.

pyoxigraph's parser reports where it stopped and every token it could have read there, character
classes in Rust's notation included (``['-' | '0' ..= '9' | '\\u{00B7}' …``). :func:`explain`
turns that into a sentence: an unknown prefix names its declaration when psfkg knows it, an
unclosed bracket says where it was opened, and otherwise the tokens that could come next are
listed as a person would type them.

>>> print(explain("SELECT * { ?s a psf:Project }", "error at 1:28: expected one of Prefix not "
...     "found, ['%']", {"psf": "https://w3id.org/psfkg/def#"}))
syntax error at line 1, column 17: unknown prefix `psf:`; add `PREFIX psf: <https://w3id.org/psfkg/def#>`
  SELECT * { ?s a psf:Project }
                  ^
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from .screening import FORMS, TOKEN

POSITION = re.compile(r"^error at (?P<line>\d+):(?P<column>\d+): (?P<rest>.*)$", re.S)
#: One item of the parser's list: a quoted token, a character class, or a bare word.
ITEM = re.compile(r'"(?:\\.|[^"\\])*"|\[(?:\'(?:\\.|[^\'\\])*\'|[^\]\'])*\]|[^,]+')
#: A word that is a prefixed name (not a blank node ``_:b``, a variable or a number); one
#: followed by ``/`` is the scheme of an IRI missing its ``<>``.
PNAME_WORD = re.compile(r"^(?P<prefix>(?:[A-Za-z][\w.-]*)?):")
#: Tokens listed beyond this are cut: the first few say enough.
MOST_LISTED = 8
#: The widest excerpt of a line shown, in characters.
EXCERPT = 100
CLOSING = {"(": ")", "{": "}", "[": "]"}


def explain(query: str, error: str, prefixes: Mapping[str, str]) -> str:
    """The message for a syntax error that pyoxigraph reported as ``error``.

    :param query: the query text as the parser read it.
    :param error: pyoxigraph's message (``error at <line>:<column>: expected ...``).
    :param prefixes: the prefixes psfkg knows, offered as the fix for an undeclared one.
    """
    found = POSITION.match(error)
    if not found:
        return f"syntax error: {error}"
    line, column = int(found["line"]), int(found["column"])
    lines = query.split("\n")
    line = min(max(line, 1), len(lines))
    column = min(max(column, 1), len(lines[line - 1]) + 1)
    reason, at = _reason(query, _offset(query, line, column), found["rest"], prefixes)
    line = _line(query, at)
    start = query.rfind("\n", 0, at) + 1
    text = lines[line - 1].rstrip("\r")
    return f"syntax error at line {line}, column {at - start + 1}: {reason}\n" + _excerpt(
        text, at - start + 1
    )


def _reason(query: str, at: int, rest: str, prefixes: Mapping[str, str]) -> tuple[str, int]:
    """The likely cause of the error the parser reported at offset ``at``, and the offset to
    point at."""
    # The lexer finds the undeclared prefix in one pass (a pattern run back from where the
    # parser stopped would be quadratic in a long line).
    undeclared = _undeclared(query)
    if undeclared is not None:
        return _unknown_prefix(undeclared[0], prefixes), undeclared[1]
    if "Prefix not found" in rest:
        return "a prefixed name uses a prefix the query does not declare with PREFIX", at
    first = _first_word(query)
    if first is not None:
        return (
            "a query begins with SELECT, CONSTRUCT, ASK or DESCRIBE (after any PREFIX and BASE), "
            f"not `{first[0]}`",
            first[1],
        )
    if "IRI parsing failed" in rest:
        return "not a valid IRI (spaces, quotes and <> must be %-encoded)", at
    if "SELECT contains a variable that is unbound" in rest:
        return (
            "a variable of SELECT is neither grouped nor aggregated: add it to GROUP BY, or "
            "select an aggregate of it such as (SAMPLE(?x) AS ?y)",
            at,
        )
    unclosed = _unclosed(query)
    if unclosed:
        return unclosed
    expected = _expected(rest)
    if query[at:].strip() == "":
        return "the query ends too soon" + (f"; expected {expected}" if expected else ""), at
    return (f"expected {expected}" if expected else "unexpected text here"), at


def _unknown_prefix(prefix: str, prefixes: Mapping[str, str]) -> str:
    if prefix in prefixes:
        return f"unknown prefix `{prefix}:`; add `PREFIX {prefix}: <{prefixes[prefix]}>`"
    return f"unknown prefix `{prefix}:`; declare it with `PREFIX {prefix}: <...>` before the query"


def _words(query: str) -> list[tuple[str, int]]:
    """The query's words and IRIs with their offsets (no strings or comments)."""
    return [
        (m.group(), m.start())
        for m in TOKEN.finditer(query)
        if m.lastgroup in ("word", "iri", "open", "close", "other")
    ]


def _undeclared(query: str) -> tuple[str, int] | None:
    """The first prefixed name whose prefix no ``PREFIX`` declares, and its offset."""
    declared: set[str] = set()
    after_prefix = False
    for word, at in _words(query):
        pname = PNAME_WORD.match(word)
        if after_prefix and word.endswith(":"):
            declared.add(word[:-1])
        elif pname and pname["prefix"] not in declared and query[at + len(word) :][:1] != "/":
            return pname["prefix"], at
        after_prefix = word.upper() == "PREFIX"
    return None


def _first_word(query: str) -> tuple[str, int] | None:
    """The word where the query form should be, when it is not one (``SELEC``), and its offset."""
    words = _words(query)
    index = 0
    while index < len(words) and words[index][0].upper() in ("PREFIX", "BASE"):
        index += 3 if words[index][0].upper() == "PREFIX" else 2
    if index < len(words) and words[index][0].upper() not in FORMS:
        return words[index]
    return None


def _line(query: str, offset: int) -> int:
    return query.count("\n", 0, offset) + 1


def _expected(rest: str) -> str:
    """The tokens the parser could have read, as typed: quoted tokens and keywords, not the
    character classes (``['0'..='9']``) or its own notes."""
    rest = re.sub(r"^expected (one of )?", "", rest.strip())
    words: list[str] = []
    for item in (m.group().strip() for m in ITEM.finditer(rest)):
        if item.startswith('"'):
            try:
                words.append(f"`{json.loads(item)}`")
            except ValueError:
                continue
        elif re.fullmatch(r"[A-Za-z]+", item):
            words.append(item)
    listed = ", ".join(dict.fromkeys(words[:MOST_LISTED]))
    if len(words) > MOST_LISTED:
        listed += ", ..."
    if len(words) > 1:
        return "one of " + listed
    return listed


def _unclosed(query: str) -> tuple[str, int] | None:
    """A string never closed, or a bracket never closed or closed by the wrong one (strings,
    IRIs and comments aside), and its offset."""
    opened: list[tuple[str, int]] = []
    for match in TOKEN.finditer(query):
        kind, text, at = match.lastgroup, match.group(), match.start()
        if kind == "other" and text in "'\"":
            return f"the string opened at {_where(query, at)} is never closed: add `{text}`", at
        if kind == "open":
            opened.append((text, at))
        elif kind == "close":
            if not opened:
                return f"`{text}` closes nothing: remove it, or open it before", at
            bracket, start = opened.pop()
            if CLOSING[bracket] != text:
                where = _where(query, start)
                return (
                    f"`{bracket}` opened at {where} is closed by `{text}`: "
                    f"add `{CLOSING[bracket]}`",
                    at,
                )
    if opened:
        bracket, start = opened[-1]
        return (
            f"`{bracket}` opened at {_where(query, start)} is never closed: "
            f"add `{CLOSING[bracket]}`",
            len(query.rstrip()),
        )
    return None


def _where(query: str, offset: int) -> str:
    line = _line(query, offset)
    return f"line {line}, column {offset - (query.rfind(chr(10), 0, offset) + 1) + 1}"


def _offset(query: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = query.find("\n", start) + 1
    return start + column - 1


def _excerpt(text: str, column: int) -> str:
    """The line (at most :data:`EXCERPT` characters of it, around the column) and a caret under
    the column; tabs are kept in the caret's indent so that it lines up."""
    start = max(0, min(column - 1 - EXCERPT // 2, len(text) - EXCERPT))
    shown = text[start : start + EXCERPT]
    indent = "".join(c if c == "\t" else " " for c in shown[: column - 1 - start])
    return f"  {shown}\n  {indent}^"
