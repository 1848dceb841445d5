from django.contrib.auth import views as auth_views
from django.urls import path

from users import views

# The password reset pages are Django's own views. Their templates live in the project's
# templates/registration/, not in users/templates/: the admin's templates of the same names
# come before this app's in the search, and the project's folder comes before every app's.
urlpatterns = [
    path("signup", views.signup, name="signup"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("account", views.account, name="account"),
    path("people", views.people, name="people"),
    path("password-reset", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    # The link in the mail. Django's view checks the token, keeps it in the session and
    # redirects to .../set-password/, so the token never shows in a Referer header.
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
