"""The classes of the resources the catalogue refers to, stated in the catalogue itself.

DCAT-AP 3.0.1's ``range.ttl`` gives each property the class of its values (a licence is a
``dct:LicenseDocument``, a media type a ``dct:MediaType``...) and its
``mdr-vocabularies.shape.ttl`` wants each value of a controlled vocabulary ``skos:inScheme`` its
vocabulary. A harvester checks both on the catalogue alone, without loading the vocabularies,
so :func:`typed` states them there, as DCAT-AP's guidelines advise: the class of every IRI
value of the properties in :data:`RANGES`, the scheme of each value from an EU authority table
or the ADMS licence types (its IRI is ``<scheme>/<code>``), and a label for those that the
shapes want named (a ``skos:Concept`` its ``skos:prefLabel``, a ``skos:ConceptScheme`` its
``dct:title``), copied from the vocabulary (:data:`LABELS`).

Not stated, because no source gives them: a country's bounding box and centroid (the
recommended ``dcat:bbox`` and ``dcat:centroid`` of a ``dct:Location``) and the publisher's
ADMS type.
"""

from __future__ import annotations

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

from ..namespaces import METADATA_PREFIXES

DCAT = Namespace(METADATA_PREFIXES["dcat"])
DCATAP = Namespace(METADATA_PREFIXES["dcatap"])
SPDX = Namespace(METADATA_PREFIXES["spdx"])
EU = Namespace("http://publications.europa.eu/resource/authority/")
ADMS_LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
#: Each property's class of values, as range.ttl gives it (Catalogue, Dataset, Data Service,
#: Distribution, Licence Document), for the properties whose values the catalogue names by IRI.
#: The checksum algorithm's class is mdr-vocabularies.shape.ttl's (range.ttl has none).
RANGES: dict[URIRef, URIRef] = {
    DCTERMS.accessRights: DCTERMS.RightsStatement,
    DCTERMS.conformsTo: DCTERMS.Standard,
    DCTERMS["format"]: DCTERMS.MediaTypeOrExtent,
    DCTERMS.language: DCTERMS.LinguisticSystem,
    DCTERMS.license: DCTERMS.LicenseDocument,
    DCTERMS.spatial: DCTERMS.Location,
    DCTERMS.type: SKOS.Concept,
    DCAT.compressFormat: DCTERMS.MediaType,
    DCAT.mediaType: DCTERMS.MediaType,
    DCAT.theme: SKOS.Concept,
    DCAT.themeTaxonomy: SKOS.ConceptScheme,
    DCATAP.availability: SKOS.Concept,
    FOAF.homepage: FOAF.Document,
    FOAF.page: FOAF.Document,
    SPDX.algorithm: SPDX.ChecksumAlgorithm,
}
#: The ADMS licence type of each licence psfkg may name: CC BY 4.0 requires attribution, CC0
#: dedicates to the public domain (the types DCAT-AP implementations give these licences).
LICENCE_TYPES = {
    URIRef(CC_BY_4): ADMS_LICENCE_TYPE.Attribution,
    URIRef(CC0): ADMS_LICENCE_TYPE.PublicDomain,
}
#: The English label each vocabulary gives those of its terms that the shapes want named
#: (checked against copies of the EU data-theme scheme, 2022-07-15, of the planned-availability
#: table's English labels, and of the ADMS licence type scheme).
LABELS: dict[URIRef, tuple[URIRef, str]] = {
    EU["data-theme"]: (DCTERMS.title, "Data theme"),
    EU["data-theme/INTR"]: (SKOS.prefLabel, "International issues"),
    EU["planned-availability/AVAILABLE"]: (SKOS.prefLabel, "available"),
    ADMS_LICENCE_TYPE.Attribution: (SKOS.prefLabel, "Attribution"),
    ADMS_LICENCE_TYPE.PublicDomain: (SKOS.prefLabel, "Public domain"),
}
#: The scheme of the ADMS licence types, as DCAT-AP's shapes name it.
ADMS_LICENCE_TYPES = URIRef("http://purl.org/adms/licencetype/1.0")


def typed(g: Graph) -> Graph:
    """State in ``g`` the class, scheme and label of the resources its properties refer to.

    :param g: a catalogue; it is changed in place (and returned). Running it twice adds nothing.

    >>> g = Graph().add((URIRef("http://example.org/d"), DCTERMS.license, URIRef(CC0)))
    >>> sorted(str(o) for o in typed(g).objects(URIRef(CC0), None))
    ['http://purl.org/adms/licencetype/PublicDomain', 'http://purl.org/dc/terms/LicenseDocument']
    """
    for licence, kind in LICENCE_TYPES.items():
        if (None, DCTERMS.license, licence) in g:
            g.add((licence, DCTERMS.type, kind))
    for prop, cls in RANGES.items():
        for value in set(g.objects(None, prop)):
            if isinstance(value, URIRef):
                g.add((value, RDF.type, cls))
                _scheme(g, value)
                if value in LABELS:
                    predicate, text = LABELS[value]
                    g.add((value, predicate, Literal(text, lang="en")))
    return g


def _scheme(g: Graph, value: URIRef) -> None:
    """``value`` in its scheme, if it is a code of an EU authority table or an ADMS licence
    type."""
    if value.startswith(EU) and "/" in value[len(EU) :]:
        g.add((value, SKOS.inScheme, EU[value[len(EU) :].split("/", 1)[0]]))
    elif value.startswith(ADMS_LICENCE_TYPE) and value != ADMS_LICENCE_TYPES:
        g.add((value, SKOS.inScheme, ADMS_LICENCE_TYPES))
