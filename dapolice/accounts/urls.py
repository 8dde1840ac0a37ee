from django.contrib.auth.views import LogoutView
from django.urls import path

from dapolice.accounts import views

app_name = "accounts"
urlpatterns = [
    path("logout/", LogoutView.as_view(), name="logout"),
    path("activity/", views.ActivityView.as_view(), name="activity"),
    path("role-requests/", views.RoleRequestListView.as_view(), name="role-requests"),
    path(
        "role-requests/<int:pk>/decide/",
        views.RoleRequestDecideView.as_view(),
        name="role-request-decide",
    ),
    # The link in a reset e-mail (MFA-exempt: the user is not signed in).
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
]
