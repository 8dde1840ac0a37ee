"""Sign-in, navigation by role, lockout, multi-factor authentication and the idle timeout.

Every sign-in here goes through the real two-factor login form (the wizard's POST fields), so
django-axes, django-otp and our middleware all take part exactly as they do for a user.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from dapolice.accounts.middleware import BACKGROUND_HEADER
from dapolice.audit.models import AuditEvent
from tests.conftest import EXPECTED_NAVIGATION, INBOX_NAV, PASSWORD

LOGIN_URL = "/account/login/"
SETUP_URL = "/account/two_factor/setup/"
# A quiet moment, well inside one TOTP step, so a frozen clock never straddles a code change.
T0 = datetime(2026, 3, 2, 9, 0, 5, tzinfo=UTC)

NAV_LINK = re.compile(r'data-nav="([^"]+)"')


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """POST the first step of the two-factor login wizard, as the browser does."""
    return client.post(
        LOGIN_URL,
        {
            "auth-username": username,
            "auth-password": password,
            "login_view-current_step": "auth",
        },
        **extra,
    )


def send_token(client: Client, token: str) -> Any:
    return client.post(LOGIN_URL, {"token-otp_token": token, "login_view-current_step": "token"})


def totp_now(device: TOTPDevice, offset: int = 0) -> str:
    """The code an authenticator app shows now for ``device`` (computed, not mocked)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{(totp.token() + offset) % 10**device.digits:0{device.digits}d}"


def nav_keys(html: str) -> set[str]:
    return set(NAV_LINK.findall(html))


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Sign-in and navigation by role ---------------------------------------------------------


def test_expected_navigation_table_covers_every_persona(personas):
    assert set(EXPECTED_NAVIGATION) == set(personas)


@pytest.mark.parametrize("persona", sorted(EXPECTED_NAVIGATION))
def test_each_role_signs_in_through_the_form_and_sees_only_its_navigation(
    client, personas, persona
):
    user = personas[persona]
    response = sign_in(client, user.username)
    assert response.status_code == 302, "the login form refused a correct password"
    assert response["Location"] == "/"

    home = client.get("/")
    assert home.status_code == 200
    html = home.content.decode()
    assert nav_keys(html) == EXPECTED_NAVIGATION[persona] | {INBOX_NAV}
    assert 'data-testid="identity"' in html
    assert str(user) in html


def test_wrong_password_shows_an_error_summary_and_keeps_the_username(client, call_taker):
    response = sign_in(client, call_taker.username, "not the password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert f'value="{call_taker.username}"' in html
    assert not signed_in(client)


@pytest.mark.parametrize("persona", ["partner", "analyst", "outsider"])
@pytest.mark.parametrize("path", ["/incidents/", "/audit/"])
def test_roles_without_access_get_403_on_incidents_and_audit(client_for, personas, persona, path):
    response = client_for(personas[persona]).get(path)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/incidents/", "/audit/", "/alerts/"])
def test_anonymous_user_is_redirected_to_the_login(client, path, db):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN_URL}?next=")


def test_admin_sends_anonymous_users_to_the_same_login(client, db):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(f"{LOGIN_URL}?next=")
    assert b'name="auth-username"' in response.content


def test_sign_out_is_a_post_and_is_audited(client, call_taker):
    sign_in(client, call_taker.username)
    response = client.post("/account/logout/")
    assert response.status_code == 302
    assert not signed_in(client)
    assert AuditEvent.objects.filter(
        actor=call_taker, action="accounts.session.signed_out"
    ).exists()


# --- Lockout (django-axes) -------------------------------------------------------------------


def fail(client: Client, username: str, times: int) -> Any:
    response = None
    for _ in range(times):
        response = sign_in(client, username, "wrong password")
    return response


def test_four_wrong_passwords_do_not_lock_the_account(client, call_taker):
    limit = settings.AXES_FAILURE_LIMIT
    fail(client, call_taker.username, limit - 1)
    assert sign_in(client, call_taker.username).status_code == 302


def test_five_wrong_passwords_lock_the_username_and_refuse_the_right_one(client, call_taker):
    assert settings.AXES_FAILURE_LIMIT == 5
    with time_machine.travel(T0, tick=False):
        last = fail(client, call_taker.username, 5)
        assert last.status_code == 429
        assert b'data-testid="locked-out"' in last.content

        response = sign_in(client, call_taker.username)
        html = response.content.decode()
        assert response.status_code == 429
        assert 'data-testid="locked-out"' in html
        assert call_taker.username not in html, "the lockout page must not echo the username"
        assert not signed_in(client)


