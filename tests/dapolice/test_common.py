"""dapolice.common: the client address the audit trail records is the one axes reads."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory

from dapolice.common.json import to_json_value
from dapolice.common.middleware import client_ip


def _behind(settings, proxies: int) -> None:
    """The settings ``DAPOLICE_TRUSTED_PROXY_COUNT=proxies`` gives (dapolice/settings.py)."""
    settings.DAPOLICE_TRUSTED_PROXY_COUNT = proxies
    settings.AXES_IPWARE_PROXY_COUNT = proxies - 1 if proxies else None
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = (
        ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if proxies else ["REMOTE_ADDR"]
    )


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no proxy: a client's header is ignored
        (1, "203.0.113.9", "203.0.113.9"),  # nginx in front: the address it saw
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # a client-forged first entry
        (2, "198.51.100.7, 203.0.113.9, 10.0.0.5", "203.0.113.9"),  # load balancer + nginx
    ],
)
def test_the_client_address_is_the_one_axes_reads(settings, proxies, forwarded, expected):
    _behind(settings, proxies)
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == expected
    assert get_client_ip_address(request) == expected


def test_the_audit_row_carries_the_client_address(settings, client_for, call_taker):
    from django.urls import reverse

    from dapolice.audit.models import AuditEvent

    _behind(settings, 1)
    client_for(call_taker).get(reverse("incidents:list"), HTTP_X_FORWARDED_FOR="203.0.113.9")
    event = AuditEvent.objects.filter(action="incidents.incident.listed").latest("pk")
    assert event.ip == "203.0.113.9"


def test_stored_values_are_plain_json(call_taker):
    at = datetime.datetime(2026, 11, 23, 14, 0, 0, 123456, tzinfo=datetime.UTC)
    key = uuid.UUID(int=1)
    assert to_json_value(
        {"at": at, "day": at.date(), "n": Decimal("1.5"), "key": key, "who": call_taker,
         "roles": frozenset({"call_taker"}), 3: (1, 2)}
    ) == {
        "at": "2026-11-23T14:00:00.123456+00:00", "day": "2026-11-23", "n": "1.5",
        "key": str(key), "who": call_taker.pk, "roles": ["call_taker"], "3": [1, 2],
    }  # fmt: skip
