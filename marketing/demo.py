"""Demo leads for Scilla Transport: a handful of realistic quote requests at each pipeline stage.

Made through the real services, so each new one queues the owner's notification (to the outbox)
like a real lead would; loaded once however often demo_load runs.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from contracts.services.events import Actor
from marketing.models import Lead
from marketing.services.leads import lead_create, lead_status_set
from tenants.models import User

S = Lead.Status

# (days ago, statuses walked through, fields)
DEMO: list[tuple[int, tuple[str, ...], dict]] = [
    (0, (), dict(name="Giuseppe Lombardi", phone="+14165550311", email="g.lombardi@example.com",
                 service_type="roro", origin="Woodbridge, ON", destination="Palermo, Italy",
                 vehicle="2021 Alfa Romeo Giulia", source="form", utm_source="google", utm_medium="cpc",
                 utm_campaign="car-shipping-italy", landing_page="/vehicle-shipping/", consent=True,
                 message="Shipping my car home for the summer. Earliest sailing in May?")),
    (1, (S.CONTACTED,), dict(name="Priya Raman", phone="+19055550412", email="priya.raman@example.com",
                             service_type="domestic_moving", origin="Vaughan, ON", destination="Calgary, AB",
                             source="phone", message="3-bedroom house, piano included.", consent=True)),
    (3, (S.CONTACTED, S.QUOTED), dict(name="Tomasz Nowak", email="t.nowak@example.com",
                                      service_type="container", origin="Mississauga, ON",
                                      destination="Gdańsk, Poland", source="form", landing_page="/europe-shipping/",
                                      referrer="https://www.bing.com/", consent=True)),
    (9, (S.CONTACTED, S.QUOTED, S.WON), dict(name="Elena Conti", phone="+16475550533", service_type="shared",
                                             origin="Toronto, ON", destination="Naples, Italy",
                                             vehicle="2016 Fiat 500", source="chat", consent=True)),
    (16, (S.CONTACTED, S.LOST), dict(name="Mark Fischer", phone="+12895550644", email="mfischer@example.com",
                                     service_type="roro", origin="Hamilton, ON", destination="Bremerhaven, Germany",
                                     vehicle="2012 Porsche 911", source="api", utm_source="facebook",
                                     utm_medium="social", consent=False)),
]  # fmt: skip


def leads_demo_load(*, owner: User) -> int:
    """Add the demo leads to the current (demo) tenant once. Returns how many were added."""
    if Lead.objects.exists():
        return 0
    actor = Actor(type="owner", user=owner)
    for days_ago, path, fields in DEMO:
        when = fields.get("preferred_date") or timezone.localdate() + timedelta(days=45 - days_ago)
        lead, _ = lead_create(data={**fields, "preferred_date": when}, actor=actor)
        for status in path:
            lead = lead_status_set(lead=lead, status=status, actor=actor)
        Lead.objects.filter(pk=lead.pk).update(created=timezone.now() - timedelta(days=days_ago))
    return len(DEMO)


# --- Marketing data (issue 17): two years of demo facts, the seasons, a campaign entered by hand ---

SEASONAL_EVENTS = [
    ("Snowbirds return north", (3, 15), (5, 15), "Cars shipped back from Florida and Arizona; book carriers early April."),
    ("Spring moving season", (4, 15), (6, 30), "Quotes triple from mid-April; lease ends on 1 May and 1 July."),
    ("Summer shipping to Italy", (5, 1), (8, 15), "Families ship cars home for the summer; RoRo sailings fill by June."),
    ("Back-to-school moves", (8, 15), (9, 10), "Students and families moving before Labour Day."),
    ("Snowbirds go south", (10, 1), (11, 30), "Ship cars to Florida before the first snow; peak the week after Thanksgiving."),
    ("Holiday shipments to Europe", (11, 15), (12, 20), "Containers with gifts and household goods before Christmas."),
]  # fmt: skip


DEMO_CHUNK_DAYS = 92


@transaction.atomic
def flywheel_demo_load(*, tenant) -> int:
    """Give the current (demo) tenant two years of demo analytics (queued for the worker, newest
    first, once this commits), its seasons and a hand-entered campaign, once. Returns how many days
    were queued (0 when already done)."""
    from django.conf import settings

    from inkwell.queue import enqueue_on_commit
    from marketing.models import Campaign, IngestionRun, SeasonalEvent
    from marketing.services.campaigns import campaign_create
    from marketing.services.ingestion import ingestion_run_create, ingestion_window
    from marketing.tasks import ingestion_run

    if IngestionRun.objects.filter(trigger=IngestionRun.Trigger.DEMO).exists():
        return 0
    start, end = ingestion_window(tenant=tenant, days=settings.INGESTION_DEMO_HISTORY_DAYS)
    # The worker loads it, a quarter per task (under a second each), so `make run` starts as fast as
    # before and stopping it never waits on a long task. Each run scores the weeks it wrote.
    chunk_end = end
    while chunk_end >= start:
        chunk_start = max(start, chunk_end - timedelta(days=DEMO_CHUNK_DAYS - 1))
        run = ingestion_run_create(
            connector="demo", start=chunk_start, end=chunk_end, trigger=IngestionRun.Trigger.DEMO
        )
        enqueue_on_commit(ingestion_run, run_id=run.pk)
        chunk_end = chunk_start - timedelta(days=1)
    for name, (start_month, start_day), (end_month, end_day), notes in SEASONAL_EVENTS:
        SeasonalEvent.objects.get_or_create(
            name=name,
            defaults=dict(
                start_month=start_month,
                start_day=start_day,
                end_month=end_month,
                end_day=end_day,
                notes=notes,
            ),
        )
    if not Campaign.objects.filter(ads_campaign_id="").exists():
        today = timezone.localdate()
        campaign_create(
            name="CHIN Radio – spring moving spots",
            channel=Campaign.Channel.RADIO,
            budget=2400,
            start=today.replace(month=4, day=1),
            end=today.replace(month=5, day=31),
            notes="Italian-language morning show, two spots a day.",
        )
    return (end - start).days + 1
