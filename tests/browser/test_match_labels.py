"""A call taker's "not this person" in the match panel, keyboard only (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dapolice.audit.models import AuditEvent
from incidents.matching.models import MatchLabel
from tests.browser.conftest import BROWSER_DB
from tests.browser.test_intake import tab_to
from tests.incidents.helpers import victim_of

pytestmark = [pytest.mark.browser, BROWSER_DB]


def test_not_this_person_is_a_negative_label_and_the_candidate_leaves_the_panel(
    page, live_server, login, call_taker, log_incident
):
    ago = timezone.now() - timedelta(days=30)
    first = victim_of(
        log_incident(
            victim={
                "given_name": "Harriet",
                "family_name": "Quennell",
                "phones": ("07700 900501",),
            },
            received_at=ago,
        )
    )
    second = victim_of(
        log_incident(
            victim={"given_name": "Harriet", "family_name": "Quennel", "phones": ("07700 900502",)},
            received_at=ago,
        )
    )
    login(page, live_server, call_taker)
    page.goto("/incidents/new/")
    tab_to(page, "#id_victim-given_name")
    page.keyboard.type("Harriet")
    page.keyboard.press("Tab")
    page.keyboard.type("Quennell")
    panel = page.locator("#matches-victim")
    panel.locator(f"[data-match='{first.pk}']").wait_for()
    panel.locator(f"[data-match='{second.pk}']").wait_for()
    shown_first = panel.locator("[data-reject-index='1']").get_attribute("hx-vals")
    rejected = first if f'"{first.pk}"' in (shown_first or "") else second
    kept = second if rejected is first else first

    page.keyboard.press("Alt+Shift+1")  # the first match is not this caller
    panel.locator(f"[data-match='{rejected.pk}']").wait_for(state="detached")
    assert panel.locator(f"[data-match='{kept.pk}']").is_visible()
    label = MatchLabel.objects.get()
    assert (label.person_id, label.positive, label.decided_by_id) == (
        rejected.pk,
        False,
        call_taker.pk,
    )
    assert AuditEvent.objects.filter(
        action="matching.label.recorded", subject_id=str(label.pk), actor=call_taker
    ).exists()
    # Typing on searches again without the rejected candidate; the focus stayed in the block.
    page.keyboard.press("Alt+1")
    panel.locator(f"[data-linked='{kept.pk}']").wait_for()
    assert list(MatchLabel.objects.order_by("pk").values_list("person_id", "positive")) == [
        (rejected.pk, False),
        (kept.pk, True),
    ]
