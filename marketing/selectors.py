"""Reading leads: the filtered list shared by the owner pages, the API and the CSV export."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from marketing.models import Lead


def lead_list(*, search: str = "", status: str = "", source: str = "") -> QuerySet[Lead]:
    leads = Lead.objects.all()
    if status:
        leads = leads.filter(status=status)
    if source:
        leads = leads.filter(source=source)
    if search:
        leads = leads.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
            | Q(origin__icontains=search)
            | Q(destination__icontains=search)
        )
    return leads


def lead_detail(*, pk: int) -> Lead:
    """One lead with its history. Raises Lead.DoesNotExist."""
    return Lead.objects.prefetch_related("events").get(pk=pk)


def lead_detail_or_404(*, pk: int) -> Lead:
    """lead_detail for the pages and API: a lead this schema doesn't have is a 404."""
    return get_object_or_404(Lead.objects.prefetch_related("events"), pk=pk)
