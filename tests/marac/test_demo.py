"""``seed_demo`` refers the MASH's high-risk case to the MARAC and schedules meetings."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from marac.models import MaracCase, Meeting


def test_seed_demo_fills_the_marac_list_and_schedules_meetings(db):
    out = StringIO()
    call_command("seed_demo", "--incidents", "150", stdout=out)
    case = MaracCase.objects.get()
    assert case.source == "mash"
    assert case.meeting is not None  # listed on the first meeting's agenda
    assert Meeting.objects.count() == 3
    assert case.meeting.invited.filter(code="housing").exists()
    assert case.reference in out.getvalue()
    call_command("seed_demo", "--incidents", "150", stdout=StringIO())
    assert (MaracCase.objects.count(), Meeting.objects.count()) == (1, 3)  # idempotent
