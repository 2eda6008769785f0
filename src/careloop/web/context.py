from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = [
        ("web:home", "Home"),
        ("web:patients", "Patients"),
        ("web:import_runs", "Import runs"),
    ]
    return {"nav_items": items}
