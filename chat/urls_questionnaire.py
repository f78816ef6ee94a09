from django.urls import path

from chat import views_questionnaire as views

urlpatterns = [
    path("", views.questionnaire_view, name="questionnaire"),
    path("settings/", views.questionnaire_settings_view, name="questionnaire_settings"),
    path("resume/", views.questionnaire_resume_view, name="questionnaire_resume"),
    path("asks/<int:pk>/answer/", views.questionnaire_answer_view, name="questionnaire_answer"),
    path(
        "questions/<int:pk>/edit/", views.questionnaire_question_edit_view, name="questionnaire_question_edit"
    ),
    path(
        "questions/<int:pk>/move/", views.questionnaire_question_move_view, name="questionnaire_question_move"
    ),
]
