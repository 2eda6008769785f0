"""The demo population generator (issue 8, point 5): deterministic, self-contained, valid FHIR
R4, and shaped like a Medicare population.

Pure tests (no database): run with `-p no:django` if the Django plugin gets in the way.
FHIR validation uses `fhir.resources.R4B` (the package ships R4B and R5, not pure R4; the
resources generated here are the same in R4 and R4B).
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import itertools
import re
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from careloop.core.codesystems import (
    BB_EOB_TYPE,
    COVERAGE_KIND,
    DUAL_STATUS_EXT,
    MBI,
    MRN_SYSTEM,
    NPI,
    OREC_EXT,
)
from careloop.core.npi import npi_check_digit
from careloop.interop.synth import population as pop
from careloop.interop.synth.clock import DEFAULT_AS_OF
from careloop.interop.synth.codes import CHRONIC_CODES, ESRD
from careloop.interop.synth.patient import RESOURCE_TYPES
from careloop.interop.synth.writer import CHUNK_SIZE, generate

AS_OF = DEFAULT_AS_OF
POPULATION = 2000


def read(directory: Path, kind: str) -> list[dict]:
    path = directory / f"{kind}.ndjson"
    with open(path, "rb") as handle:
        return [orjson.loads(line) for line in handle]


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.fixture(scope="module")
def population(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "pop"
    generate(out, patients=POPULATION, seed=11, as_of=AS_OF, workers=2)
    return out


@pytest.fixture(scope="module")
def resources(population) -> dict[str, list[dict]]:
    return {kind: read(population, kind) for kind in RESOURCE_TYPES}


# -- determinism ------------------------------------------------------------------------


def test_same_seed_same_bytes_for_any_worker_count(tmp_path):
    n = 2 * CHUNK_SIZE + 37  # three chunks, the last one partial
    one = generate(tmp_path / "w1", patients=n, seed=5, as_of=AS_OF, workers=1)
    two = generate(tmp_path / "w2", patients=n, seed=5, as_of=AS_OF, workers=2)
    generate(tmp_path / "again", patients=n, seed=5, as_of=AS_OF, workers=2)
    assert one.counts == two.counts
    assert digest(tmp_path / "w1") == digest(tmp_path / "w2") == digest(tmp_path / "again")
    assert sorted(p.name for p in (tmp_path / "w1").iterdir()) == sorted(
        f"{k}.ndjson" for k in RESOURCE_TYPES
    )


def test_other_seed_other_population(tmp_path):
    generate(tmp_path / "a", patients=50, seed=1, as_of=AS_OF, workers=1)
    generate(tmp_path / "b", patients=50, seed=2, as_of=AS_OF, workers=1)
    assert (tmp_path / "a" / "Patient.ndjson").read_bytes() != (
        tmp_path / "b" / "Patient.ndjson"
    ).read_bytes()


def test_gzip_output_is_the_same_ndjson(tmp_path):
    generate(tmp_path / "plain", patients=CHUNK_SIZE + 10, seed=3, as_of=AS_OF, workers=1)
    generate(
        tmp_path / "gz", patients=CHUNK_SIZE + 10, seed=3, as_of=AS_OF, workers=2, compress=True
    )
    for kind in RESOURCE_TYPES:
        plain = (tmp_path / "plain" / f"{kind}.ndjson").read_bytes()
        assert gzip.decompress((tmp_path / "gz" / f"{kind}.ndjson.gz").read_bytes()) == plain


def test_a_patient_does_not_depend_on_the_population_size(tmp_path):
    generate(tmp_path / "small", patients=20, seed=9, as_of=AS_OF, workers=1)
    generate(tmp_path / "large", patients=CHUNK_SIZE + 1, seed=9, as_of=AS_OF, workers=1)
    small = read(tmp_path / "small", "Patient")
    large = read(tmp_path / "large", "Patient")
    assert small == large[:20]


# -- self-contained and valid -------------------------------------------------------------


def test_every_reference_resolves_inside_the_output(resources):
    known = {f"{kind}/{r['id']}" for kind, rows in resources.items() for r in rows}
    assert len(known) == sum(len(rows) for rows in resources.values()), "ids are unique per type"
    dangling = collections.Counter()
    checked = 0

    def walk(node):
        nonlocal checked
        if isinstance(node, dict):
            ref = node.get("reference")
            if isinstance(ref, str):
                checked += 1
                if ref not in known:
                    dangling[ref] += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for rows in resources.values():
        for r in rows:
            walk(r)
    assert checked > 100_000
    assert not dangling, dangling.most_common(5)


def test_samples_of_every_type_are_valid_fhir(resources):
    from fhir.resources.R4B import get_fhir_model_class

    for kind, rows in resources.items():
        assert rows, kind
        model = get_fhir_model_class(kind)
        step = max(1, len(rows) // 150)
        for r in itertools.islice(rows, 0, None, step):
            model.model_validate(r)


def test_identifiers(resources):
    mbi_format = re.compile(
        r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9][0-9][AC-HJKMNP-RT-Y]{2}[0-9]{2}$"
    )
    mbis, mrns = set(), set()
    for p in resources["Patient"]:
        by_system = {i["system"]: i for i in p["identifier"]}
        assert by_system[MRN_SYSTEM]["type"]["coding"][0]["code"] == "MR"
        assert by_system[MBI]["type"]["coding"][0]["code"] == "MC"
        assert mbi_format.match(by_system[MBI]["value"]), by_system[MBI]["value"]
        mbis.add(by_system[MBI]["value"])
        mrns.add(by_system[MRN_SYSTEM]["value"])
    assert len(mbis) == len(mrns) == POPULATION
    npis = [
        i["value"]
        for kind in ("Practitioner", "Organization")
        for r in resources[kind]
        for i in r.get("identifier", [])
        if i["system"] == NPI
    ]
    assert len(npis) == len(set(npis)) > 20
    for value in npis:
        assert len(value) == 10 and int(value[-1]) == npi_check_digit(value[:9]), value


# -- a Medicare population ---------------------------------------------------------------


def _age(patient: dict) -> int:
    born = date.fromisoformat(patient["birthDate"])
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


def _chronic_keys(resources) -> dict[str, set[str]]:
    code_to_key = {}
    for key, variants in CHRONIC_CODES.items():
        for icd, _d, sct, _sd, _w in variants:
            code_to_key[icd] = key
            if sct:
                code_to_key[sct] = key
    code_to_key[ESRD[0]] = code_to_key[ESRD[2]] = "ckd"
    keys: dict[str, set[str]] = collections.defaultdict(set)
    for c in resources["Condition"]:
        if c["category"][0]["coding"][0]["code"] != "problem-list-item":
            continue
        key = code_to_key.get(c["code"]["coding"][0]["code"])
        if key:
            keys[c["subject"]["reference"]].add(key)
    return keys


def test_prevalence_is_close_to_the_table(resources):
    patients = resources["Patient"]
    women = sum(p["gender"] == "female" for p in patients) / len(patients)
    counts = collections.Counter(k for ks in _chronic_keys(resources).values() for k in ks)
    for key, *_ in pop.PREVALENCE:
        expected = pop.expected_prevalence(key, women)
        observed = counts[key] / len(patients)
        assert abs(observed - expected) <= max(0.035, 0.3 * expected), (key, observed, expected)


def test_multimorbidity_and_coding(resources):
    keys = _chronic_keys(resources)
    two_or_more = (
        sum(len(keys[f"Patient/{p['id']}"]) >= 2 for p in resources["Patient"]) / POPULATION
    )
    assert 0.6 <= two_or_more <= 0.8, two_or_more
    systems = collections.Counter(
        tuple(c["system"].rsplit("/", 1)[-1] for c in cond["code"]["coding"])
        for cond in resources["Condition"]
        if cond["category"][0]["coding"][0]["code"] == "problem-list-item"
    )
    total = sum(systems.values())
    with_snomed = sum(n for s, n in systems.items() if "sct" in s) / total
    assert 0.15 <= with_snomed <= 0.4, systems
    assert any(c.get("abatementDateTime") for c in resources["Condition"])


def test_entitlement_coverage_and_deaths(resources):
    patients = resources["Patient"]
    ages = [_age(p) for p in patients]
    under_65 = sum(a < 65 for a in ages) / len(ages)
    assert 0.08 <= under_65 <= 0.17, under_65
    orec = collections.Counter(
        p["extension"][0]["valueCode"] for p in patients if p["extension"][0]["url"] == OREC_EXT
    )
    assert orec["0"] > orec["1"] > orec["2"] > 0
    deceased = sum("deceasedDateTime" in p for p in patients) / len(patients)
    assert 0.02 <= deceased <= 0.1, deceased
    kinds = collections.defaultdict(set)
    dual = {}
    for c in resources["Coverage"]:
        kind = c["type"]["coding"][0]
        assert kind["system"] == COVERAGE_KIND and c["status"] == "active"
        kinds[c["beneficiary"]["reference"]].add(kind["code"])
        for ext in c.get("extension", []):
            if ext["url"] == DUAL_STATUS_EXT:
                dual[c["beneficiary"]["reference"]] = ext["valueCode"]
    assert all({"part-a", "part-b"} <= k for k in kinds.values())
    assert all(
        c["period"]["start"] <= c["period"].get("end", "9999") for c in resources["Coverage"]
    )
    ma = sum("part-c" in k for k in kinds.values()) / len(patients)
    assert 0.3 <= ma <= 0.5, ma
    assert 0.12 <= len(dual) / len(patients) <= 0.25
    codes = collections.Counter(dual.values())
    assert codes["01"] and codes["02"] and codes["08"], codes
    esrd = {
        c["subject"]["reference"]
        for c in resources["Condition"]
        if c["code"]["coding"][0]["code"] in ("N18.6", "Z99.2")
    }
    assert esrd


def _day(instant: str) -> date:
    return date.fromisoformat(instant[:10])


def test_nothing_happens_after_death(resources):
    died = {
        f"Patient/{p['id']}": p["deceasedDateTime"][:10]
        for p in resources["Patient"]
        if "deceasedDateTime" in p
    }
    assert died
    for e in resources["Encounter"]:
        if e["subject"]["reference"] in died:
            assert e["period"]["end"][:10] <= died[e["subject"]["reference"]], e["id"]
    for c in resources["Coverage"]:
        if c["beneficiary"]["reference"] in died:
            assert c["period"]["end"] <= died[c["beneficiary"]["reference"]], c["id"]


def test_care_and_transitions(resources):
    encounters = resources["Encounter"]
    classes = collections.Counter(e["class"]["code"] for e in encounters)
    assert {"AMB", "EMER", "IMP", "OBSENC", "HH", "VR", "NONAC"} <= set(classes)
    stays = [e for e in encounters if e["class"]["code"] == "IMP"]
    recent = [s for s in stays if AS_OF - timedelta(days=30) <= _day(s["period"]["end"]) < AS_OF]
    assert len(recent) >= 10, len(recent)
    via_ed = sum(s["hospitalization"]["admitSource"]["coding"][0]["code"] == "emd" for s in stays)
    assert 0.5 < via_ed / len(stays) < 0.95
    # HOSPITAL score inputs: hemoglobin and sodium on the discharge day of every stay.
    labs = collections.defaultdict(set)
    for o in resources["Observation"]:
        if "encounter" in o:
            labs[o["encounter"]["reference"]].add(
                (o["code"]["coding"][0]["code"], o["effectiveDateTime"][:10])
            )
    for s in stays:
        end = s["period"]["end"][:10]
        assert {("718-7", end), ("2951-2", end)} <= labs[f"Encounter/{s['id']}"], s["id"]
    # CCM candidates: 2+ chronic conditions and a primary-care visit in the last 12 months.
    keys = _chronic_keys(resources)
    seen = {
        e["subject"]["reference"]
        for e in encounters
        if e["class"]["code"] == "AMB"
        and _day(e["period"]["start"]) >= AS_OF - timedelta(days=365)
        and e["type"][0]["coding"][0]["code"]
        in {"99212", "99213", "99214", "99215", "G0438", "G0439"}
    }
    ccm = [p for p in keys if len(keys[p]) >= 2 and p in seen]
    assert len(ccm) / POPULATION > 0.5
    assert any(e["type"][0]["coding"][0]["code"] in ("99495", "99496") for e in encounters)


def test_readmissions_are_concentrated(resources):
    stays = collections.defaultdict(list)
    for e in resources["Encounter"]:
        if e["class"]["code"] == "IMP":
            stays[e["subject"]["reference"]].append(
                (_day(e["period"]["start"]), _day(e["period"]["end"]))
            )
    readmissions = collections.Counter()
    for patient, periods in stays.items():
        periods.sort()
        for (_s0, end0), (start1, _e1) in itertools.pairwise(periods):
            if (start1 - end0).days <= 30:
                readmissions[patient] += 1
    total = sum(readmissions.values())
    top = sum(n for _p, n in readmissions.most_common(POPULATION // 20))
    assert total > 50
    assert top / total > 0.6, (top, total)
    admissions_per_1000 = sum(len(v) for v in stays.values()) / POPULATION / 3 * 1000
    assert 150 < admissions_per_1000 < 450, admissions_per_1000


def test_claims_follow_the_encounters(resources):
    eobs = resources["ExplanationOfBenefit"]
    kinds = collections.Counter(
        next(c["code"] for c in e["type"]["coding"] if c["system"] == BB_EOB_TYPE) for e in eobs
    )
    assert {"CARRIER", "OUTPATIENT", "INPATIENT", "SNF", "HHA"} <= set(kinds)
    assert kinds["CARRIER"] > kinds["OUTPATIENT"] > kinds["INPATIENT"]
    for e in eobs[:2000]:
        assert e["diagnosis"][0]["type"][0]["coding"][0]["code"] == "principal"
        assert [d["sequence"] for d in e["diagnosis"]] == list(range(1, len(e["diagnosis"]) + 1))
        assert e["payment"]["amount"]["currency"] == "USD" and e["outcome"] == "complete"


def test_care_gap_evidence_exists(resources):
    vaccines = collections.Counter(
        i["vaccineCode"]["coding"][0]["code"] for i in resources["Immunization"]
    )
    assert vaccines.keys() & {"140", "150", "158", "197"} and vaccines.keys() & {
        "33",
        "133",
        "215",
        "216",
    }
    procedures = collections.Counter(p["code"]["coding"][0]["code"] for p in resources["Procedure"])
    assert procedures["77067"] and (procedures["45378"] + procedures["G0121"])
    wellness = sum(
        e["type"][0]["coding"][0]["code"] in ("G0438", "G0439") for e in resources["Encounter"]
    )
    assert wellness > POPULATION // 2
    loinc = collections.Counter(o["code"]["coding"][0]["code"] for o in resources["Observation"])
    assert all(
        loinc[c]
        for c in (
            "85354-9",
            "29463-7",
            "39156-5",
            "8867-4",
            "4548-4",
            "62238-1",
            "718-7",
            "2951-2",
            "2093-3",
        )
    )
    meds = {
        m["medicationCodeableConcept"]["coding"][0]["display"].split()[0].lower()
        for m in resources["MedicationRequest"]
    }
    assert {"atorvastatin", "simvastatin", "lisinopril"} <= meds
    assert resources["AllergyIntolerance"]


def test_careloop_generate_command(tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "cli"
    # Another hash seed than this process: set iteration order must not leak into the output.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run(
        [sys.executable, "-m", "careloop.cli", "generate", "--patients", "40", "--seed", "4", "--out", str(out),
         "--workers", "2"],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "40 patients" in run.stdout and "as of 2026-12-01" in run.stdout
    generate(tmp_path / "api", patients=40, seed=4, as_of=AS_OF, workers=1)
    assert digest(out) == digest(tmp_path / "api")
    bad = subprocess.run(
        [sys.executable, "-m", "careloop.cli", "generate", "--patients", "5", "--out", str(out), "--as-of", "soon"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert bad.returncode != 0 and "--as-of" in bad.stderr
