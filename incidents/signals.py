"""Custom domain signals that call intake sends (README, "Custom signals", lists them all).

Upper apps (risk, mash, marac) connect in their ``receivers.py`` and call one service of their
own; incidents never imports them.
"""

from django.dispatch import Signal

#: Sent on commit after a new incident is logged. Keyword argument: ``incident_id``.
incident_created = Signal()
