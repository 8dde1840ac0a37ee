"""OpenAPI component names for the house style's nested serializers (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Names a serializer nested in a view after it: ``MeApi.OutputSerializer`` -> ``MeOutput``.

    style.md nests ``InputSerializer`` / ``OutputSerializer`` in every API view; by class name
    alone they would all be the same two components, and the schema would be wrong (drf-spectacular
    warns, and ``spectacular --fail-on-warn`` fails).
    """

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        cls = serializer.__class__
        outer, _, name = cls.__qualname__.rpartition(".")
        if outer and "<locals>" not in outer:
            view = outer.rsplit(".", 1)[-1].removesuffix("Api")
            return f"{view}{name}"
        return str(cls.__name__)
