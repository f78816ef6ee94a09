from django.urls import path

from chat import views

urlpatterns = [
    path("", views.memory_view, name="memory"),
    path("new/", views.memory_create_view, name="memory_create"),
    path("<int:pk>/edit/", views.memory_edit_view, name="memory_edit"),
    path("<int:pk>/delete/", views.memory_delete_view, name="memory_delete"),
]
