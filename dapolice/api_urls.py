"""The REST API root. Domain apps are named by dotted string only."""

from django.urls import include, path

from dapolice.accounts.api import MeApi

urlpatterns = [
    path("me/", MeApi.as_view(), name="api-me"),
    path("audit/", include("dapolice.audit.api_urls")),
    path("", include("incidents.api.urls")),
    path("risk/", include("risk.api.urls")),
    path("mash/", include("mash.api.urls")),
    path("marac/", include("marac.api.urls")),
]
