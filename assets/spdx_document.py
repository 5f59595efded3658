"""spdx.json: an SPDX 3.0.1 document (JSON-LD) for a published snapshot, built with the SPDX project's Python model.

The snapshot is one `dataset_DatasetPackage` (the Hub repo at its tag) that `contains` each published file with its
sha256, and whose verification code is the sha256 of those sha256s. The licensing profile keeps two facts apart:
`hasDeclaredLicense` is what the sources say (every license signal found, a statement without an SPDX id as a
LicenseRef carrying its text), `hasConcludedLicense` is what the policy decided. The pipeline run is a
`build_Build` that `hasInput` each upstream file (its sha256) and `hasOutput` the dataset. Like croissant.json it
is built only from the snapshot's immutable records, so publishing the same snapshot twice gives the same bytes.
`spdx_problems` checks a document with the same model (SPDX's SHACL shapes as code; SPDX's own validator fetches the
shapes from spdx.org at run time) and each license expression with license-expression.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from urllib.parse import quote

from spdx_python_model import v3_0_1 as spdx

from assets.catalog_entry import Creator
from assets.croissant import PARQUET, PublishedFile, source_label

SPDX_FILE = "spdx.json"
SPDX_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
# SPDX's individual for "the sources make no assertion": a license value that is no element of this document.
NO_ASSERTION_LICENSE = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"
_EXPRESSION_OPERATORS = re.compile(r"\s(AND|OR|WITH)\s")


def spdx_json(*, provenance: dict, license_record: dict, files: list[PublishedFile], dataset_url: str,
              publisher: str, creators: tuple[Creator, ...], released_at: datetime) -> bytes:
    """spdx.json's bytes. `provenance` is the published provenance.json (its `source` and, for a source of several
    files, `inputs` are the build's inputs), `license_record` the license decision it carries (`signals` are what
    the sources declare, `license` what was concluded), `files` the published files the package contains (all but
    the card, croissant.json and spdx.json itself), `dataset_url` the repo's public address, `publisher` who
    publishes it (the Hub namespace) and `creators` the data's creators as the catalog names them (else the
    copyright holders) for originatedBy. `released_at` is the snapshot's creation time."""
    document = spdx_document(provenance=provenance, license_record=license_record, files=files,
                             dataset_url=dataset_url, publisher=publisher, creators=creators, released_at=released_at)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def spdx_document(*, provenance: dict, license_record: dict, files: list[PublishedFile], dataset_url: str,
                  publisher: str, creators: tuple[Creator, ...], released_at: datetime) -> dict:
    """The document as JSON-LD data (see spdx_json)."""
    tag = provenance["snapshot_id"]
    when = released_at.astimezone(timezone.utc)
    made = _Elements(f"{dataset_url}/resolve/{quote(tag)}/{SPDX_FILE}#",
                     spdx.CreationInfo(specVersion="3.0.1", created=when))
    supplier = made(spdx.Organization, "publisher", name=publisher)
    pipeline = provenance["pipeline"]
    tool = made(spdx.Tool, "pipeline", name=f"open-data-governance pipeline {pipeline['code_version']}")
    made.creation.createdBy = [supplier]
    made.creation.createdUsing = [tool]

    originators = [made(spdx.Person if creator.type == "person" else spdx.Organization, f"creator-{n}",
                        name=creator.name) for n, creator in enumerate(creators)] or [
                   made(spdx.Organization, f"holder-{n}", name=holder)
                   for n, holder in enumerate(license_record.get("copyright_holders") or [])]
    contained = [made(spdx.software_File, f"file-{n}", name=file.path, contentType=file.encoding_format,
                      description=file.description, verifiedUsing=[_sha256(file.sha256)],
                      software_primaryPurpose=(spdx.software_SoftwarePurpose.data if file.encoding_format == PARQUET
                                               else spdx.software_SoftwarePurpose.documentation))
                 for n, file in enumerate(sorted(files, key=lambda file: file.path))]
    data_bytes = sum(file.size_bytes for file in files if file.encoding_format == PARQUET)
    dataset = made(
        spdx.dataset_DatasetPackage, "dataset", name=provenance["dataset_id"], summary=provenance["title"],
        software_packageVersion=tag, software_downloadLocation=f"{dataset_url}/tree/{quote(tag)}",
        software_homePage=dataset_url, software_primaryPurpose=spdx.software_SoftwarePurpose.data,
        dataset_datasetType=[spdx.dataset_DatasetType.structured], dataset_datasetSize=data_bytes,
        originatedBy=originators, suppliedBy=supplier, builtTime=when, releaseTime=when,
        verifiedUsing=[spdx.PackageVerificationCode(algorithm=spdx.HashAlgorithm.sha256,
                                                    hashValue=verification_code(files))],
        software_attributionText=[license_record["attribution"]] if license_record.get("attribution") else [],
        **({"software_copyrightText": "\n".join(notices)} if (notices := license_record.get("copyright_notices"))
           else {}),
    )
    made(spdx.Relationship, "contains", from_=dataset, to=contained, relationshipType=spdx.RelationshipType.contains)

    declared = declared_license(license_record.get("signals") or [], made)
    made(spdx.Relationship, "declared", from_=dataset, to=[declared],
         relationshipType=spdx.RelationshipType.hasDeclaredLicense,
         comment="What the sources say: " + ("; ".join(_signal_summary(s) for s in license_record.get("signals") or [])
                                             or "no license signal was found"))
    made(spdx.Relationship, "concluded", from_=dataset, to=[concluded_license(license_record, made)],
         relationshipType=spdx.RelationshipType.hasConcludedLicense, comment=decision_summary(license_record))

    inputs = [made(spdx.software_File, f"input-{n}", name=item["name"], verifiedUsing=[_sha256(item["sha256"])],
                   software_primaryPurpose=spdx.software_SoftwarePurpose.data,
                   **({"comment": f"split {item['split']}"} if item.get("split") else {}), **location)
              for n, (item, location) in enumerate(build_inputs(provenance))]
    build = made(spdx.build_Build, "build", build_buildType="urn:open-data-governance:snapshot",
                 build_buildId=pipeline["dagster_run_id"], build_buildEndTime=when,
                 comment=f"The Dagster run that converted {source_label(provenance['source'])} into snapshot {tag} "
                         f"(snapshot format {pipeline['snapshot_format']}).")
    made(spdx.Relationship, "inputs", from_=build, to=inputs, relationshipType=spdx.RelationshipType.hasInput)
    made(spdx.Relationship, "output", from_=build, to=[dataset], relationshipType=spdx.RelationshipType.hasOutput)

    document = spdx.SpdxDocument(
        spdxId=made.iri("document"), creationInfo=made.creation, name=f"{provenance['dataset_id']} snapshot {tag}",
        rootElement=[dataset], element=list(made.elements),
        profileConformance=[spdx.ProfileIdentifierType.core, spdx.ProfileIdentifierType.software,
                            spdx.ProfileIdentifierType.dataset, spdx.ProfileIdentifierType.simpleLicensing,
                            spdx.ProfileIdentifierType.build],
        dataLicense=spdx.simplelicensing_LicenseExpression(spdxId=made.iri("data-license"), creationInfo=made.creation,
                                                           simplelicensing_licenseExpression="CC0-1.0"),
    )
    return spdx.JSONLDSerializer().serialize_data(spdx.SHACLObjectSet([document, *made.elements]))


