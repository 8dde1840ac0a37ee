from django.urls import path

from marac import views

app_name = "marac"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="cases"),
    path("refer/", views.CaseReferView.as_view(), name="refer"),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<int:pk>/research/", views.ResearchAddView.as_view(), name="research-add"),
    path("cases/<int:pk>/discussion/", views.DiscussionView.as_view(), name="discussion"),
    path("cases/<int:pk>/actions/", views.ActionAddView.as_view(), name="action-add"),
    path("cases/<int:pk>/reassess/", views.CaseReassessView.as_view(), name="case-reassess"),
    path("cases/<int:pk>/close/", views.CaseCloseView.as_view(), name="case-close"),
    path("actions/<int:pk>/report/", views.ActionReportView.as_view(), name="action-report"),
    path("meetings/", views.MeetingListView.as_view(), name="meetings"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("meetings/<int:pk>/invited/", views.MeetingInviteView.as_view(), name="meeting-invite"),
    path("meetings/<int:pk>/agenda/", views.AgendaBuildView.as_view(), name="agenda-build"),
    path("meetings/<int:pk>/agenda.pdf", views.AgendaPdfView.as_view(), name="agenda-pdf"),
    path("tracker/", views.TrackerView.as_view(), name="tracker"),
    path("return/", views.ReturnView.as_view(), name="return"),
]
