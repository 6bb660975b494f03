from django.urls import path

from . import report_views, views

app_name = "issues"

urlpatterns = [
    path("teams/<str:team_key>/issues/", views.issue_list, name="list"),
    path("teams/<str:team_key>/board/", views.board, name="board"),
    path("teams/<str:team_key>/reports/", report_views.team_reports, name="reports"),
    path("teams/<str:team_key>/issues/bulk/", views.bulk, name="bulk"),
    path("teams/<str:team_key>/views/", views.save_view, name="save-view"),
    path("teams/<str:team_key>/views/<int:pk>/delete/", views.delete_view, name="delete-view"),
    path("issues/new/", views.new_issue, name="new"),
    path("issues/similar/", views.similar, name="similar"),
    path("markdown/preview/", views.preview, name="preview"),
    path("issues/<str:key>/", views.issue_detail, name="detail"),
    path("issues/<str:key>/edit/", views.edit_issue, name="edit"),
    path("issues/<str:key>/properties/", views.update_properties, name="properties"),
    path("issues/<str:key>/comments/", views.add_comment, name="comment"),
    path("issues/<str:key>/watch/", views.toggle_watch, name="watch"),
    path("issues/<str:key>/duplicate/", views.mark_duplicate, name="duplicate"),
    path("issues/<str:key>/move/", views.move, name="move"),
]