def declared_license(signals: list[dict], made: _Elements) -> object | str:
    """What the sources state, all of it: each distinct SPDX expression, and each statement without one as a
    LicenseRef whose text is the statement; several are joined with AND (each applies). No informative signal at
    all is SPDX's NOASSERTION."""
    terms: dict[str, str | None] = {}
    for signal in signals:
        info = signal.get("info") or {}
        if not info.get("informative", True):
            continue
        if info.get("spdx"):
            terms.setdefault(info["spdx"], None)
        elif signal["text"] not in terms.values():
            name = license_ref(signal["source"])
            terms[name if name not in terms else f"{name}-{len(terms) + 1}"] = signal["text"]
    if not terms:
        return NO_ASSERTION_LICENSE
    return expression_element("declared", terms, made)


def concluded_license(license_record: dict, made: _Elements) -> object:
    """The decided license: its SPDX expression, else a LicenseRef whose text is the statement published as
    LICENSE (a public-domain statement, custom terms) or which names the license's own URL."""
    info, release = license_record["license"], license_record.get("release") or {}
    if info.get("spdx"):
        return expression_element("concluded", {info["spdx"]: None}, made)
    name = license_ref(info.get("name") or ("public domain" if info.get("public_domain") else "custom terms"))
    text = release.get("statement") or (f"{info.get('name') or name}: {info['url']}" if info.get("url") else None)
    return expression_element("concluded", {name: text or "Terms as published in the snapshot's LICENSE file."},
                              made)


def expression_element(role: str, terms: dict[str, str | None], made: _Elements) -> object:
    """One simplelicensing_LicenseExpression over `terms` (id or expression -> text for a LicenseRef, else None);
    each LicenseRef maps to a simplelicensing_SimpleLicensingText holding its text."""
    mapping = []
    for n, (term, text) in enumerate(terms.items()):
        if text is not None:
            holder = made(spdx.simplelicensing_SimpleLicensingText, f"{role}-text-{n}", name=term,
                          simplelicensing_licenseText=text)
            mapping.append(spdx.DictionaryEntry(key=term, value=holder.spdxId))
    parts = [f"({term})" if len(terms) > 1 and _EXPRESSION_OPERATORS.search(term) else term for term in terms]
    return made(spdx.simplelicensing_LicenseExpression, f"{role}-license",
                simplelicensing_licenseExpression=" AND ".join(parts), simplelicensing_customIdToUri=mapping)


