"""The NPI check digit (core/npi.py): the CMS standard's example and the errors people see."""

from __future__ import annotations

import pytest

from careloop.core.npi import npi_check_digit, npi_ok, npi_problem


def test_the_standards_worked_example():
    # CMS, "Requirements for NPI check digit": 123456789 -> 80840123456789 -> check digit 3
    assert npi_check_digit("123456789") == 3
    assert npi_ok("1234567893")


@pytest.mark.parametrize(
    ("npi", "problem"),
    [
        ("1234567890", "NPI 1234567890 fails its check digit (the last digit should be 3)"),
        ("123456789", "an NPI is 10 digits, got '123456789'"),
        ("12345678a3", "an NPI is 10 digits, got '12345678a3'"),
    ],
)
def test_a_wrong_npi_is_named_with_what_is_wrong(npi, problem):
    assert problem in (npi_problem(npi) or "")
    assert not npi_ok(npi)
