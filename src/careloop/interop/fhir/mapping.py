"""Parse and map resources, with no database: runs in worker processes too.

`map_ndjson_lines` turns a chunk of raw NDJSON lines into rows plus the report events
(errors, warnings, counts) to replay; whoever writes the chunk maps it (the importer, or
one of its parallel writers, `parallel.py`), so no mapped row crosses a process boundary.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from .mappers import MAPPERS, MapContext, Row
from .resource_types import OTHER_VERSION_TYPES, R4_RESOURCE_TYPES
from .values import MappingError

PREFIXED = {"Claim", "ExplanationOfBenefit", "MedicationRequest", "MedicationStatement"}


def _hash(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass
class Mapped:
    row: Row | None  # None: skipped (an R4 type careloop does not model)
    rtype: str
    warnings: list[tuple[str, str]]


class _EntryError(Exception):
    def __init__(self, rtype: str, rid: str, message: str) -> None:
        super().__init__(message)
        self.rtype = rtype
        self.rid = rid
        self.message = message


def map_resource(resource: Any, full_url: str, local: Callable[[str], str | None] | None) -> Mapped:
    """Check and map one resource; raise _EntryError with a precise message when it is bad."""
    if not isinstance(resource, dict):
        raise _EntryError("", "", "entry has no resource object")
    rtype = resource.get("resourceType")
    rid = resource.get("id")
    rid_s = rid if isinstance(rid, str) else ""
    if not isinstance(rtype, str) or not rtype:
        raise _EntryError("", rid_s, "resource has no resourceType")
    if rtype not in R4_RESOURCE_TYPES:
        version = OTHER_VERSION_TYPES.get(rtype)
        if version:
            raise _EntryError(
                rtype, rid_s, f"{rtype} is a FHIR {version} resource type, not FHIR R4"
            )
        raise _EntryError(
            rtype, rid_s, f"unknown resource type {rtype!r} (not a FHIR R4 resource type)"
        )
    if rtype == "Bundle":
        raise _EntryError(
            rtype, rid_s, "a Bundle nested inside a Bundle or NDJSON line is not supported"
        )
    sid = rid_s or (full_url.rsplit(":", 1)[-1] if full_url.startswith("urn:") else "")
    if rid is not None and not isinstance(rid, str):
        raise _EntryError(rtype, str(rid), "id: must be a string")
    if not sid:
        raise _EntryError(rtype, "", "resource has no id (and its entry no urn:uuid fullUrl)")
    mapper = MAPPERS.get(rtype)
    if mapper is None:
        return Mapped(None, rtype, [])
    ctx = MapContext(local)
    try:
        row = mapper(resource, ctx, f"{rtype}/{sid}" if rtype in PREFIXED else sid)
    except MappingError as exc:
        raise _EntryError(rtype, sid, str(exc)) from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise _EntryError(
            rtype, sid, f"unexpected structure: {type(exc).__name__}: {exc}"
        ) from None
    return Mapped(row, rtype, ctx.warnings)


@dataclass
class MappedChunk:
    rows: list[Row] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    wheres: list[dict[str, Any]] = field(default_factory=list)  # parallel to rows
    errors: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    warnings: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    counts: list[tuple[str, str]] = field(default_factory=list)  # (resource type, counter)
    lines: int = 0
    file: str = ""


def map_ndjson_lines(file: str, lines: list[tuple[int, bytes]]) -> MappedChunk:
    out = MappedChunk(lines=len(lines), file=file)
    for line_no, raw in lines:
        where: dict[str, Any] = {"file": file, "line": line_no}
        try:
            resource = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            out.errors.append((where, f"malformed or truncated JSON: {exc}"))
            out.counts.append(("(unparseable)", "failed"))
            continue
        try:
            mapped = map_resource(resource, "", None)
        except _EntryError as exc:
            out.errors.append(({**where, "resource_type": exc.rtype, "id": exc.rid}, exc.message))
            out.counts.append((exc.rtype or "(unknown)", "failed"))
            continue
        rid = resource.get("id")
        for path, message in mapped.warnings:
            out.warnings.append(
                ({**where, "resource_type": mapped.rtype, "id": rid, "path": path}, message)
            )
        if mapped.warnings:
            out.counts.append((mapped.rtype, "warned"))
        if mapped.row is None:
            out.counts.append((mapped.rtype, "skipped"))
            continue
        row_where = {**where, "resource_type": mapped.rtype, "id": rid}
        out.rows.append(mapped.row)
        out.hashes.append(_hash(raw.rstrip(b"\r\n")))
        out.wheres.append(row_where)
        for extra in mapped.row.extra:
            out.rows.append(extra)
            out.hashes.append(_hash(orjson.dumps(extra.fields, default=str)))
            out.wheres.append(row_where)
        mapped.row.extra = []
    return out
