"""Score a members/diagnoses extract (issue 4 point 5; ``careloop analytics score-hcc``).

``members.csv``: ``patient_id,age,sex,dual_status,orec,crec,new_enrollee,snp,lti`` and, optionally,
``segment`` (force one of CNA CND CFA CFD CPA CPD INS NE SNPNE, as hccinfhir's
``prefix_override``). Codes as in the CMS model software: sex ``1``/``2`` (or ``M``/``F``),
``dual_status`` 00–10 or 99 (empty: non-dual), OREC and CREC 0–3 (CREC may be empty), flags
``0``/``1`` (also ``true``/``false``, ``Y``/``N``; empty: 0). ``diagnoses.csv``:
``patient_id,icd10`` (with or without the dot, any case).

Output: ``patient_id,model,payment_year,segment,raw_score,normalized_score,hccs`` (HCC numbers
separated by spaces), one row per member in the order of ``members.csv``.

Bad input never disappears (architecture.md house rule 6): every problem is reported with the
file, line, column and value. Errors (unknown or missing columns, bad ages, bad codes,
duplicate members) raise :class:`ExtractError` listing all of them; warnings (diagnosis codes
that are not ICD-10-CM, diagnoses of unknown members) are returned with the result and do not
stop the run. The CLI (``cli.py``) turns these into exit status and messages.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .model import SEGMENTS
from .score import score_members
from .tables import UnsupportedModelError

__all__ = [
    "ExtractError",
    "ExtractResult",
    "MEMBER_COLUMNS",
    "DIAGNOSIS_COLUMNS",
    "score_extract",
]

MEMBER_COLUMNS = (
    "patient_id",
    "age",
    "sex",
    "dual_status",
    "orec",
    "crec",
    "new_enrollee",
    "snp",
    "lti",
)
OPTIONAL_MEMBER_COLUMNS = ("segment",)
DIAGNOSIS_COLUMNS = ("patient_id", "icd10")
MAX_AGE = 130
MAX_LISTED = 50

_TRUE = ("1", "true", "t", "y", "yes")
_FALSE = ("0", "false", "f", "n", "no", "")
_DUAL = tuple(f"{i:02d}" for i in range(11)) + ("99",)
# ICD-10-CM: a letter, two characters (digit, then digit or letter), up to four more
_ICD10_PATTERN = r"^[A-Z][0-9][0-9A-Z]([0-9A-Z]{1,4})?$"


class ExtractError(Exception):
    """The extract cannot be scored; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_LISTED]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n... and {more} more" if more else "")
        super().__init__(text)


@dataclass
class ExtractResult:
    members: int
    diagnoses: int
    out_csv: Path
    warnings: list[str] = field(default_factory=list)
    #: well-formed ICD-10-CM codes that map to no HCC of the model (counted, not listed)
    unmapped_codes: int = 0


