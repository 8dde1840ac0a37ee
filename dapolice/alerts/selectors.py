"""Reads of the alert inbox."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from dapolice.alerts.models import Alert, AlertQuerySet


def alert_list_for_user(*, user: Any, include_acknowledged: bool = False) -> AlertQuerySet:
    qs = Alert.objects.visible_to(user)
    if not include_acknowledged:
        qs = qs.open()
    return qs.select_related("acknowledged_by")


def alert_open_count(*, user: Any) -> int:
    return Alert.objects.visible_to(user).open().count()


def alert_get_for_user(*, user: Any, pk: int) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(user), pk=pk)
