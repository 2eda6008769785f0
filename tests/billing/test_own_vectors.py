"""The project's own billing vectors (tests/billing/vectors), same schema as the shared ones,
and the rule-coverage check: every rule ID of medicare-rules.md §1.2-§1.10 is exercised."""

from __future__ import annotations

import pytest
from billing_vectors import OWN, SHARED, load, mismatches

OWN_VECTORS = load(OWN)
SHARED_VECTORS = load(SHARED)

# §1.2-§1.10 of medicare-rules.md, section by section.
RULE_IDS = {
    "§1.2": ["CCM-001", "CCM-002", "CCM-003", "PCM-001", "APCM-001", "TCM-001", "ALL-001"],
    "§1.3": ["CCM-030", "CCM-031", "CCM-032", "CCM-033", "CCM-034"],
    "§1.4": ["CCM-020", "CCM-021", "CCM-023", "CCM-022"],
    "§1.5": ["CCM-050", "CCM-051", "CCM-052", "CCM-053", "CCM-054"],
    "§1.6": ["CCM-060", "CCM-061", "CCM-062", "CCM-063", "CCM-064", "CCM-065"],
    "§1.7": [
        "CCM-010", "CCM-011", "CCM-012", "CCM-013", "CCM-014", "CCM-015",
        "PCM-010", "PCM-011", "PCM-012", "PCM-013", "TCM-010", "TCM-011",
        "RPM-010", "RPM-011", "RPM-012", "RPM-013", "RPM-014", "RPM-015",
        "BHI-010", "APCM-010", "FQ-001",
    ],
    "§1.8": [f"BILL-{n:03d}" for n in range(1, 11)],
    "§1.9": [f"EXC-{n:03d}" for n in range(1, 12)] + ["CCM-070"],
    "§1.10": ["FQ-001", "FQ-002", "FQ-003", "FQ-004"],
}  # fmt: skip

# Rules about what a consent or care plan record holds: the programs and care-plan services
# enforce them when the record is made; the engine only sees their outcome (a consent date,
# `care_plan.signed`), so no patient-month scenario can exercise them.
NOT_ENGINE_INPUTS = {
    "CCM-031": "the four consent items are checked when consent is recorded (programs app)",
    "CCM-022": "G0506 is billed with the initiating visit, outside the care-management month",
    "CCM-050": "the twelve care-plan elements are checked before the plan can be signed (careplans app)",
    "CCM-051": "giving the patient a copy is recorded by the careplans app",
    "CCM-052": "electronic availability of the plan is a property of the careplans app",
}


def test_there_are_at_least_as_many_own_vectors_as_shared() -> None:
    assert len(OWN_VECTORS) >= len(SHARED_VECTORS) >= 80
    ids = [v["id"] for v in OWN_VECTORS]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {v["id"] for v in SHARED_VECTORS}


@pytest.mark.parametrize("vector", OWN_VECTORS, ids=[v["id"] for v in OWN_VECTORS])
def test_own_vector(vector: dict) -> None:
    problems = mismatches(vector)
    assert not problems, "\n".join(problems)


def test_every_rule_of_section_1_2_to_1_10_is_covered() -> None:
    covered = {rule for v in OWN_VECTORS + SHARED_VECTORS for rule in v["rules"]}
    wanted = {rule for ids in RULE_IDS.values() for rule in ids}
    missing = sorted(wanted - covered - set(NOT_ENGINE_INPUTS))
    assert not missing, f"rule IDs without a vector: {missing}"
    assert not set(NOT_ENGINE_INPUTS) - wanted


def test_the_rule_list_matches_the_spec() -> None:
    spec = SHARED.parents[1] / "medicare-rules.md"
    if not spec.exists():
        pytest.fail("the shared spec is not beside the checkout (../shared/spec)")
    text = spec.read_text()
    body = text[text.index("### §1.2") : text.index("## §2")]
    in_spec = set()
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > 2 and "-" in cells[1] and cells[1].split("-")[0].isalpha():
            in_spec.add(cells[1])
    wanted = {rule for ids in RULE_IDS.values() for rule in ids}
    assert in_spec == wanted
