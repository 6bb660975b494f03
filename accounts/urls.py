from django.contrib.auth import views as auth_views
from django.urls import path

from . import auth_views as password_views
from . import token_views

app_name = "accounts"

urlpatterns = [
    path("login/", password_views.sign_in, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.revoke_token, name="token-revoke"),
    path("password/change/", password_views.password_change, name="password_change"),
    path(
        "password/change/done/",
        password_views.password_change_done,
        name="password_change_done",
    ),
    path("password/reset/", password_views.password_reset, name="password_reset"),
    path("password/reset/sent/", password_views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        password_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        password_views.password_reset_complete,
        name="password_reset_complete",
    ),
]
