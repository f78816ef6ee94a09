"""/api/v1/pages/: the website's pages (always on: every plan has a website)."""

from django.urls import path

from marketing import api_pages as api

urlpatterns = [
    path("", api.PagesApi.as_view(), name="api_pages"),
    path("<int:pk>/", api.PageApi.as_view(), name="api_page"),
    path("<int:pk>/publish/", api.PagePublishApi.as_view(), name="api_page_publish"),
    path("<int:pk>/unpublish/", api.PageUnpublishApi.as_view(), name="api_page_unpublish"),
]
