"""The import report: per-type counts, and every error and warning with where it happened."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

COUNTS = ("created", "updated", "unchanged", "failed", "skipped", "warned")
MAX_LISTED = 20_000  # listed entries per list; counts stay exact beyond it


@dataclass
class Report:
    paths: list[str]
    by_type: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    )
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    files: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, rtype: str, what: str, n: int = 1) -> None:
        self.by_type[rtype][what] += n

    def error(self, where: dict[str, Any], message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append({**where, "message": message})

    def warning(self, where: dict[str, Any], message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append({**where, "message": message})

    def part(self) -> dict[str, Any]:
        """This report's events and counts as plain data, for `absorb` in another process."""
        return {
            "by_type": {k: dict(v) for k, v in self.by_type.items()},
            "errors": self.errors,
            "warnings": self.warnings,
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "timings": self.timings,
        }

    def absorb(self, part: dict[str, Any]) -> None:
        """Add the counts and events of another report's `part()`."""
        for rtype, counts in part["by_type"].items():
            for what, n in counts.items():
                self.by_type[rtype][what] += n
        room = MAX_LISTED - len(self.errors)
        self.errors.extend(part["errors"][: max(room, 0)])
        room = MAX_LISTED - len(self.warnings)
        self.warnings.extend(part["warnings"][: max(room, 0)])
        self.error_count += part["error_count"]
        self.warning_count += part["warning_count"]
        for k, v in part["timings"].items():
            self.timings[k] = self.timings.get(k, 0.0) + v

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def totals(self) -> dict[str, int]:
        out = dict.fromkeys(COUNTS, 0)
        for counts in self.by_type.values():
            for k, v in counts.items():
                out[k] += v
        out["resources"] = sum(
            out[k] for k in ("created", "updated", "unchanged", "failed", "skipped")
        )
        return out

    def as_dict(self) -> dict[str, Any]:
        totals = self.totals()
        return {
            "paths": self.paths,
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "resources_per_second": round(totals["resources"] / self.seconds)
            if self.seconds
            else None,
            "totals": totals,
            "by_type": {k: dict(v) for k, v in sorted(self.by_type.items())},
            "error_count": self.error_count,
            "warning_count": self.warning_count,
            "errors": self.errors,
            "warnings": self.warnings,
            "lists_truncated": self.error_count > len(self.errors)
            or self.warning_count > len(self.warnings),
        }
