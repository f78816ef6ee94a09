"""The demo's two years of past leads: about eight a week, busier in summer, each with the status
history that leads to where it stands."""

from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django_tenants.utils import tenant_context

from marketing.demo import leads_history_load
from marketing.models import Lead, LeadEvent


def test_two_years_of_leads_with_their_history(alpha):
    with tenant_context(alpha.tenant):
        made = leads_history_load(owner=alpha.owner, today=date(2026, 11, 25))
        assert 700 < made < 950  # about eight a week over two years
        assert Lead.objects.count() == made
        oldest, newest = Lead.objects.order_by("created").first(), Lead.objects.order_by("created").last()
        assert (date.today() - oldest.created.date()) >= timedelta(days=720)
        assert (date.today() - newest.created.date()) <= timedelta(days=2)
        per_month = dict(
            Lead.objects.annotate(m=ExtractMonth("created")).values_list("m").annotate(n=Count("id"))
        )
        assert per_month[7] > 1.5 * per_month[1]  # the moving season shows
        statuses = dict(Lead.objects.values_list("status").annotate(n=Count("id")))
        assert statuses["won"] > 0.25 * made and statuses["lost"] > 0.4 * made
        now = timezone.now()
        recent = Lead.objects.filter(created__gt=now - timedelta(days=13))
        assert recent.exists() and not recent.filter(status__in=["won", "lost"]).exists()  # still open
        assert not Lead.objects.filter(status="new", created__lt=now - timedelta(days=15)).exists()
        lead = Lead.objects.filter(status="won").first()
        history = list(lead.events.order_by("created").values_list("kind", "from_status", "to_status"))
        assert history == [
            ("created", "", ""),
            ("status", "new", "contacted"),
            ("status", "contacted", "quoted"),
            ("status", "quoted", "won"),
        ]
        first_event = lead.events.order_by("created").first()
        assert first_event.created == lead.created
        assert LeadEvent.objects.filter(kind="status").count() > 2 * made
