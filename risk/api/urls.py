from django.urls import path

from risk.api import views

urlpatterns = [
    path("instruments/", views.InstrumentListApi.as_view(), name="api-risk-instruments"),
    path("assessments/", views.AssessmentListStartApi.as_view(), name="api-risk-assessment-list"),
    path(
        "assessments/<int:pk>/",
        views.AssessmentDetailApi.as_view(),
        name="api-risk-assessment-detail",
    ),
    path(
        "assessments/<int:pk>/submit/",
        views.AssessmentSubmitApi.as_view(),
        name="api-risk-assessment-submit",
    ),
    path(
        "assessments/<int:pk>/review/",
        views.AssessmentReviewApi.as_view(),
        name="api-risk-assessment-review",
    ),
    path("review-queue/", views.ReviewQueueApi.as_view(), name="api-risk-queue"),
    path("victims/<int:pk>/history/", views.VictimHistoryApi.as_view(), name="api-risk-history"),
]
