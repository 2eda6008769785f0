"""The National Provider Identifier check digit (CMS NPI standard, 45 CFR 162.406).

An NPI is 10 digits; the last is the Luhn check digit computed over the card-issuer prefix
``80840`` followed by the first nine. One definition for the generator (which makes valid NPIs),
the importers and the membership form (which reject a mistyped one).
"""

from __future__ import annotations

__all__ = ["npi_check_digit", "npi_problem", "npi_ok"]

_PREFIX_SUM = 24  # the Luhn contribution of the 80840 prefix (its digits are never doubled)


def npi_check_digit(first_nine: str) -> int:
    """The check digit of the NPI that starts with these nine digits."""
    total = _PREFIX_SUM
    for i, ch in enumerate(reversed(first_nine)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_problem(npi: str) -> str | None:
    """What is wrong with ``npi`` (a sentence for a form or a report), or None if it is valid."""
    if len(npi) != 10 or not npi.isdigit():
        return f"an NPI is 10 digits, got {npi!r}"
    expected = npi_check_digit(npi[:9])
    if ord(npi[9]) - 48 != expected:
        return f"NPI {npi} fails its check digit (the last digit should be {expected}): mistyped?"
    return None


def npi_ok(npi: str) -> bool:
    return npi_problem(npi) is None
