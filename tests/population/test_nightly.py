"""The nightly schedule (issue 4 point 4): `careloop analytics nightly` queues one run per
organization on the django-tasks database queue; the worker runs them and stores findings."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from careloop.population.models import AnalyticsRun, PatientFinding

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def home(settings, tmp_path):
    settings.HOME = tmp_path
    return tmp_path


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("analytics", *args, stdout=out)
    return out.getvalue()


def test_nightly_queues_one_task_per_organization_and_the_worker_runs_them(
    home, org_a, org_b, patient_a, patient_b
):
    from django_tasks_db.models import DBTaskResult

    printed = _run("nightly", "--as-of", "2024-06-30")
    assert "org-a: queued analytics run" in printed and "org-b: queued analytics run" in printed
    queued = DBTaskResult.objects.order_by("enqueued_at")
    assert [t.args_kwargs["args"] for t in queued] == [
        ["org-a", "2024-06-30"],
        ["org-b", "2024-06-30"],
    ]
    assert not AnalyticsRun.objects.exists()  # nothing runs until the worker does

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert [t.status for t in DBTaskResult.objects.all()] == ["SUCCESSFUL", "SUCCESSFUL"]
    runs = {r.organization.slug: r for r in AnalyticsRun.objects.select_related("organization")}
    assert sorted(runs) == ["org-a", "org-b"]
    assert all(r.as_of.isoformat() == "2024-06-30" for r in runs.values())
    # each organization's run holds its own patients only
    assert list(
        PatientFinding.objects.filter(run=runs["org-a"]).values_list("patient", flat=True)
    ) == [patient_a.pk]
    assert list(
        PatientFinding.objects.filter(run=runs["org-b"]).values_list("patient", flat=True)
    ) == [patient_b.pk]
    assert (home / "analytics" / "org-a" / "latest" / "manifest.json").exists()
    result = DBTaskResult.objects.get(args_kwargs__args=["org-a", "2024-06-30"])
    assert result.return_value["run_id"] == runs["org-a"].run_id
    assert result.return_value["findings"] == 1


def test_nightly_now_runs_in_process_for_the_named_organization(home, org_a, org_b, patient_a):
    printed = _run("nightly", "--as-of", "2024-06-30", "--organization", "org-a", "--now")
    run = AnalyticsRun.objects.get()
    assert f"org-a: analytics run {run.run_id} as of 2024-06-30, 1 patients" in printed
    assert run.organization == org_a


def test_nightly_refuses_an_unknown_organization_and_a_bad_date(home, org_a):
    with pytest.raises(CommandError, match="no organization with slug 'nowhere'"):
        _run("nightly", "--organization", "nowhere")
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        _run("nightly", "--as-of", "yesterday", "--now")
