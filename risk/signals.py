"""Custom domain signals that risk sends, and the hook an upper app answers (README, "Custom
signals", lists them all).

Upper apps (mash, marac) connect in their ``receivers.py`` and call one service of their own;
risk never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.dispatch import Signal

#: Sent on commit when a supervisor agrees or changes the level of a DASH (not when they
#: return it). Keyword arguments: ``assessment_id``, ``incident_id``, ``victim_id``, ``level``
#: (the reviewed level), ``decision`` (``agree`` or ``change``), ``children_present`` (True
#: when children were present or live in the household: the MASH's children's-services referral
#: and Operation Encompass), ``marac_criteria`` (codes of the MARAC criteria that hold).
assessment_reviewed = Signal()

# --- Where a victim's last MARAC referral comes from ------------------------------------------
#: A provider answers "when was this person last referred to a MARAC, at or before this
#: moment?" (``None``: no referral on record). ``marac`` registers one in its ``AppConfig.ready``
#: (``risk.signals.marac_referral_provider``), so risk can work out "repeat MARAC" without
#: importing marac. Until then there is none, and the answer is "no referral on record".
ReferralProvider = Callable[[int, datetime], datetime | None]
_referral_providers: list[ReferralProvider] = []


def marac_referral_provider(fn: ReferralProvider) -> ReferralProvider:
    """Register ``fn(person_id, at) -> datetime | None`` (usable as a decorator)."""
    if fn not in _referral_providers:
        _referral_providers.append(fn)
    return fn


def marac_referral_provider_remove(fn: ReferralProvider) -> None:
    if fn in _referral_providers:
        _referral_providers.remove(fn)


def last_marac_referral(person_id: int, at: datetime) -> datetime | None:
    """The latest MARAC referral of ``person_id`` at or before ``at`` any provider knows of."""
    answers = [when for fn in _referral_providers if (when := fn(person_id, at)) is not None]
    answers = [when for when in answers if when <= at]
    return max(answers, default=None)
