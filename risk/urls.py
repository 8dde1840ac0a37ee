from django.urls import path

from risk import views

app_name = "risk"
urlpatterns = [
    path("", views.AssessmentListView.as_view(), name="list"),
    path("queue/", views.ReviewQueueView.as_view(), name="queue"),
    path("incidents/<int:pk>/start/", views.AssessmentStartView.as_view(), name="dash-start"),
    path("<int:pk>/", views.AssessmentDetailView.as_view(), name="dash-detail"),
    path("<int:pk>/edit/", views.AssessmentEditView.as_view(), name="dash-edit"),
    path("<int:pk>/review/", views.AssessmentReviewView.as_view(), name="dash-review"),
    path("<int:pk>/pdf/", views.AssessmentPdfView.as_view(), name="dash-pdf"),
    path("victims/<int:pk>/history/", views.VictimHistoryView.as_view(), name="history"),
    path(
        "victims/<int:pk>/reassessment/close/",
        views.ReassessmentCloseView.as_view(),
        name="reassessment-close",
    ),
]
