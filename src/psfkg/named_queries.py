"""Named researcher queries: ``queries/*.rq``, each with a title, a description and parameters.

A query file starts with comment lines that describe it::

    # title: Projects with a partner from a given country
    # description: The projects in which ...
    # param: country literal SE -- the country's ISO 3166-1 alpha-2 code

A parameter has a name, a kind (``literal``, ``integer`` or ``iri``), a default and a description.
Its value is bound to the variable of the same name as an RDF term, never pasted into the query
text; the query must project that variable. A ``choices`` line says where a parameter's values
come from, so that a page can offer them and read a label or slug as the value it stands for: the
members of a class (their IRIs), or a property of them (a code)::

    # choices: country psf:Country psf:iso3166Alpha2

>>> q = parse("demo", "# title: Demo\\n# param: n integer 2 -- how many\\nSELECT ?n {}")
>>> q.title, [(p.name, p.kind, p.default) for p in q.params]
('Demo', [('n', 'integer', '2')])
>>> [(name, b.kind, b.value, b.datatype) for name, b in q.bind({"n": "5"})]
[('n', 'literal', '5', 'http://www.w3.org/2001/XMLSchema#integer')]
>>> parse("c", "# title: C\\n# param: c literal SE -- a code\\n# choices: c psf:Country psf:iso"
...       ).params[0].choices
Choices(of='psf:Country', value='psf:iso')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import PsfkgError, QueryRejected
from .terms import Binding

NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELD = re.compile(r"^#\s*(?P<key>title|description|param|choices):\s*(?P<value>.*?)\s*$")
PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s+(?P<kind>literal|integer|iri)\s+(?P<default>\S+)\s+--\s+(?P<help>.+)$"
)
CHOICES = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+(?P<of>[a-z]+:\w+)(?:\s+(?P<value>[a-z]+:\w+))?$")
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


@dataclass(frozen=True)
class Choices:
    """Where a parameter's values come from: the members of the class ``of`` (their IRIs), or
    their ``value`` property (a code), each with its label. Both are prefixed names."""

    of: str
    value: str | None = None


@dataclass(frozen=True)
class Param:
    """A parameter of a named query."""

    name: str
    kind: str
    default: str
    description: str
    choices: Choices | None = None

    def binding(self, value: str) -> Binding:
        """The RDF term for a value given by a user.

        :raises QueryRejected: when the value does not fit the kind.
        """
        if self.kind == "integer":
            if not INTEGER.match(value):
                raise QueryRejected(f"parameter {self.name} must be a whole number, not {value!r}")
            return Binding("literal", value, datatype=XSD_INTEGER)
        if self.kind == "iri":
            if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", value):
                raise QueryRejected(f"parameter {self.name} must be an http(s) IRI, not {value!r}")
            return Binding("iri", value)
        if len(value) > 1000 or "\x00" in value:
            raise QueryRejected(f"parameter {self.name} is too long or holds a NUL character")
        return Binding("literal", value)


@dataclass(frozen=True)
class NamedQuery:
    """A query file: its name (the file stem), title, description, parameters and text."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str

    def bind(self, values: Mapping[str, str]) -> tuple[tuple[str, Binding], ...]:
        """Bindings for every parameter: the value given, else its default. Others are ignored."""
        return tuple((p.name, p.binding(values.get(p.name) or p.default)) for p in self.params)


def parse(name: str, text: str) -> NamedQuery:
    """Read a query's front matter.

    :raises PsfkgError: for a missing title or a malformed parameter line.
    """
    fields: dict[str, str] = {}
    params: list[Param] = []
    choices: dict[str, Choices] = {}
    for line in text.splitlines():
        match = FIELD.match(line)
        if not match:
            continue
        if match["key"] == "choices":
            found = CHOICES.match(match["value"])
            if not found:
                raise PsfkgError(
                    f"queries/{name}.rq: malformed choices line {line!r}; "
                    "expected '# choices: param prefix:Class [prefix:property]'"
                )
            choices[found["name"]] = Choices(found["of"], found["value"])
        elif match["key"] == "param":
            param = PARAM.match(match["value"])
            if not param:
                raise PsfkgError(
                    f"queries/{name}.rq: malformed param line {line!r}; "
                    "expected '# param: name literal|integer|iri default -- help'"
                )
            params.append(Param(param["name"], param["kind"], param["default"], param["help"]))
        else:
            fields[match["key"]] = match["value"]
    unknown = set(choices) - {p.name for p in params}
    if unknown:
        raise PsfkgError(
            f"queries/{name}.rq: choices for no parameter: {', '.join(sorted(unknown))}"
        )
    params = [replace(p, choices=choices.get(p.name)) for p in params]
    if "title" not in fields:
        raise PsfkgError(f"queries/{name}.rq: no '# title:' line")
    return NamedQuery(name, fields["title"], fields.get("description", ""), tuple(params), text)


def load(directory: Path) -> dict[str, NamedQuery]:
    """Every named query of a folder, by name, in name order.

    :raises PsfkgError: for a file whose name is not a slug or whose front matter is malformed.
    """
    queries = {}
    for path in sorted(directory.glob("*.rq")):
        if not NAME.match(path.stem):
            raise PsfkgError(f"queries/{path.name}: the name must be a slug (a-z, 0-9, '-')")
        queries[path.stem] = parse(path.stem, path.read_text(encoding="utf-8"))
    return queries
