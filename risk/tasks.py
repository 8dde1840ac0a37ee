"""Celery tasks of the risk app.

None yet, on purpose: the review and rework clocks are ``Deadline`` rows (set and cancelled by
``risk.services`` in the same transaction as the change), fired once by the alerts app's periodic
scan, which calls this app's handlers in ``risk.receivers``. A clock is never a countdown task.
"""
