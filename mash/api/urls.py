from django.urls import path

from mash.api import views

urlpatterns = [
    path("queue/", views.QueueApi.as_view(), name="api-mash-queue"),
    path("queue/next/", views.NextCaseApi.as_view(), name="api-mash-next"),
    path("cases/<int:pk>/", views.CaseDetailApi.as_view(), name="api-mash-case"),
    path("cases/<int:pk>/assessment/", views.CaseAssessApi.as_view(), name="api-mash-assess"),
    path("cases/<int:pk>/referrals/", views.ReferralCreateApi.as_view(), name="api-mash-refer"),
    path(
        "cases/<int:pk>/handover/accept/",
        views.OwnershipAcceptApi.as_view(),
        name="api-mash-accept",
    ),
    path("referrals/", views.ReferralListApi.as_view(), name="api-mash-referrals"),
    path(
        "referrals/<int:pk>/respond/",
        views.ReferralRespondApi.as_view(),
        name="api-mash-respond",
    ),
    path("victims/<int:pk>/contacts/", views.ContactListLogApi.as_view(), name="api-mash-contacts"),
]
