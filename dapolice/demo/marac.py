"""Demo MARAC data for ``seed_demo``: the MASH's high-risk cases are referred to the MARAC (a
MASH referral of kind ``marac``: its receiver takes it onto the list; calling the same service
again here is harmless), three fortnightly meetings are scheduled inviting the partner agencies,
and the first one's agenda is built. Everything goes through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from dapolice.accounts.choices import AgencyKind
from dapolice.accounts.models import Agency
from marac import services
from marac.models import MaracCase, Meeting
from mash import services as mash_services
from mash.choices import ReferralKind, ReferralStatus
from mash.models import MashCase, Referral
from risk.choices import Level


def seed_marac(*, marac: Any, mash: Any, system: Any) -> list[str]:
    """Returns what was made, for the command to print."""
    lines: list[str] = []
    for case in MashCase.objects.filter(level=Level.HIGH):
        referral = Referral.objects.filter(case=case, kind=ReferralKind.MARAC).first()
        if referral is None:
            referral = mash_services.referral_make(actor=mash, case=case, kind=ReferralKind.MARAC)
        if referral.status == ReferralStatus.MADE:
            services.case_from_mash_referral(actor=system, referral_id=referral.pk)
    if not Meeting.objects.exists():
        start = timezone.localtime(timezone.now() + timedelta(days=8)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        partners = list(Agency.objects.exclude(kind=AgencyKind.POLICE))
        meetings = services.meeting_schedule(
            actor=marac, first_at=start, count=3, venue="County Hall", invited=partners
        )
        services.agenda_build(actor=marac, meeting=meetings[0])
        lines.append(
            f"MARAC meetings (sign in as {marac.username}, /marac/meetings/): "
            + ", ".join(f"{m.held_at:%d %b}" for m in meetings)
        )
    references = [c.reference for c in MaracCase.objects.order_by("pk")]
    lines.append(f"MARAC list: {', '.join(references) or 'empty'}")
    return lines
