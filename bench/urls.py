"""The app's urls unchanged, plus the floor views under /bench/floor/ (bench only: the
app's own urlconf, whose every route the security tests check, does not know them)."""

from django.urls import path

from issuetracker import urls as app_urls

from . import views

urlpatterns = [
    path("bench/floor/json/", views.floor_json, name="bench-floor-json"),
    path("bench/floor/template/", views.floor_template, name="bench-floor-template"),
    path("bench/floor/query/", views.floor_query, name="bench-floor-query"),
    path("bench/floor/signed-in/", views.floor_signed_in, name="bench-floor-signed-in"),
    path("bench/floor/token/", views.floor_token, name="bench-floor-token"),
    *app_urls.urlpatterns,
]

handler500 = app_urls.handler500