def license_ref(label: str) -> str:
    """A LicenseRef id for a statement, named after where it was found (idstring: letters, digits, . and -)."""
    return "LicenseRef-" + (re.sub(r"[^A-Za-z0-9.]+", "-", label).strip("-") or "statement")


def decision_summary(license_record: dict) -> str:
    sign_off = license_record.get("sign_off") or {}
    return (f"Decided {license_record['decision']} under policy '{license_record['policy']}': "
            + "; ".join(license_record.get("reasons") or [])
            + (f". Signed off by {sign_off['who']} on {sign_off['when']}: {sign_off['why']}" if sign_off else ""))


def build_inputs(provenance: dict) -> list[tuple[dict, dict]]:
    """The upstream files the snapshot was converted from, each with where it can be downloaded when the source is
    public (an externalRef); a source of several files lists each of its inputs, a derived dataset its input
    snapshots (each one's first split's Parquet sha256)."""
    source = provenance["source"]
    uri = source.get("uri")
    if provenance.get("derived_from"):  # a derived dataset: the input snapshots its query read
        return [({"name": f"{item['dataset_id']} snapshot {item['snapshot_id']}"
                  + (f" ({item['repo_id']}@{item['tag']})" if item.get("repo_id") else ""),
                  "sha256": item["parquet_sha256"]}, {}) for item in provenance["derived_from"]]
    if provenance.get("inputs"):
        return [(item, {}) for item in provenance["inputs"]]
    location = {"externalRef": [spdx.ExternalRef(externalRefType=spdx.ExternalRefType.altDownloadLocation,
                                                 locator=[uri])]} if uri else {}
    return [({"name": source["name"], "sha256": source["sha256"]}, location)]


def verification_code(files: list[PublishedFile]) -> str:
    """SPDX's package verification code with sha256: the sha256 of the files' sha256s (hex), sorted and joined."""
    return hashlib.sha256("".join(sorted(file.sha256 for file in files)).encode()).hexdigest()


def spdx_problems(document: dict) -> list[str]:
    """Why `document` is not a valid SPDX 3.0.1 document, empty when it is: it is read back with the SPDX model
    (every type, property, value and enumeration its SHACL shapes define), every element it references must be in
    it, and it is written again, which enforces each property's required count."""
    if document.get("@context") != SPDX_CONTEXT:
        return [f"@context is {document.get('@context')!r}, not SPDX 3.0.1's {SPDX_CONTEXT}"]
    objects = spdx.SHACLObjectSet()
    try:
        spdx.JSONLDDeserializer().deserialize_data(document, objects)
        missing = objects.link()
        spdx.JSONLDSerializer().serialize_data(objects)
    except (KeyError, TypeError, ValueError) as error:
        return [_first_line(error)]
    problems = [f"references {spdx_id}, which is not in the document" for spdx_id in sorted(missing)]
    expressions = objects.foreach_type(spdx.simplelicensing_LicenseExpression)
    return problems + [problem for expression in sorted(expressions, key=lambda item: item.spdxId or "")
                       for problem in expression_problems(expression)]


def expression_problems(expression) -> list[str]:
    """An SPDX license expression must parse, and name only SPDX License List ids and the LicenseRefs it maps to
    their text (customIdToUri); the model itself takes any string."""
    from license_expression import ExpressionError, get_spdx_licensing

    licensing = get_spdx_licensing()
    text = expression.simplelicensing_licenseExpression
    mapped = {entry.key for entry in expression.simplelicensing_customIdToUri}
    try:
        if licensing.parse(text, strict=True) is None:
            return ["a license expression is empty"]
    except ExpressionError as error:
        return [f"license expression {text!r} does not parse: {_first_line(error)}"]
    unknown = [symbol for symbol in licensing.validate(text, strict=True).invalid_symbols if symbol not in mapped]
    return [f"license expression {text!r} names {', '.join(unknown)}: neither an SPDX License List id nor a "
            "LicenseRef it maps to its text"] if unknown else []


class _Elements:
    """The document's elements as they are made: each named under one base IRI (where spdx.json is read at the
    snapshot's tag), so every rebuild names them alike, and sharing one CreationInfo."""

    def __init__(self, base: str, creation):
        self.base, self.creation, self.elements = base, creation, []

    def iri(self, local_id: str) -> str:
        return self.base + local_id

    def __call__(self, cls, local_id: str, /, **fields):
        element = cls(spdxId=self.iri(local_id), creationInfo=self.creation, **fields)
        self.elements.append(element)
        return element


def _sha256(hex_digest: str):
    return spdx.Hash(algorithm=spdx.HashAlgorithm.sha256, hashValue=hex_digest)


def _signal_summary(signal: dict) -> str:
    info = signal.get("info") or {}
    said = info.get("spdx") or (license_ref(signal["source"]) if info.get("informative", True) else "no license terms")
    return f"{signal['source']}: {said}"


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 300 else text[:300] + " [...]"
