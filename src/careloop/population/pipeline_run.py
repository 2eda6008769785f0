"""One population analytics run: snapshot, marts, stored results (issue 4).

`run_population_analytics` is what `careloop analytics run`, `careloop analytics nightly` and
the nightly task (tasks.py) all call. The Django side gathers the settings (the database
connection, the organization's billing practitioners), calls the pure pipeline in
``careloop.analytics`` and stores the findings with `services.store_results`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from careloop.accounts.models import Membership, Organization, Role
from careloop.analytics.engine import make_engine
from careloop.analytics.pipeline import RunManifest, latest_data_date, run_marts
from careloop.analytics.reference import AnalyticsConfig
from careloop.analytics.snapshot import snapshot
from careloop.analytics.snapshot_ndjson import snapshot_ndjson

from .models import AnalyticsRun
from .services import store_results

Progress = Callable[[str, int, int], None]


class AsOfError(ValueError):
    """The as-of date cannot be read, or the data has none of its own."""


@dataclass(frozen=True)
class PopulationRun:
    run: AnalyticsRun
    out: Path
    patients: int
    snapshot_seconds: float
    marts_seconds: float


def default_out(organization: Organization | None) -> Path:
    """``$CARELOOP_HOME/analytics/latest`` for all organizations, ``.../<slug>/latest`` for one."""
    base = Path(settings.HOME) / "analytics"
    return base / organization.slug / "latest" if organization else base / "latest"


def parse_as_of(value: str, snap_dir: Path) -> date:
    """'today', 'data' (the data's own latest date) or YYYY-MM-DD."""
    if value == "today":
        return date.today()
    if value == "data":
        latest = latest_data_date(snap_dir)
        if latest is None:
            raise AsOfError("--as-of data: the record has no dated claims or encounters")
        return latest
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise AsOfError(f"--as-of: expected YYYY-MM-DD, 'today' or 'data', got {value!r}") from err


def run_population_analytics(
    *,
    organization: Organization | None = None,
    as_of: str = "today",
    engine_name: str = "duckdb",
    out: Path | None = None,
    progress: Progress | None = None,
) -> PopulationRun:
    """Snapshot the record (one organization's patients, or all), run every mart, store."""
    out = out or default_out(organization)
    snap_dir = out / "snapshot"
    if snap_dir.exists():
        shutil.rmtree(snap_dir)
    memberships = Membership.objects.filter(role=Role.BILLING_PRACTITIONER).exclude(npi="")
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    npis = sorted(set(memberships.values_list("npi", flat=True)))
    connection.ensure_connection()
    snap = snapshot(
        connection.connection, snap_dir, organization_id=organization.pk if organization else None
    )
    manifest = _marts(
        engine_name, snap_dir, parse_as_of(as_of, snap_dir), out, npis, snap.rows, progress
    )
    run = store_results(out, organization=organization)
    return PopulationRun(
        run=run,
        out=out,
        patients=int(snap.rows.get("patient", 0)),
        snapshot_seconds=snap.seconds,
        marts_seconds=manifest.seconds,
    )


@dataclass(frozen=True)
class NdjsonRun:
    manifest: RunManifest
    out: Path
    patients: int
    snapshot_seconds: float
    problems: list[tuple[dict[str, Any], str]]  # the first 1,000: where, what is wrong
    problem_count: int


def analyse_ndjson(
    paths: list[Path],
    out: Path,
    *,
    as_of: str = "data",
    npis: tuple[str, ...] = (),
    workers: int = 0,
    progress: Progress | None = None,
) -> NdjsonRun:
    """Snapshot a Bulk NDJSON export straight from its files and run every mart on it; the
    results stay in ``out`` (nothing is stored: the ids are the snapshot's own)."""
    snap_dir = out / "snapshot"
    if snap_dir.exists():
        shutil.rmtree(snap_dir)
    snap, problems, count = snapshot_ndjson(paths, snap_dir, workers=workers)
    manifest = _marts(
        "duckdb", snap_dir, parse_as_of(as_of, snap_dir), out, npis, snap.rows, progress
    )
    return NdjsonRun(manifest, out, int(snap.rows.get("patient", 0)), snap.seconds, problems, count)


def _marts(
    engine_name: str,
    snap_dir: Path,
    day: date,
    out: Path,
    npis: Sequence[str],
    rows: dict[str, int],
    progress: Progress | None,
) -> RunManifest:
    limit = settings.ANALYTICS_MEMORY_LIMIT if engine_name == "duckdb" else ""
    engine: Any = make_engine(engine_name, **({"memory_limit": limit} if limit else {}))
    try:
        return run_marts(
            engine,
            snap_dir,
            day,
            out=out,
            config=AnalyticsConfig(billing_practitioner_npis=tuple(npis)),
            progress=progress,
            snapshot_rows=rows,
        )
    finally:
        engine.close()