def test_locked_username_signs_in_again_after_the_cool_off(client, call_taker):
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(T0, tick=False) as clock:
        fail(client, call_taker.username, 5)
        clock.shift(cool_off + timedelta(seconds=1))
        response = sign_in(client, call_taker.username)
        assert response.status_code == 302
        assert signed_in(client)


def test_attempts_while_locked_restart_the_cool_off(client, call_taker):
    # django-axes counts an attempt on a locked username as another failure, so whoever keeps
    # guessing keeps the lock; the cool-off runs from the last attempt.
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(T0, tick=False) as clock:
        fail(client, call_taker.username, 5)
        clock.shift(cool_off - timedelta(seconds=1))
        assert sign_in(client, call_taker.username).status_code == 429
        clock.shift(timedelta(seconds=2))
        assert sign_in(client, call_taker.username).status_code == 429
        clock.shift(cool_off + timedelta(seconds=1))
        assert sign_in(client, call_taker.username).status_code == 302


def test_lockout_is_per_username_not_per_address(call_taker, control_supervisor):
    # Both clients come from the same address (the test client's 127.0.0.1), as a control room
    # behind one NAT address does.
    attacker, colleague = Client(), Client()
    with time_machine.travel(T0, tick=False):
        fail(attacker, call_taker.username, 5)
        assert sign_in(attacker, call_taker.username).status_code == 429
        response = sign_in(colleague, control_supervisor.username)
        assert response.status_code == 302
        assert signed_in(colleague)


# --- Multi-factor authentication -------------------------------------------------------------


def test_production_settings_require_mfa(run_manage_py):
    result = run_manage_py(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; "
        "print(settings.MFA_REQUIRED, settings.DEBUG, "
        "'dapolice.accounts.middleware.MFARequiredMiddleware' in settings.MIDDLEWARE)",
        production=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "True"]


def test_test_settings_do_not_require_mfa():
    # The rest of the suite signs in with a password only; this is where that is decided.
    assert settings.MFA_REQUIRED is False


@pytest.fixture
def mfa_required(settings: Any) -> None:
    settings.MFA_REQUIRED = True


@pytest.fixture
def totp_device(db: None) -> Any:
    def make(user: Any) -> TOTPDevice:
        return TOTPDevice.objects.create(user=user, name="default", confirmed=True)

    return make


@pytest.mark.usefixtures("mfa_required")
@pytest.mark.parametrize("path", ["/", "/incidents/", "/alerts/", "/audit/", "/admin/"])
def test_with_mfa_required_a_user_without_device_is_sent_to_set_one_up(
    client, control_supervisor, path
):
    assert sign_in(client, control_supervisor.username).status_code == 302
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == SETUP_URL


@pytest.mark.usefixtures("mfa_required")
def test_with_mfa_required_the_setup_page_itself_opens(client, call_taker):
    sign_in(client, call_taker.username)
    response = client.get(SETUP_URL)
    assert response.status_code == 200
    assert b"Set up two-factor authentication" in response.content


@pytest.mark.usefixtures("mfa_required")
def test_user_sets_up_totp_then_reaches_pages(client, call_taker):
    with time_machine.travel(T0, tick=False):
        sign_in(client, call_taker.username)
        welcome = client.get(SETUP_URL)
        assert welcome.status_code == 200
        generator = client.post(SETUP_URL, {"setup_view-current_step": "welcome"})
        html = generator.content.decode()
        key = re.search(r'data-testid="setup-key">([A-Z2-7]+)<', html)
        assert key, "the setup page shows the key for typing into an app"
        assert 'src="/account/two_factor/qrcode/"' in html

        # What the authenticator app does with the scanned key.
        device = TOTPDevice(key=base64.b32decode(key.group(1)).hex())
        done = client.post(
            SETUP_URL,
            {"setup_view-current_step": "generator", "generator-token": totp_now(device)},
        )
        assert done.status_code == 302
        assert TOTPDevice.objects.filter(user=call_taker, confirmed=True).count() == 1
        assert client.get("/incidents/").status_code == 200


@pytest.mark.usefixtures("mfa_required")
def test_user_with_device_must_pass_the_token_step_before_reaching_pages(
    client, call_taker, totp_device
):
    device = totp_device(call_taker)
    with time_machine.travel(T0, tick=False):
        step = sign_in(client, call_taker.username)
        assert step.status_code == 200, "a user with a device is asked for a code"
        assert b'name="token-otp_token"' in step.content
        assert not signed_in(client)
        assert client.get("/incidents/")["Location"].startswith(LOGIN_URL)

        response = send_token(client, totp_now(device))
        assert response.status_code == 302
        assert client.get("/incidents/").status_code == 200


