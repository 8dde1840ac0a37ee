"""JSON for stored values (audit ``changes``): Django's encoder, plus what a model field holds."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ValueEncoder(DjangoJSONEncoder):
    """``DjangoJSONEncoder`` (dates, times, decimals, UUIDs, lazy strings) plus model instances
    as their primary key and sets as lists. Datetimes and times keep full ``isoformat``
    (microseconds and ``+00:00``), as the audit trail has always stored them; Django's encoder
    would shorten them."""

    def default(self, o: Any) -> Any:
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, set | frozenset):
            return list(o)
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def to_json_value(value: Any) -> Any:
    """``value`` as plain JSON data (what a ``JSONField`` holds), mapping keys made strings."""
    return json.loads(json.dumps(value, cls=ValueEncoder))
