from django.urls import path

from . import views

app_name = "issues"

urlpatterns = [
    path("issues/<str:key>/", views.issue_detail, name="detail"),
]
