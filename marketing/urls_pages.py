"""Owner pages for the website under /pages/ (always on: every plan has a website)."""

from django.urls import path

from marketing import views_pages as views

urlpatterns = [
    path("", views.page_list_view, name="page_list"),
    path("new/", views.page_create_view, name="page_create"),
    path("preview/", views.page_preview_view, name="page_preview"),
    path("<int:pk>/", views.page_edit_view, name="page_edit"),
    path("<int:pk>/unpublish/", views.page_unpublish_view, name="page_unpublish"),
    path("<int:pk>/delete/", views.page_delete_view, name="page_delete"),
    path("<int:pk>/revisions/<int:number>/restore/", views.page_restore_view, name="page_restore"),
]
