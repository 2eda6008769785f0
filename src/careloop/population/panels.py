"""The chart's population panels: why eligible, risk, care gaps (issue 4 point 4).

`chart_panels(user, patient_id)` reads the patient's finding of the latest run (through
`selectors.latest_finding_for`, so accounts/policies.py decides) and lays it out for the
template: each CCM rule met or not with its evidence, the risk drivers, the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from careloop.analytics.chronic_conditions import CONDITIONS
from careloop.clinical.models import Coverage

from . import selectors
from .models import AnalyticsRun, PatientFinding

Row = dict[str, Any]
VERSION_LABELS = {
    "value_set_version": "value sets",
    "rules_version": "rules",
    "charlson_version": "Charlson",
    "care_gaps_version": "care gaps",
}


@dataclass(frozen=True)
class RuleCheck:
    """One rule of a finding: its id, what it asks, whether it holds, and what was found."""

    rule_id: str
    requirement: str
    met: bool
    found: str


@dataclass(frozen=True)
class ChartPanels:
    finding: PatientFinding
    run: AnalyticsRun
    ccm_checks: list[RuleCheck]
    conditions: list[Row]
    pcm_reason: str
    tcm: Row | None
    drivers: list[Row]
    suspects: list[Row]
    flags: list[Row]
    tier_reasons: list[str]
    utilization: Row | None
    open_gaps: list[Row]
    closed_gaps: list[Row]
    charlson_conditions: list[str]

    @property
    def versions(self) -> list[tuple[str, str]]:
        """The run's rule versions, labelled, in a fixed order (PostgreSQL's jsonb keeps no key
        order): the known ones first, then any other by name."""
        known = list(VERSION_LABELS)
        keys = sorted(
            self.run.rule_versions, key=lambda k: (known.index(k) if k in known else len(known), k)
        )
        return [
            (VERSION_LABELS.get(k, k.removesuffix("_version").replace("_", " ")), str(value))
            for k in keys
            if (value := self.run.rule_versions[k])
        ]

    @property
    def total_cost(self) -> str:
        cost = (self.utilization or {}).get("total_cost")
        return "—" if cost is None else f"${cost:,.2f}"

    @property
    def has_risk_results(self) -> bool:
        f = self.finding
        return bool(f.risk_tier or f.hcc_model or f.charlson_index is not None or self.drivers)


def condition_name(condition_id: str | None) -> str:
    if not condition_id:
        return ""
    known = CONDITIONS.get(condition_id)
    return known.name if known else condition_id


def _coverage_label(kind: str) -> str:
    labels = dict(Coverage.Kind.choices)
    return f"{labels[kind]} ({kind})" if kind in labels else kind


def _ccm_checks(f: PatientFinding) -> list[RuleCheck]:
    r = f.reasons
    alive = bool(r.get("alive", True))
    payer = r.get("payer_kind")
    visit = r.get("last_qualifying_visit")
    n = f.chronic_condition_count
    visit_found = (
        f"{r.get('last_visit_code')} on {visit}"
        + (f" ({r['last_visit_source']})" if r.get("last_visit_source") else "")
        if visit
        else "none in the 12 months before the as-of date: needs an initiating visit"
    )
    return [
        RuleCheck("ALL-001", "Alive on the as-of date", alive, "alive" if alive else "deceased"),
        RuleCheck(
            "CCM-002",
            "An accepted payer covering Part B services",
            bool(payer),
            _coverage_label(payer) if payer else "no accepted coverage on the as-of date",
        ),
        RuleCheck(
            "CCM-001",
            "Two or more chronic conditions (§4)",
            n >= 2,
            f"{n} chronic condition{'' if n == 1 else 's'}",
        ),
        RuleCheck(
            "CCM-020",
            "A qualifying visit with a billing practitioner in 12 months",
            bool(visit),
            visit_found,
        ),
    ]


def _pcm_reason(f: PatientFinding) -> str:
    r = f.reasons
    if not f.pcm_eligible:
        if not r.get("alive", True):
            return "Not a PCM candidate: deceased (ALL-001)."
        if not r.get("payer_kind"):
            return "Not a PCM candidate: no accepted payer (CCM-002)."
        if (r.get("high_risk_conditions") or 0) > 1:
            return "Not a PCM candidate: more than one high-risk condition (CCM is the program)."
        return "Not a PCM candidate: no high-risk condition and no acute use for a chronic one."
    parts = []
    if r.get("high_risk_condition") and (r.get("high_risk_conditions") or 0) == 1:
        parts.append(f"one high-risk condition: {condition_name(r['high_risk_condition'])}")
    if r.get("acute_use_for_chronic_condition"):
        parts.append("an inpatient stay or ED visit for a chronic condition in 12 months")
    return "PCM candidate (ELIG-002): " + "; ".join(parts or ["the PCM rule holds"]) + "."


def chart_panels(user: Any, patient_id: int, session: Any = None) -> ChartPanels | None:
    f = selectors.latest_finding_for(user, patient_id, session)
    if f is None:
        return None
    r = f.reasons
    hcc = r.get("hcc") or {}
    gaps = r.get("gaps") or []
    return ChartPanels(
        finding=f,
        run=f.run,
        ccm_checks=_ccm_checks(f),
        conditions=r.get("conditions") or [],
        pcm_reason=_pcm_reason(f),
        tcm=r.get("tcm"),
        drivers=hcc.get("drivers") or [],
        suspects=hcc.get("suspects") or [],
        flags=r.get("super_utilizer") or [],
        tier_reasons=r.get("tier") or [],
        utilization=r.get("utilization"),
        open_gaps=[g for g in gaps if g.get("status") == "open"],
        closed_gaps=[g for g in gaps if g.get("status") == "closed"],
        charlson_conditions=r.get("charlson_conditions") or [],
    )


__all__ = ["ChartPanels", "RuleCheck", "chart_panels", "condition_name"]