@pytest.mark.usefixtures("mfa_required")
def test_wrong_token_is_refused(client, call_taker, totp_device):
    device = totp_device(call_taker)
    with time_machine.travel(T0, tick=False):
        sign_in(client, call_taker.username)
        response = send_token(client, totp_now(device, offset=1))
        assert response.status_code == 200
        assert b"govuk-error-summary" in response.content
        assert not signed_in(client)
        assert client.get("/incidents/")["Location"].startswith(LOGIN_URL)


@pytest.mark.usefixtures("mfa_required")
def test_admin_site_needs_the_second_factor_too(client, personas, totp_device):
    sysadmin = personas["sysadmin"]
    device = totp_device(sysadmin)
    with time_machine.travel(T0, tick=False):
        sign_in(client, sysadmin.username)
        assert client.get("/admin/").status_code == 302
        send_token(client, totp_now(device))
        response = client.get("/admin/")
    assert response.status_code == 200
    assert b"dapolice administration" in response.content


@pytest.mark.usefixtures("mfa_required")
def test_forced_session_with_device_but_unverified_is_signed_out(
    client_for, call_taker, totp_device
):
    # A session that skipped the token step (it cannot happen through the login) gets nothing.
    totp_device(call_taker)
    client = client_for(call_taker)
    response = client.get("/incidents/")
    assert response["Location"].startswith(LOGIN_URL)
    assert not signed_in(client)


# --- Idle timeout ----------------------------------------------------------------------------


IDLE = timedelta(minutes=15)


def test_idle_timeout_default_is_15_minutes():
    assert settings.SESSION_IDLE_TIMEOUT_MINUTES == 15


def test_session_survives_exactly_the_idle_limit(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        assert client.get("/").status_code == 200
        clock.shift(IDLE)
        assert client.get("/").status_code == 200


def test_activity_keeps_the_session_alive(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        for _ in range(4):
            clock.shift(IDLE - timedelta(minutes=1))
            assert client.get("/").status_code == 200


def test_idle_session_is_signed_out_and_audited(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        clock.shift(IDLE + timedelta(seconds=1))
        response = client.get("/incidents/")
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN_URL}?next=%2Fincidents%2F"
        assert not signed_in(client)
        assert AuditEvent.objects.filter(
            actor=call_taker, action="accounts.session.idle_timeout"
        ).exists()
        login_page = client.get(response["Location"])
        assert b"You were signed out after 15 minutes without activity." in login_page.content


def test_background_polling_does_not_keep_the_session_alive(client, call_taker):
    background = {"headers": {BACKGROUND_HEADER: "1"}}
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        for _ in range(3):
            clock.shift(timedelta(minutes=5))
            assert client.get("/alerts/count/", **background).status_code == 200
        clock.shift(timedelta(seconds=1))
        response = client.get("/alerts/count/", **background)
        assert response.status_code == 302
        assert not signed_in(client)


def test_htmx_request_after_idle_gets_hx_redirect(client, call_taker):
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, call_taker.username)
        client.get("/")
        clock.shift(IDLE + timedelta(seconds=1))
        response = client.get("/alerts/count/", headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"] == LOGIN_URL
        assert not signed_in(client)


def test_second_factor_cannot_be_turned_off_while_required(client_for, call_taker, settings):
    settings.MFA_REQUIRED = True
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from dapolice.accounts.models import User

    TOTPDevice.objects.create(user=call_taker, name="default", confirmed=True)
    client = client_for(User.objects.get(pk=call_taker.pk))
    # Mark the session as verified, as the token step of the login does.
    session = client.session
    device = TOTPDevice.objects.get(user=call_taker)
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get("/account/two_factor/disable/").status_code == 403
    assert TOTPDevice.objects.filter(user=call_taker).exists()
    profile = client.get("/account/two_factor/").content.decode()
    assert "/account/two_factor/disable/" not in profile


def test_roles_and_their_permissions_are_read_in_one_query(call_taker, django_assert_num_queries):
    from dapolice.accounts.models import User

    user = User.objects.get(pk=call_taker.pk)
    with django_assert_num_queries(1):
        assert user.roles == {"call_taker"}
        assert user.has_perm("incidents.add_incident")
        assert not user.has_perm("incidents.defer_incident")


def test_a_permission_comes_only_from_a_role(call_taker):
    from django.contrib.auth.models import Permission

    from dapolice.accounts.models import User

    call_taker.user_permissions.add(Permission.objects.get(codename="defer_incident"))
    assert not User.objects.get(pk=call_taker.pk).has_perm("incidents.defer_incident")
