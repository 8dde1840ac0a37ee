from django.urls import path

from incidents import views
from incidents.matching import views as matching_views

app_name = "incidents"
urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("new/", views.IncidentCreateView.as_view(), name="create"),
    path("new/match/", views.PersonMatchPanelView.as_view(), name="match-panel"),
    path("new/address/", views.AddressLookupView.as_view(), name="address-lookup"),
    path("new/deadline/", views.IncidentDeadlinePreviewView.as_view(), name="deadline-preview"),
    path("board/", views.IncidentBoardView.as_view(), name="board"),
    path("<int:pk>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<int:pk>/calls/", views.IncidentAddCallView.as_view(), name="add-call"),
    path("<int:pk>/defer/", views.IncidentDeferView.as_view(), name="defer"),
    path("<int:pk>/regrade/", views.IncidentRegradeView.as_view(), name="regrade"),
    path("<int:pk>/dispatch/", views.IncidentDispatchView.as_view(), name="dispatch"),
    path("<int:pk>/arrival/", views.IncidentArrivalView.as_view(), name="arrival"),
    path("<int:pk>/custody/", views.CustodyEventRecordView.as_view(), name="custody-record"),
    path(
        "<int:pk>/custody/<int:event_pk>/informed/",
        views.CustodyVictimInformedView.as_view(),
        name="custody-informed",
    ),
    path("inspector-rota/", views.InspectorRotaView.as_view(), name="inspector-rota"),
    path(
        "inspector-rota/<int:pk>/end/",
        views.InspectorShiftEndView.as_view(),
        name="inspector-shift-end",
    ),
    path("reveals/", views.RevealQueueView.as_view(), name="reveal-queue"),
    path(
        "matching/models/", matching_views.MatchingModelListView.as_view(), name="matching-models"
    ),
    path(
        "matching/models/<int:pk>/",
        matching_views.MatchingModelDetailView.as_view(),
        name="matching-model",
    ),
    path("reveals/<int:pk>/review/", views.RevealReviewView.as_view(), name="reveal-review"),
    path(
        "<int:pk>/addresses/<int:address_pk>/reveal/",
        views.AddressRevealView.as_view(),
        name="address-reveal",
    ),
]
