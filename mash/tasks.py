"""Celery tasks of the MASH app.

None, on purpose: the queue's clocks, referral due times and Operation Encompass notices are
``Deadline`` rows (set and cancelled by ``mash.services`` in the transaction of the change),
fired once by the alerts app's periodic scan, which calls this app's handlers in
``mash.receivers``. A clock is never a countdown task.
"""
