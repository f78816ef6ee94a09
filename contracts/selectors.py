"""Reading contracts for the owner pages and the API (one query shape for both)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from contracts.models import Contract, ContractEvent, Milestone


def contract_list(*, search: str = "", status: str = "", milestone: int | None = None) -> QuerySet[Contract]:
    """Contracts newest first, narrowed by a search on reference or customer, a status and the
    last milestone reached."""
    contracts = Contract.objects.order_by("-created", "-pk")
    search = search.strip()
    if search:
        contracts = contracts.filter(
            Q(reference__icontains=search)
            | Q(customer_name__icontains=search)
            | Q(customer_email__icontains=search)
            | Q(customer_phone__icontains=search)
        )
    if status:
        contracts = contracts.filter(status=status)
    if milestone is not None:
        contracts = contracts.filter(milestone=milestone)
    return contracts


def _contracts_in_detail() -> QuerySet[Contract]:
    return Contract.objects.select_related("template").prefetch_related(
        Prefetch("events", queryset=ContractEvent.objects.order_by("created", "pk")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("created", "pk")),
    )


def contract_detail(*, pk: int) -> Contract:
    """One contract with its terms version, audit trail and milestones (three queries).
    Raises Contract.DoesNotExist."""
    return _contracts_in_detail().get(pk=pk)


def contract_detail_or_404(*, pk: int) -> Contract:
    """contract_detail for the pages, API and admin: a contract this schema doesn't have is a 404."""
    return get_object_or_404(_contracts_in_detail(), pk=pk)
