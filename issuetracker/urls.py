from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from issues import customer_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("api/", include("issuetracker.api_urls")),
    path("teams/<str:team_key>/settings/", include("accounts.team_settings_urls")),
    path("inbox/", include("notifications.urls")),
    path("", include("issues.urls")),
    path("admin/", admin.site.urls),
    # Public, no login: the customer status page behind a status link.
    path("status/<str:token>/", customer_views.customer_status, name="customer-status"),
]

handler500 = "issuetracker.resilience.server_error"
