"""Demo MASH items for ``seed_demo``: the reviewed DASHes of ``demo/dash.py`` enter the queue
(the receiver of ``risk.signals.assessment_reviewed`` does it on commit; calling the same service
again here is harmless, and covers a database seeded inside one transaction), and the demo MASH
officer goes on the duty rota as team lead, so the queue, its clocks and the alerts have
something to show. Everything goes through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from dapolice.audit.services import configuration_save
from mash import services
from mash.choices import Duty
from mash.models import DutyRota, MashCase
from risk.choices import Status
from risk.models import Assessment


def seed_mash(*, mash: Any, system: Any) -> list[str]:
    """Returns what was made, for the command to print."""
    lines = []
    queued = MashCase.objects.values("assessment_id")
    for assessment in Assessment.objects.filter(status=Status.REVIEWED).exclude(pk__in=queued):
        services.case_open_from_review(
            actor=system,
            assessment_id=assessment.pk,
            level=assessment.final_level,
            children_present=assessment.children_present == "yes",
        )
    if not DutyRota.objects.filter(user=mash, duty=Duty.MASH_TEAM_LEAD).exists():
        start = timezone.now().replace(minute=0, second=0, microsecond=0)
        shift = DutyRota(
            duty=Duty.MASH_TEAM_LEAD, user=mash, starts_at=start, ends_at=start + timedelta(days=30)
        )
        configuration_save(
            actor=system, obj=shift, fields=["duty", "user", "starts_at", "ends_at"], created=True
        )
        lines.append(f"Duty rota: {mash.username} is MASH team lead for 30 days")
    references = MashCase.objects.values_list("incident__reference", flat=True)
    lines.append(
        f"MASH queue (sign in as {mash.username}, /mash/): {', '.join(r or '' for r in references)}"
    )
    return lines
