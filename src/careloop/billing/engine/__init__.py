"""careloop's billing engine: a pure domain core (no Django, no database, no I/O).

One patient-month in (`PatientMonth`), one rules year (`careloop.billing.rules`), and out
come the claim lines with what each rests on, and for every program that bills nothing
the reasons and what would make it billable (`Explanation`). Rules: medicare-rules.md
§1.2-§1.10 and §2; the rule IDs are cited where each rule is applied.
"""

from careloop.billing.engine.evaluate import evaluate
from careloop.billing.engine.model import (
    CarePlan,
    Discharge,
    Explanation,
    Line,
    Month,
    NotBillable,
    OtherCode,
    Patient,
    PatientMonth,
    Reason,
    RpmMonth,
    TimeEntry,
)

__all__ = [
    "CarePlan",
    "Discharge",
    "Explanation",
    "Line",
    "Month",
    "NotBillable",
    "OtherCode",
    "Patient",
    "PatientMonth",
    "Reason",
    "RpmMonth",
    "TimeEntry",
    "evaluate",
]
