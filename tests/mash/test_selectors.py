"""``mash.selectors`` read by read: who sees what, the order, what is audited, the alerts'
titles, links and recipients (each pinned here at the selector, not through a page;
``make mutate MODULE=mash/selectors.py`` runs against these)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mash import selectors
from mash.choices import Duty

#: A Tuesday in winter (GMT): 10:00 local is MASH hours.
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


# --- The duty rota ----------------------------------------------------------------------------


def test_on_duty_is_the_latest_starting_shift_covering_the_moment(make_user, rota):
    early, late = make_user("mash"), make_user("mash")
    rota(early, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=4), DAY + timedelta(hours=4))
    rota(late, Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=1), DAY + timedelta(hours=1))
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY) == late.pk
    # A shift's end is not part of it; its start is.
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY + timedelta(hours=1)) == early.pk
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY - timedelta(hours=4)) == early.pk
    assert selectors.on_duty(Duty.MASH_TEAM_LEAD, DAY + timedelta(hours=4)) is None
    assert selectors.on_duty(Duty.DETECTIVE_SERGEANT, DAY) is None
