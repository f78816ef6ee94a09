from django.urls import path

from chat import views_widget

urlpatterns = [
    path("messages/", views_widget.message_post_view, name="chat_message_post"),
    path("conversation/", views_widget.conversation_view, name="chat_conversation"),
]
