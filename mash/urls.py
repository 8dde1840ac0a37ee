from django.urls import path

from mash import views

app_name = "mash"
urlpatterns = [
    path("", views.CaseQueueView.as_view(), name="queue"),
    path("next/", views.CaseNextView.as_view(), name="next"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<int:pk>/claim/", views.CaseClaimView.as_view(), name="case-claim"),
    path("cases/<int:pk>/assess/", views.CaseAssessView.as_view(), name="case-assess"),
    path("cases/<int:pk>/plan/", views.PlanEditView.as_view(), name="plan-edit"),
    path(
        "cases/<int:pk>/information/",
        views.InformationAddView.as_view(),
        name="information-add",
    ),
    path(
        "cases/<int:pk>/referrals/new/", views.ReferralCreateView.as_view(), name="referral-create"
    ),
    path(
        "cases/<int:pk>/notices/<int:notice>/",
        views.NoticeSendView.as_view(),
        name="notice-send",
    ),
    path("cases/<int:pk>/handover/", views.OwnershipOfferView.as_view(), name="ownership-offer"),
    path(
        "cases/<int:pk>/handover/accept/",
        views.OwnershipAcceptView.as_view(),
        name="ownership-accept",
    ),
    path(
        "cases/<int:pk>/handover/withdraw/",
        views.OwnershipWithdrawView.as_view(),
        name="ownership-withdraw",
    ),
    path("referrals/", views.ReferralListView.as_view(), name="referrals"),
    path("referrals/<int:pk>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path(
        "referrals/<int:pk>/respond/",
        views.ReferralRespondView.as_view(),
        name="referral-respond",
    ),
    path("victims/<int:pk>/contacts/", views.ContactListView.as_view(), name="contacts"),
    path(
        "victims/<int:pk>/contact-plan/",
        views.ContactPlanEditView.as_view(),
        name="contact-plan",
    ),
]
