"""``seed_demo`` leaves items in the MASH queue and the demo MASH officer as team lead."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from mash.choices import Duty, EntryReason
from mash.models import DutyRota, MashCase


def test_seed_demo_fills_the_mash_queue(db):
    out = StringIO()
    call_command("seed_demo", "--incidents", "150", stdout=out)
    case = MashCase.objects.get()
    assert case.reason == EntryReason.HIGH
    assert case.owner.username == "officer"
    assert case.incident.reference in out.getvalue()
    assert DutyRota.objects.filter(duty=Duty.MASH_TEAM_LEAD, user__username="mash").exists()
    assert "MASH queue" in out.getvalue()
    count = MashCase.objects.count()
    call_command("seed_demo", "--incidents", "150", stdout=StringIO())
    assert MashCase.objects.count() == count  # idempotent
