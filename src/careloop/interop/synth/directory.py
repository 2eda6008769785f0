"""The provider directory: Organizations, Practitioners and Locations, region by region.

Patients are grouped in regions of `REGION_SIZE` consecutive indexes; each region is one city
with a health system, its hospital (with an emergency department), practices, a skilled
nursing facility and a home-health agency. A region's directory depends only on (seed,
region), so any worker can rebuild it, and the chunk holding the region's first patient
writes it. The national Medicare Advantage plans are written with region 0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from orjson import Fragment

from careloop.core.codesystems import IDENTIFIER_TYPE, NPI
from careloop.core.npi import npi_check_digit

from .codes import (
    EMERGENCY_TAXONOMY,
    HOSPITALIST_TAXONOMY,
    NUCC_TAXONOMY,
    ORGANIZATION_TYPE,
    PRIMARY_CARE_TAXONOMY,
    ROLE_CODE,
)
from .places import CITIES, FEMALE_NAMES, MALE_NAMES, STREETS, SURNAMES
from .templates import frag

REGION_SIZE = 5000

MA_PLANS = (
    ("ma-1", "Evergreen Medicare Advantage (HMO)", "H1001"),
    ("ma-2", "Keystone Senior Choice (PPO)", "H2002"),
    ("ma-3", "Liberty Health Medicare Plus (HMO-POS)", "H3003"),
    ("ma-4", "Harbor Dual Complete (HMO D-SNP)", "H4004"),
)


def npi(number: int) -> str:
    """A valid NPI: 9 digits starting with 1, then the Luhn check digit over '80840' + those
    (the NPI standard's card-issuer prefix)."""
    base = f"1{number % 100_000_000:08d}"
    return base + str(npi_check_digit(base))


def _npi_for(seed: int, slot: int) -> str:
    # 7_777_777 is coprime with 10**8, so distinct slots get distinct NPIs within a seed.
    return npi((slot * 7_777_777 + seed * 104_729) % 100_000_000)


def _ref(kind: str, rid: str, display: str | None = None) -> Fragment:
    value = {"reference": f"{kind}/{rid}"}
    if display:
        value["display"] = display
    return frag(value)


def _npi_identifier(value: str) -> list[dict]:
    return [
        {
            "use": "official",
            "type": {
                "coding": [
                    {
                        "system": IDENTIFIER_TYPE,
                        "code": "NPI",
                        "display": "National provider identifier",
                    }
                ]
            },
            "system": NPI,
            "value": value,
        }
    ]


@dataclass
class Practice:
    org: Fragment  # Reference
    location: Fragment
    clinicians: list[Fragment]  # Practitioner references


@dataclass
class Region:
    number: int
    city: str
    state: str
    zip3: str
    area: str
    tz: int
    hospital: Fragment | None = None
    ed_location: Fragment | None = None
    hospital_location: Fragment | None = None
    snf: Fragment | None = None
    snf_location: Fragment | None = None
    hha: Fragment | None = None
    practices: list[Practice] = field(default_factory=list)
    emergency: list[Fragment] = field(default_factory=list)
    hospitalists: list[Fragment] = field(default_factory=list)
    resources: dict[str, list[dict]] = field(default_factory=dict)


def _address(rng: random.Random, region: Region) -> dict:
    return {
        "use": "work",
        "line": [f"{rng.randint(10, 9900)} {rng.choice(STREETS)}"],
        "city": region.city,
        "state": region.state,
        "postalCode": f"{region.zip3}{rng.randint(1, 99):02d}",
        "country": "US",
    }


def _phone(rng: random.Random, region: Region) -> list[dict]:
    return [
        {
            "system": "phone",
            "value": f"{region.area}-555-{rng.randint(100, 199):04d}",
            "use": "work",
        }
    ]


def build_region(seed: int, number: int) -> Region:
    rng = random.Random(f"careloop-synth:{seed}:region:{number}")
    city, state, zip3, area, tz = CITIES[number % len(CITIES)]
    suffix = "" if number < len(CITIES) else f" {number // len(CITIES) + 1}"
    region = Region(number, city, state, zip3, area, tz)
    orgs: list[dict] = []
    practitioners: list[dict] = []
    locations: list[dict] = []
    prefix = f"syn{seed}-r{number}"
    slot = number * 64

    def organization(key: str, name: str, kind: str, part_of: Fragment | None = None) -> Fragment:
        nonlocal slot
        slot += 1
        res: dict[str, Any] = {
            "resourceType": "Organization",
            "id": f"{prefix}-org-{key}",
            "identifier": _npi_identifier(_npi_for(seed, 50_000_000 + slot)),
            "active": True,
            "type": [
                {
                    "coding": [
                        {
                            "system": ORGANIZATION_TYPE,
                            "code": kind,
                            "display": "Healthcare Provider",
                        }
                    ]
                }
            ],
            "name": name,
            "telecom": _phone(rng, region),
            "address": [_address(rng, region)],
        }
        if part_of:
            res["partOf"] = part_of
        orgs.append(res)
        return _ref("Organization", res["id"])

    def location(
        key: str, name: str, role: tuple[str, str], org: Fragment, part_of: Fragment | None = None
    ) -> Fragment:
        res: dict[str, Any] = {
            "resourceType": "Location",
            "id": f"{prefix}-loc-{key}",
            "status": "active",
            "name": name,
            "mode": "instance",
            "type": [{"coding": [{"system": ROLE_CODE, "code": role[0], "display": role[1]}]}],
            "telecom": _phone(rng, region),
            "address": _address(rng, region),
            "managingOrganization": org,
        }
        if part_of:
            res["partOf"] = part_of
        locations.append(res)
        return _ref("Location", res["id"])

    def practitioner(taxonomy: tuple[str, str]) -> Fragment:
        nonlocal slot
        slot += 1
        female = rng.random() < 0.5
        given = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        family = rng.choice(SURNAMES)
        nurse = taxonomy[0].startswith("363")
        degree = "NP" if nurse else rng.choice(("MD", "MD", "DO"))
        res: dict[str, Any] = {
            "resourceType": "Practitioner",
            "id": f"{prefix}-pr{len(practitioners) + 1}",
            "identifier": _npi_identifier(_npi_for(seed, slot)),
            "active": True,
            "name": [{"use": "official", "family": family, "given": [given], "suffix": [degree]}],
            "telecom": _phone(rng, region),
            "gender": "female" if female else "male",
            "qualification": [
                {
                    "code": {
                        "coding": [
                            {"system": NUCC_TAXONOMY, "code": taxonomy[0], "display": taxonomy[1]}
                        ],
                        "text": taxonomy[1],
                    }
                }
            ],
        }
        practitioners.append(res)
        return _ref("Practitioner", res["id"])

    system = organization("hs", f"{city} Health System{suffix}", "prov")
    region.hospital = organization("hosp", f"{city} General Hospital{suffix}", "prov", system)
    region.hospital_location = location(
        "hosp", f"{city} General Hospital{suffix}", ("HOSP", "Hospital"), region.hospital
    )
    region.ed_location = location(
        "ed",
        f"{city} General Hospital{suffix} Emergency Department",
        ("ER", "Emergency room"),
        region.hospital,
        region.hospital_location,
    )
    region.snf = organization(
        "snf", f"{city} Skilled Nursing and Rehabilitation Center{suffix}", "prov"
    )
    region.snf_location = location(
        "snf",
        f"{city} Skilled Nursing and Rehabilitation Center{suffix}",
        ("SNF", "Skilled nursing facility"),
        region.snf,
    )
    region.hha = organization("hha", f"{city} Home Health Services{suffix}", "prov")
    names = (
        f"{city} Family Medicine{suffix}",
        f"{city} Internal Medicine Associates{suffix}",
        f"{rng.choice(STREETS).rsplit(' ', 1)[0]} Primary Care{suffix}",
        f"{city} Senior Care Clinic{suffix}",
    )
    for k, name in enumerate(names):
        org = organization(f"pc{k + 1}", name, "prov", system if k < 3 else None)
        loc = location(f"pc{k + 1}", name, ("PC", "primary care clinic"), org)
        clinicians = [
            practitioner(rng.choice(PRIMARY_CARE_TAXONOMY)) for _ in range(rng.randint(3, 5))
        ]
        region.practices.append(Practice(org, loc, clinicians))
    region.emergency = [practitioner(EMERGENCY_TAXONOMY) for _ in range(3)]
    region.hospitalists = [practitioner(HOSPITALIST_TAXONOMY) for _ in range(3)]
    if number == 0:
        orgs.extend(ma_plan(seed, key, name, contract) for key, name, contract in MA_PLANS)
    region.resources = {"Organization": orgs, "Practitioner": practitioners, "Location": locations}
    return region


def ma_plan_id(seed: int, key: str) -> str:
    return f"syn{seed}-{key}"


def ma_plan(seed: int, key: str, name: str, contract: str) -> dict:
    return {
        "resourceType": "Organization",
        "id": ma_plan_id(seed, key),
        "identifier": [{"system": "https://www.cms.gov/contract-number", "value": contract}],
        "active": True,
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "pay", "display": "Payer"}]}],
        "name": name,
    }


def ma_plan_refs(seed: int) -> list[Fragment]:
    return [_ref("Organization", ma_plan_id(seed, key), name) for key, name, _ in MA_PLANS]
