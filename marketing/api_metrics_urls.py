"""/api/v1/metrics/, /api/v1/seo/ and /api/v1/ingestion/: the marketing data read API."""

from django.urls import path

from marketing import api_metrics

metrics_urlpatterns = [
    path("summary/", api_metrics.SummaryApi.as_view(), name="api_metrics_summary"),
    path("series/", api_metrics.SeriesApi.as_view(), name="api_metrics_series"),
]
seo_urlpatterns = [
    path("queries/", api_metrics.QueriesApi.as_view(), name="api_seo_queries"),
    path("pages/", api_metrics.PagesApi.as_view(), name="api_seo_pages"),
]
ingestion_urlpatterns = [
    path("runs/", api_metrics.IngestionRunsApi.as_view(), name="api_ingestion_runs"),
]
