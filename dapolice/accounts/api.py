from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dapolice.common.http import AuthenticatedRequest


class MeApi(APIView):
    """Who am I: the signed-in user's name, roles and agency."""

    policy = "accounts.home"

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        agency = serializers.CharField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        user = request.user
        data = {
            "username": user.username,
            "name": str(user),
            "roles": sorted(user.roles),
            "agency": user.agency.code if user.agency else None,
        }
        return Response(self.OutputSerializer(data).data)
