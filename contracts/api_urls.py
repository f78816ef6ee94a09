"""/api/v1/contracts/ (gated by the tenant's feature_contracts like every /api/v1/<area>/)."""

from django.urls import path

from contracts import api

urlpatterns = [
    # create, list, detail, send, void
    path("", api.ContractsApi.as_view(), name="api_contracts"),
    path("<int:pk>/", api.ContractApi.as_view(), name="api_contract"),
    path("<int:pk>/send/", api.ContractSendApi.as_view(), name="api_contract_send"),
    path("<int:pk>/void/", api.ContractVoidApi.as_view(), name="api_contract_void"),
]
