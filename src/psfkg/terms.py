"""Values given by users, as RDF terms: what a query's variables are bound to.

A value is never pasted into a query's text: it is bound to a variable as a term (SEP-0007
substitution), so no value can change what a query asks.

>>> Binding("iri", "https://w3id.org/psfkg/id/country/sweden").term()
<NamedNode value=https://w3id.org/psfkg/id/country/sweden>
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .errors import QueryRejected


@dataclass(frozen=True)
class Binding:
    """A value bound to a query variable as an RDF term (never pasted into the query text).

    ``kind`` is ``iri`` or ``literal``; a literal may have a ``datatype`` IRI or a ``language``.
    """

    kind: str
    value: str
    datatype: str | None = None
    language: str | None = None

    def term(self) -> ox.NamedNode | ox.Literal:
        """The pyoxigraph term.

        :raises QueryRejected: when the value is not a valid IRI or literal.
        """
        try:
            if self.kind == "iri":
                return ox.NamedNode(self.value)
            if self.language:
                return ox.Literal(self.value, language=self.language)
            if self.datatype:
                return ox.Literal(self.value, datatype=ox.NamedNode(self.datatype))
            return ox.Literal(self.value)
        except ValueError as exc:
            raise QueryRejected(f"not a valid {self.kind}: {exc}") from None
