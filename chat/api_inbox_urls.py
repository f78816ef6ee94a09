"""/api/v1/chat/: the chat inbox's conversations (area "chat": the toggle and the plan gate apply)."""

from django.urls import path

from chat import api_inbox

urlpatterns = [
    path("conversations/", api_inbox.ConversationsApi.as_view(), name="api_chat_conversations"),
    path("conversations/<int:pk>/", api_inbox.ConversationApi.as_view(), name="api_chat_conversation"),
]
