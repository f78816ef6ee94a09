"""/api/v1/questionnaire/: the daily questionnaire's asks and answers (area "questionnaire")."""

from django.urls import path

from chat import api_questionnaire

urlpatterns = [path("", api_questionnaire.QuestionnaireAsksApi.as_view(), name="api_questionnaire_asks")]