def _header(path: Path, expected: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    if not path.is_file():
        raise ExtractError([f"{path}: file not found"])
    with path.open(newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise ExtractError([f"{path}:1: empty file, expected columns {','.join(expected)}"])
    names = [h.strip() for h in header]
    problems = []
    for i, name in enumerate(names, start=1):
        if name not in expected and name not in optional:
            problems.append(
                f"{path}:1: column {i}: unknown column {name!r} (expected {','.join(expected)})"
            )
    for name in expected:
        if name not in names:
            problems.append(f"{path}:1: missing column {name!r}")
    dupes = {n for n in names if names.count(n) > 1}
    problems.extend(f"{path}:1: column {d!r} appears twice" for d in sorted(dupes))
    if problems:
        raise ExtractError(problems)
    return names


def _read(con: duckdb.DuckDBPyConnection, path: Path, names: list[str], table: str) -> None:
    cols = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
    try:
        con.execute(
            f"""CREATE TEMP TABLE {table} AS
                SELECT row_number() OVER () + 1 AS line, *
                FROM read_csv(?, header = true, columns = {{{cols}}}, quote = '"',
                              escape = '"', strict_mode = true, null_padding = false,
                              parallel = false)""",
            [str(path)],
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise ExtractError([f"{path}: cannot read CSV: {first}"]) from exc


def _problems(con: duckdb.DuckDBPyConnection, sql: str, path: Path) -> list[str]:
    rows = con.execute(sql).fetchall()
    return [f"{path}:{line}: column {col!r}: {msg}: {value!r}" for line, col, value, msg in rows]


def _check_members(con: duckdb.DuckDBPyConnection, path: Path, has_segment: bool) -> list[str]:
    def in_list(values: tuple[str, ...]) -> str:
        return "(" + ", ".join(f"'{v}'" for v in values) + ")"

    checks = [
        ("patient_id", "coalesce(trim(patient_id), '') = ''", "empty patient_id"),
        (
            "age",
            f"NOT regexp_full_match(coalesce(trim(age), ''), '[0-9]{{1,3}}') "
            f"OR CAST(trim(age) AS INTEGER) > {MAX_AGE}",
            f"bad age (a whole number of years, 0-{MAX_AGE})",
        ),
        (
            "sex",
            "coalesce(upper(trim(sex)), '') NOT IN ('1', '2', 'M', 'F')",
            "bad sex (1, 2, M or F)",
        ),
        (
            "dual_status",
            f"coalesce(lpad(trim(dual_status), 2, '0'), '00') NOT IN {in_list(_DUAL)} "
            "AND coalesce(trim(dual_status), '') <> ''",
            "bad dual_status (00-10 or 99)",
        ),
        ("orec", "coalesce(trim(orec), '') NOT IN ('0', '1', '2', '3')", "bad orec (0-3)"),
        (
            "crec",
            "coalesce(trim(crec), '') NOT IN ('0', '1', '2', '3', '')",
            "bad crec (0-3 or empty)",
        ),
    ]
    for flag in ("new_enrollee", "snp", "lti"):
        checks.append(
            (
                flag,
                f"coalesce(lower(trim({flag})), '') NOT IN {in_list(_TRUE + _FALSE)}",
                f"bad {flag} (0/1, true/false, Y/N)",
            )
        )
    if has_segment:
        checks.append(
            (
                "segment",
                f"coalesce(upper(trim(segment)), '') NOT IN {in_list((*SEGMENTS, ''))}",
                f"bad segment ({' '.join(SEGMENTS)} or empty)",
            )
        )
    union = " UNION ALL ".join(
        f"SELECT line, '{col}' AS col, {col} AS value, '{msg}' AS msg FROM _x_members WHERE {cond}"
        for col, cond, msg in checks
    )
    problems = _problems(con, f"SELECT * FROM ({union}) ORDER BY line, col", path)
    dupes = con.execute(
        """SELECT line, trim(patient_id), first_line FROM (
               SELECT line, patient_id,
                      min(line) OVER (PARTITION BY trim(patient_id)) AS first_line
               FROM _x_members WHERE coalesce(trim(patient_id), '') <> '')
           WHERE line > first_line ORDER BY line"""
    ).fetchall()
    problems.extend(
        f"{path}:{line}: column 'patient_id': duplicate member {pid!r} (first on line {first})"
        for line, pid, first in dupes
    )
    return problems


def score_extract(
    members_csv: str | Path,
    diagnoses_csv: str | Path,
    out_csv: str | Path,
    model: str = "V28",
    payment_year: int = 2026,
    normalization_factor: float | None = None,
) -> ExtractResult:
    """Validate the two CSV files, score every member and write ``out_csv``."""
    members_path, diagnoses_path, out_path = Path(members_csv), Path(diagnoses_csv), Path(out_csv)
    member_names = _header(members_path, MEMBER_COLUMNS, OPTIONAL_MEMBER_COLUMNS)
    diagnosis_names = _header(diagnoses_path, DIAGNOSIS_COLUMNS, ())
    has_segment = "segment" in member_names
    con = duckdb.connect()
    try:
        _read(con, members_path, member_names, "_x_members")
        _read(con, diagnoses_path, diagnosis_names, "_x_diagnoses")
        problems = _check_members(con, members_path, has_segment)
        problems += _problems(
            con,
            "SELECT line, 'patient_id', patient_id, 'empty patient_id' FROM _x_diagnoses "
            "WHERE coalesce(trim(patient_id), '') = '' ORDER BY line",
            diagnoses_path,
        )
        if problems:
            raise ExtractError(problems)

        warnings = _problems(
            con,
            f"""SELECT line, 'icd10', icd10, 'not an ICD-10-CM code, ignored' FROM _x_diagnoses
                WHERE NOT regexp_matches(upper(replace(coalesce(trim(icd10), ''), '.', '')),
                                         '{_ICD10_PATTERN}')
                ORDER BY line""",
            diagnoses_path,
        )
        warnings += _problems(
            con,
            """SELECT d.line, 'patient_id', d.patient_id, 'no such member in members.csv, ignored'
               FROM _x_diagnoses d ANTI JOIN _x_members m ON trim(m.patient_id) = trim(d.patient_id)
               ORDER BY d.line""",
            diagnoses_path,
        )
        segment = ", upper(trim(segment)) AS segment" if has_segment else ""
        con.execute(
            f"""CREATE TEMP TABLE _x_m AS SELECT
                    trim(patient_id) AS patient_id, CAST(trim(age) AS INTEGER) AS age,
                    upper(trim(sex)) AS sex,
                    lpad(coalesce(nullif(trim(dual_status), ''), '00'), 2, '0') AS dual_status,
                    trim(orec) AS orec, nullif(trim(crec), '') AS crec,
                    coalesce(lower(trim(new_enrollee)), '') IN {_TRUE} AS new_enrollee,
                    coalesce(lower(trim(snp)), '') IN {_TRUE} AS snp,
                    coalesce(lower(trim(lti)), '') IN {_TRUE} AS lti{segment}
                FROM _x_members ORDER BY line"""
        )
        con.execute(
            """CREATE TEMP TABLE _x_d AS
               SELECT trim(patient_id) AS patient_id, upper(replace(trim(icd10), '.', '')) AS icd10
               FROM _x_diagnoses WHERE coalesce(trim(icd10), '') <> ''"""
        )
        try:
            scores = score_members(
                "_x_m",
                "_x_d",
                model=model,
                payment_year=payment_year,
                normalization_factor=normalization_factor,
                connection=con,
            )
        except UnsupportedModelError as exc:
            raise ExtractError([str(exc)]) from exc
        con.register("_x_scores", scores)
        unmapped = con.execute(
            f"""SELECT count(DISTINCT icd10) FROM _x_d
                WHERE regexp_matches(icd10, '{_ICD10_PATTERN}')
                  AND icd10 NOT IN (SELECT dx FROM _hcc_dx_to_cc)"""
        ).fetchone()
        out_path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"""COPY (SELECT patient_id, model, payment_year, segment,
                             printf('%.3f', raw_score) AS raw_score,
                             printf('%.3f', normalized_score) AS normalized_score,
                             array_to_string(hccs, ' ') AS hccs
                      FROM _x_scores) TO '{_sql_path(out_path)}' (HEADER, DELIMITER ',')"""
        )
        n_diagnoses = con.execute("SELECT count(*) FROM _x_diagnoses").fetchone()
        return ExtractResult(
            members=scores.num_rows,
            diagnoses=int(n_diagnoses[0]) if n_diagnoses else 0,
            out_csv=out_path,
            warnings=warnings,
            unmapped_codes=int(unmapped[0]) if unmapped else 0,
        )
    finally:
        con.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
