"""Custom domain signals the MASH sends (README, "Custom signals", lists them all).

Upper apps (``marac``) connect in their ``receivers.py`` and call one service of their own; the
MASH never imports them.
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent on commit when a MASH officer makes a MARAC referral (a ``Referral`` of kind
#: ``marac``). Keyword arguments: ``referral_id``, ``case_id``, ``assessment_id``,
#: ``incident_id``, ``victim_id``, ``made_at`` (aware datetime), ``made_by_id``. The MARAC app
#: (issue to come) takes the referral onto its list from here; until it exists the referral
#: row is the record, and ``mash.selectors.last_marac_referral`` answers risk's "repeat MARAC".
marac_referral_made = Signal()
