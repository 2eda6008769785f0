"""Background work of the population engine: the nightly analytics run (django-tasks).

`careloop analytics nightly` enqueues `run_organization_analytics` once per organization; the
worker (`careloop db_worker`, from django-tasks-db) runs them one after another. Arguments
are JSON values (a slug, an as-of string), as the database backend stores them.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from careloop.accounts.models import Organization

from .pipeline_run import run_population_analytics


@task()
def run_organization_analytics(organization_slug: str, as_of: str = "today") -> dict[str, Any]:
    """Snapshot, marts and stored findings for one organization; the result names the run."""
    organization = Organization.objects.get(slug=organization_slug)
    result = run_population_analytics(organization=organization, as_of=as_of)
    return {
        "organization": organization_slug,
        "run_id": result.run.run_id,
        "as_of": result.run.as_of.isoformat(),
        "patients": result.patients,
        "findings": result.run.findings.count(),
    }
