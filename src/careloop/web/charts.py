"""Small server-side SVG trend charts (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H, PAD = 320, 90, 18
COMPONENT_ORDER = ("8480-6", "8462-4")  # LOINC systolic, diastolic


def _series(observations: Sequence[Any]) -> list[tuple[Any, list[float]]]:
    out = []
    for o in observations:
        if o.components:
            # systolic first, then diastolic, whatever order the source listed them in
            by_code = {c.get("code"): c.get("value") for c in o.components}
            ordered = [by_code.get(code) for code in COMPONENT_ORDER if code in by_code]
            if not ordered:
                ordered = [c.get("value") for c in o.components]
            vals = [v for v in ordered if v is not None][:2]
        else:
            vals = [o.value] if o.value is not None else []
        if vals and o.effective:
            out.append((o.effective, vals))
    return out


def trend_svg(title: str, observations: Sequence[Any]) -> SafeString:
    points = _series(observations)
    if not points:
        return mark_safe("")
    all_vals = [v for _, vs in points for v in vs]
    lo, hi = min(all_vals), max(all_vals)
    span = (hi - lo) or 1.0
    n = len(points)

    def xy(i: int, v: float) -> str:
        x = PAD + (W - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)
        y = H - PAD - (H - 2 * PAD) * ((v - lo) / span)
        return f"{x:.1f},{y:.1f}"

    lines = []
    for k, color in ((0, "#1f5fa8"), (1, "#b5472d")):
        pts = [xy(i, vs[k]) for i, (_, vs) in enumerate(points) if len(vs) > k]
        if len(pts) > 1:
            lines.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(pts)}"/>'
            )
        for p in pts:
            x, y = p.split(",")
            lines.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{color}"/>')
    last_date, last_vals = points[-1]
    latest = "/".join(f"{v:g}" for v in last_vals)
    desc = (
        f"{escape(title)}: {n} readings from {points[0][0]:%Y-%m-%d} to {last_date:%Y-%m-%d}; "
        f"latest {latest}; range {lo:g} to {hi:g}"
    )
    svg = (
        f'<svg role="img" aria-label="{desc}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'class="trend"><title>{desc}</title>'
        f'<text x="{PAD}" y="12" font-size="10" fill="#333">{hi:g}</text>'
        f'<text x="{PAD}" y="{H - 4}" font-size="10" fill="#333">{lo:g}</text>'
        + "".join(lines)
        + "</svg>"
    )
    return mark_safe(svg)
