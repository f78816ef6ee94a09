from django.urls import path

from chat import views_inbox

urlpatterns = [
    path("", views_inbox.inbox_view, name="chat_inbox"),
    path("<int:pk>/", views_inbox.conversation_view, name="chat_inbox_conversation"),
    path("<int:pk>/reply/", views_inbox.reply_view, name="chat_inbox_reply"),
]
