"""The password hasher: Argon2id (Django's ``Argon2PasswordHasher``), tuned for the control room.

Memory-hard, as OWASP recommends, and sized so 40 sign-ins at the same moment (a shift change)
stay near a second on a 2-core server. OWASP's Password Storage Cheat Sheet lists five Argon2id
configurations of equal strength, trading memory for passes with 1 lane
(``dapolice.common.checks.OWASP_ARGON2ID``; ``manage.py check`` refuses settings under them).
The default is the one that costs least CPU here (one verification with argon2-cffi, README
"Passwords"): 7 MiB, 5 passes, 1 lane (``DAPOLICE_ARGON2_MEMORY_KIB``, ``..._TIME_COST``,
``..._PARALLELISM``). Django's default (100 MiB, 8 lanes) takes about 5x as long and 40 of them
at once would need 4 GB. A hash made with other parameters, or by PBKDF2 before this, is
re-made with these at the user's next sign-in (``check_password`` asks ``must_update``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class TunedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with the parameters from settings (same ``argon2`` algorithm name)."""

    time_cost = settings.ARGON2_TIME_COST
    memory_cost = settings.ARGON2_MEMORY_KIB
    parallelism = settings.ARGON2_PARALLELISM
