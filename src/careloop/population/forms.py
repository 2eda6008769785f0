"""The registry's filters: every value checked, with a message that names the bad value."""

from __future__ import annotations

from typing import Any

from django import forms

from careloop.analytics.chronic_conditions import CONDITIONS

from .models import CcmStatus, RecommendedProgram, RiskTier

# §8 care gaps: the ids the care_gap mart writes, with their names for the filter.
CARE_GAPS = (
    ("GAP-001", "Annual wellness visit"),
    ("GAP-002", "Influenza vaccine this season"),
    ("GAP-003", "Pneumococcal vaccine"),
    ("GAP-004", "Colorectal cancer screening"),
    ("GAP-005", "Breast cancer screening"),
    ("GAP-006", "HbA1c tested"),
    ("GAP-007", "HbA1c poor control"),
    ("GAP-008", "Blood pressure controlled"),
    ("GAP-009", "Statin therapy for cardiovascular disease"),
)
ELIGIBILITY = (("ccm", "CCM eligible"), ("pcm", "PCM candidate"), ("tcm", "TCM candidate"))
SUPER_UTILIZER = (("yes", "Super-utilizers only"), ("no", "Not super-utilizers"))
SORTS = (
    ("name", "Name (A–Z)"),
    ("-name", "Name (Z–A)"),
    ("-tier", "Highest risk tier"),
    ("tier", "Lowest risk tier"),
    ("-hcc", "Highest HCC score"),
    ("hcc", "Lowest HCC score"),
    ("-charlson", "Highest Charlson"),
    ("charlson", "Lowest Charlson"),
    ("-conditions", "Most conditions"),
    ("conditions", "Fewest conditions"),
    ("-admissions", "Most admissions"),
    ("admissions", "Fewest admissions"),
    ("-lace", "Highest LACE"),
    ("lace", "Lowest LACE"),
    ("-gaps", "Most open gaps"),
    ("gaps", "Fewest open gaps"),
)


def condition_choices() -> list[tuple[str, str]]:
    """Every chronic condition the value sets define (§4), by name."""
    return sorted(
        ((c.id, c.name) for c in CONDITIONS.values() if c.chronic), key=lambda item: item[1]
    )


def _choice(label: str, choices: Any, what: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", "Any"), *choices],
        error_messages={"invalid_choice": f"“%(value)s” is not {what}."},
    )


class RegistryFilterForm(forms.Form):
    """Bound to the query string; `filters()` gives the cleaned values (empty = no filter).

    The payer and care-manager choices are the ones the acting user can see (the view passes
    them in), so a value from another organization is refused like any unknown value.
    """

    status = _choice("CCM status", CcmStatus.choices, "a CCM status")
    eligible = _choice("Eligible for", ELIGIBILITY, "a program (ccm, pcm or tcm)")
    tier = _choice("Risk tier", RiskTier.choices, "a risk tier")
    recommended = _choice("Recommended program", RecommendedProgram.choices, "a program")
    super_utilizer = _choice("Super-utilizer", SUPER_UTILIZER, "yes or no")
    condition = _choice("Condition", [], "a chronic condition")
    gap = _choice("Open care gap", CARE_GAPS, "a care gap (GAP-001 to GAP-009)")
    payer = _choice("Payer", [], "a payer of the patients you can see")
    care_manager = _choice("Care manager", [], "a care manager of the patients you can see")
    min_admissions = forms.IntegerField(
        label="Minimum admissions (12 months)",
        required=False,
        min_value=0,
        max_value=999,
        error_messages={
            "invalid": "Minimum admissions must be a whole number.",
            "min_value": "Minimum admissions cannot be negative.",
            "max_value": "Minimum admissions must be at most %(limit_value)s.",
        },
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=SORTS,
        error_messages={"invalid_choice": "“%(value)s” is not a way to sort the registry."},
    )

    def __init__(
        self,
        data: Any,
        *,
        payers: list[str],
        care_managers: list[tuple[int, str]],
    ) -> None:
        super().__init__(data)
        fields: dict[str, Any] = self.fields
        fields["condition"].choices = [("", "Any"), *condition_choices()]
        fields["payer"].choices = [("", "Any"), *((p, p) for p in payers)]
        fields["care_manager"].choices = [
            ("", "Any"),
            *((str(pk), name) for pk, name in care_managers),
        ]

    def filters(self) -> dict[str, Any]:
        """The cleaned filters; call after `is_valid()` returned True."""
        data = dict(self.cleaned_data)
        data["sort"] = data.get("sort") or "name"
        if data.get("care_manager"):
            data["care_manager"] = int(data["care_manager"])
        return data
