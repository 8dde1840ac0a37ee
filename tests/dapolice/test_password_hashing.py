"""Passwords are hashed with Argon2id, tuned; older hashes are upgraded at sign-in (issue 13).

Item 4 of the issue.

The test settings hash with MD5 for speed; these tests put the production list back.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password

from dapolice.accounts.hashers import TunedArgon2PasswordHasher
from dapolice.common.checks import meets_owasp_argon2id
from tests.conftest import PASSWORD
from tests.dapolice.test_accounts import sign_in

PRODUCTION_HASHERS = [
    "dapolice.accounts.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def test_production_hashes_with_argon2id_first(run_manage_py):
    code = (
        "from django.contrib.auth.hashers import get_hasher, make_password; "
        "h = get_hasher(); print(h.algorithm, type(h).__name__, make_password('x')[:16])"
    )
    result = run_manage_py("shell", "--no-imports", "-c", code, production=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["argon2", "TunedArgon2PasswordHasher", "argon2$argon2id$"]


def test_the_argon2_parameters_are_tuned_for_a_sign_in_storm(production_hashers):
    encoded = make_password("a long passphrase")
    decoded = TunedArgon2PasswordHasher().decode(encoded)
    assert encoded.startswith("argon2$argon2id$")
    # One of OWASP's equivalent minimums for Argon2id, the cheapest in CPU on 2 cores: 7 MiB,
    # 5 passes, 1 lane (not Django's 100 MiB x 8 lanes).
    assert (decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]) == (7168, 5, 1)
    assert meets_owasp_argon2id(decoded["memory_cost"], decoded["time_cost"])


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "meets"),
    [
        ((19_456, 2, True)),
        ((7_168, 5, True)),
        ((12_288, 3, True)),
        ((19_456, 1, False)),  # fewer passes than OWASP's 19 MiB configuration
        ((7_168, 4, False)),
        ((6_144, 9, False)),  # under every configuration's memory
    ],
)
def test_the_owasp_minimum_is_checked_on_memory_and_passes_together(memory_kib, time_cost, meets):
    assert meets_owasp_argon2id(memory_kib, time_cost) is meets


def test_a_pbkdf2_password_is_upgraded_to_argon2id_at_sign_in(production_hashers, call_taker):
    call_taker.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    call_taker.save(update_fields=["password"])
    assert identify_hasher(call_taker.password).algorithm == "pbkdf2_sha256"
    from django.test import Client

    response = sign_in(Client(), call_taker.username)
    assert response.status_code == 302
    call_taker.refresh_from_db()
    assert call_taker.password.startswith("argon2$argon2id$")
    assert call_taker.check_password(PASSWORD)


def test_an_argon2_hash_with_old_parameters_is_remade_at_sign_in(production_hashers, call_taker):
    class Heavier(TunedArgon2PasswordHasher):
        memory_cost = 102400
        parallelism = 8

    call_taker.password = Heavier().encode(PASSWORD, Heavier().salt())
    call_taker.save(update_fields=["password"])
    from django.test import Client

    assert sign_in(Client(), call_taker.username).status_code == 302
    call_taker.refresh_from_db()
    remade = TunedArgon2PasswordHasher().decode(call_taker.password)
    assert (remade["memory_cost"], remade["time_cost"]) == (7168, 5)
