"""What a browser sends for the GOV.UK date input and the 24-hour time (issue 8).

``typed("starts_at", "2 3 2026", "18:00")`` -> ``{"starts_at_0": "2", "starts_at_1": "3",
"starts_at_2": "2026", "starts_at_time": "18:00"}``; ``prefix`` as the form's.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def typed(name: str, day: str | date | datetime = "", at: str | None = None, *, prefix: str = ""):
    full = f"{prefix}-{name}" if prefix else name
    if isinstance(day, datetime):
        day = timezone.localtime(day) if timezone.is_aware(day) else day
        at = day.strftime("%H:%M") if at is None else at
        day = day.date()
    if isinstance(day, date):
        day = f"{day.day} {day.month} {day.year}"
    parts = (day.split() + ["", "", ""])[:3] if day else ["", "", ""]
    out = {f"{full}_{i}": v for i, v in enumerate(parts)}
    if at is not None:
        out[f"{full}_time"] = at
    return out
