"""Organization, Location, Practitioner."""

from __future__ import annotations

from typing import Any

from careloop.core import codesystems as cs

from .common import MapContext, Row, address_line, first_code, human_name, identifiers


def _npi(idents: list[list[str]]) -> str:
    return next((v for s, v, _t in idents if s == cs.NPI), "")[:10]


def map_organization(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    idents = identifiers(r)
    line, city, state, _zip = address_line(r.get("address"))
    kind = ""
    for t in r.get("type") or ():
        kind = first_code(t) or kind
    return Row(
        "ProviderOrganization",
        sid,
        {
            "name": (r.get("name") or "")[:300],
            "npi": _npi(idents),
            "kind": kind[:40],
            "identifiers": idents,
            "address": ", ".join(p for p in (line, city, state) if p)[:300],
        },
    )


def map_location(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    addr = r.get("address")
    line, city, state, _zip = address_line([addr] if isinstance(addr, dict) else addr)
    refs = {}
    org = ctx.ref(r.get("managingOrganization"), "managingOrganization", ("Organization",))
    if org:
        refs["managing_organization"] = org
    return Row(
        "Location",
        sid,
        {
            "name": (r.get("name") or "")[:300],
            "address": ", ".join(p for p in (line, city, state) if p)[:300],
            "identifiers": identifiers(r),
        },
        refs,
    )


def map_practitioner(r: dict[str, Any], ctx: MapContext, sid: str) -> Row:
    idents = identifiers(r)
    family, given, prefix = human_name(r.get("name"))
    qual = ""
    for q in r.get("qualification") or ():
        if isinstance(q, dict):
            _s, _c, qual, _all = ctx.coded(q.get("code"), "qualification.code", check=False)
            break
    return Row(
        "Practitioner",
        sid,
        {
            "npi": _npi(idents),
            "family_name": family,
            "given_name": given,
            "prefix": prefix,
            "qualification": qual[:200],
            "identifiers": idents,
        },
    )
