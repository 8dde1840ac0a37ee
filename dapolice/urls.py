"""URLs. Domain apps are named by dotted string only (layers: style.md)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from two_factor.urls import urlpatterns as two_factor_urls

from dapolice.accounts.views import HomeView, LoginView, MFADisableView, admin_login
from dapolice.health.views import HealthzView

admin.site.site_header = "dapolice administration"
admin.site.site_title = "dapolice"
admin.site.login = admin_login  # type: ignore[method-assign]

_two_factor_patterns = [
    path("account/login/", LoginView.as_view(), name="login"),
    *(p for p in two_factor_urls[0] if getattr(p, "name", None) != "login"),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Before two_factor's own "disable" URL: refused while MFA is required.
    path(
        "account/two_factor/disable/",
        MFADisableView.as_view(),
        name="mfa-disable",
    ),
    # django-two-factor-auth: account/login/ (our LoginView: the same flow, fewer queries),
    # account/two_factor/setup/, ...
    path("", include((_two_factor_patterns, "two_factor"))),
    path("account/", include("dapolice.accounts.urls")),
    path("alerts/", include("dapolice.alerts.urls")),
    path("audit/", include("dapolice.audit.urls")),
    path("incidents/", include("incidents.urls")),
    path("risk/", include("risk.urls")),
    path("mash/", include("mash.urls")),
    path("marac/", include("marac.urls")),
    path("api/", include("dapolice.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Our own page: drf-spectacular's has an inline <style>, which the CSP refuses.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="swagger-ui",
    ),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("admin/", admin.site.urls),
]

# Errors under /api/ are JSON problem details whatever their cause (issue 13); pages keep the
# templates/4xx.html and 500.html pages.
handler400 = "dapolice.common.api.bad_request"
handler403 = "dapolice.common.api.permission_denied"
handler404 = "dapolice.common.api.page_not_found"
handler500 = "dapolice.common.api.server_error"
