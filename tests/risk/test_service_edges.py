"""DASH services at edges no other test reached (found by ``make mutate MODULE=risk/services.py``,
a partial run)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from dapolice.audit.models import AuditEvent
from incidents.choices import MarkerKind
from incidents.models import Marker

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_the_safety_marker_goes_on_the_victims_address_when_there_is_one(
    log_incident, attach, officer, submitted
):
    """A call from the victim's home is then treated as an emergency whoever makes it."""
    with time_machine.travel(NOW, tick=False):
        incident = attach(
            log_incident(
                victim={"given_name": "Ada", "family_name": "Home", "lives_at_location": True}
            ),
            officer,
        )
        assessment = submitted(15, incident=incident, safety_marker=True)
    victim = assessment.victim
    assert victim.address_id is not None
    marker = Marker.objects.get(pk=assessment.marker_id)
    assert marker.kind == MarkerKind.TREAT_AS_EMERGENCY
    assert (marker.address_id, marker.person_id) == (victim.address_id, None)
    assert marker.note == f"Safety plan of DASH #{assessment.pk}"
    actors = set(AuditEvent.objects.for_subject(marker).values_list("actor_id", flat=True))
    assert actors == {officer.pk}
