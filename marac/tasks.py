"""Celery tasks of the MARAC app.

None, on purpose: an action's "due soon" and "overdue" and the repeat-MARAC notice are
``Deadline`` rows (set and cancelled by ``marac.services`` in the transaction of the change;
``marac.services.action_deadlines_for`` says when), fired once by the alerts app's periodic
scan, which calls this app's handlers in ``marac.receivers``.
"""
