from django.urls import path

from marac.api import views

urlpatterns = [
    path("cases/", views.CaseListReferApi.as_view(), name="api-marac-cases"),
    path("cases/<int:pk>/", views.CaseDetailApi.as_view(), name="api-marac-case"),
    path("cases/<int:pk>/actions/", views.ActionAddApi.as_view(), name="api-marac-action-add"),
    path("cases/<int:pk>/reassess/", views.CaseReassessApi.as_view(), name="api-marac-reassess"),
    path("cases/<int:pk>/close/", views.CaseCloseApi.as_view(), name="api-marac-close"),
    path("actions/", views.ActionListApi.as_view(), name="api-marac-actions"),
    path(
        "actions/<int:pk>/report/", views.ActionReportApi.as_view(), name="api-marac-action-report"
    ),
    path("meetings/", views.MeetingListApi.as_view(), name="api-marac-meetings"),
    path("meetings/<int:pk>/agenda/", views.AgendaApi.as_view(), name="api-marac-agenda"),
    path("return/", views.ReturnApi.as_view(), name="api-marac-return"),
]
