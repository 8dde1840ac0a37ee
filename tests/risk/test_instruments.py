"""A new checklist (DARA, or a new DASH version) is rows, not code: it can be offered and
completed at once, and an assessment keeps the version it used."""

from __future__ import annotations

from django.urls import reverse

from risk import services
from risk.choices import Status
from risk.models import Instrument, Question, Section
from tests.risk.conftest import complete_input


def _dara() -> Instrument:
    dara = Instrument.objects.create(
        code="dara", version="2022.1", name="DARA (test rows)", audience="police", order=0
    )
    control = Section.objects.create(instrument=dara, order=1, title="Coercive control")
    harm = Section.objects.create(instrument=dara, order=2, title="Harm")
    stalking = Section.objects.create(
        instrument=dara,
        order=3,
        title="Stalking",
        supplement="stalking",
        trigger={"any_yes": ["monitoring"], "label": "1"},
    )
    rows = [
        (control, "monitoring", "1", True, False),
        (control, "isolating", "2", True, False),
        (harm, "choking", "3", True, True),
        (stalking, "s_follows", "S1", False, False),
    ]
    for order, (section, key, number, counts, standalone) in enumerate(rows, start=1):
        Question.objects.create(
            instrument=dara, section=section, key=key, number=number, order=order,
            text=f"Question {key}?", counts=counts, standalone_high=standalone,
        )  # fmt: skip
    return dara


def test_a_checklist_added_as_rows_is_offered_and_completed(start, officer, client_for):
    dara = _dara()
    listed = client_for(officer).get(reverse("api-risk-instruments")).json()
    assert [i["code"] for i in listed][0] == "dara"  # offered first (order 0)
    assessment = start(instrument=dara)
    page = client_for(officer).get(reverse("risk:dash-edit", args=[assessment.pk]))
    assert b"Coercive control" in page.content
    data = complete_input(["monitoring", "choking"], instrument=dara)
    done = services.assessment_submit(actor=officer, assessment=assessment, data=data)
    assert done.status == Status.SUBMITTED
    assert done.score == 2
    assert (done.instrument.code, done.instrument.version) == ("dara", "2022.1")
    assert done.answers.get(question__key="s_follows").value == "no"  # its supplement opened


def test_a_used_checklist_is_read_only_in_the_admin(submitted, personas, client_for):
    assessment = submitted(3)
    admin = client_for(personas["sysadmin"])
    url = reverse("admin:risk_instrument_change", args=[assessment.instrument_id])
    page = admin.get(url)
    assert page.status_code == 200
    assert b'name="name"' not in page.content  # shown, not editable
    assert b'name="active"' in page.content  # it can still be retired
