"""/api/v1/memory/: the business memory (always on: it serves the whole product, not one area)."""

from django.urls import path

from chat import api

urlpatterns = [
    path("", api.MemoryApi.as_view(), name="api_memory"),
    path("<int:pk>/", api.MemoryEntryApi.as_view(), name="api_memory_entry"),
]
