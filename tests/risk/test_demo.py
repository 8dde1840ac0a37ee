"""``seed_demo`` shows the DASH work: one waiting in the review queue, one reviewed."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from risk.choices import Status
from risk.models import Assessment


def test_seed_demo_leaves_a_dash_to_review_and_a_reviewed_one(db):
    out = StringIO()
    call_command("seed_demo", "--incidents", "150", stdout=out)
    waiting = Assessment.objects.get(status=Status.SUBMITTED)
    reviewed = Assessment.objects.get(status=Status.REVIEWED)
    assert waiting.author.username == reviewed.author.username == "officer"
    assert reviewed.reviewed_by.username == "sergeant"
    assert reviewed.final_level == "high"
    assert waiting.incident.reference in out.getvalue()
    assert reviewed.incident.reference in out.getvalue()
    call_command("seed_demo", "--incidents", "150", stdout=StringIO())
    assert Assessment.objects.count() == 2  # idempotent
