from django.urls import path

from incidents.api import views

urlpatterns = [
    path("incidents/", views.IncidentListCreateApi.as_view(), name="api-incident-list"),
    path("incidents/<int:pk>/", views.IncidentDetailApi.as_view(), name="api-incident-detail"),
    path("incidents/<int:pk>/defer/", views.IncidentDeferApi.as_view(), name="api-incident-defer"),
    path(
        "incidents/<int:pk>/arrival/",
        views.IncidentArrivalApi.as_view(),
        name="api-incident-arrival",
    ),
    path(
        "incidents/<int:pk>/custody/",
        views.CustodyEventCreateApi.as_view(),
        name="api-custody-create",
    ),
    path(
        "incidents/<int:pk>/custody/<int:event_pk>/informed/",
        views.CustodyVictimInformedApi.as_view(),
        name="api-custody-informed",
    ),
    path("persons/", views.PersonCreateApi.as_view(), name="api-person-create"),
    path("persons/match/", views.PersonMatchApi.as_view(), name="api-person-match"),
    path("persons/<int:pk>/", views.PersonDetailApi.as_view(), name="api-person-detail"),
    path("markers/", views.MarkerCreateApi.as_view(), name="api-marker-create"),
]
