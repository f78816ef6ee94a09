"""Demo leads for Scilla Transport: a handful of realistic quote requests at each pipeline stage.

Made through the real services, so each new one queues the owner's notification (to the outbox)
like a real lead would; loaded once however often demo_load runs.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from contracts.services.events import Actor
from marketing.connectors.demo import WEEKDAY, season
from marketing.models import Lead, LeadEvent
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
    """Add the demo leads to the current (demo) tenant once: two years of past quote requests, then
    the recent ones at each stage. Returns how many were added."""
    if Lead.objects.exists():
        return 0
    history = leads_history_load(owner=owner)
    actor = Actor(type="owner", user=owner)
    for days_ago, path, fields in DEMO:
        when = fields.get("preferred_date") or timezone.localdate() + timedelta(days=45 - days_ago)
        lead, _ = lead_create(data={**fields, "preferred_date": when}, actor=actor)
        for status in path:
            lead = lead_status_set(lead=lead, status=status, actor=actor)
        Lead.objects.filter(pk=lead.pk).update(created=timezone.now() - timedelta(days=days_ago))
    return history + len(DEMO)


# Two years of past quote requests, about eight a week, more in the summer season and on weekdays
# (the demo connector's demand curve), so the leads pages and charts look like a real year's work.
# Written in bulk rather than through lead_create: 800 owner notifications would fill the outbox.
FIRST_NAMES = [
    "Marco",
    "Giulia",
    "Luca",
    "Sofia",
    "Anna",
    "Paolo",
    "Chiara",
    "Raj",
    "Mei",
    "Daniel",
    "Olga",
    "Samir",
    "Fatima",
    "Kevin",
    "Maria",
    "Jonah",
    "Ines",
    "Tariq",
    "Lena",
    "Victor",
]
LAST_NAMES = [
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Romano",
    "Colombo",
    "Patel",
    "Chen",
    "Kowalski",
    "Singh",
    "Haddad",
    "Murphy",
    "Santos",
    "Nguyen",
    "Bauer",
    "Costa",
    "Greco",
    "Moretti",
]
ROUTES = [
    ("roro", "Woodbridge, ON", "Palermo, Italy"),
    ("shared", "Toronto, ON", "Naples, Italy"),
    ("container", "Mississauga, ON", "Gdańsk, Poland"),
    ("roro", "Vaughan, ON", "Bremerhaven, Germany"),
    ("domestic_moving", "Vaughan, ON", "Calgary, AB"),
    ("domestic_moving", "Toronto, ON", "Halifax, NS"),
    ("shared", "Brampton, ON", "Lisbon, Portugal"),
    ("roro", "Richmond Hill, ON", "Miami, FL"),
]
SOURCES = [("form", 60), ("phone", 22), ("chat", 10), ("api", 5), ("import", 3)]
HISTORY_DAYS = 730
LEADS_PER_WEEK = 8
RECENT_DAYS = 14  # leads younger than this are still new, contacted or quoted


def leads_history_load(*, owner: User, days: int = HISTORY_DAYS, today=None) -> int:
    """Past leads from `days` ago up to yesterday, with their status history (the last two weeks'
    still open). Deterministic. Returns how many were added."""
    rng = random.Random(20261125)
    today = today or timezone.localdate()
    now = timezone.now()
    leads, walks = [], []
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        expected = LEADS_PER_WEEK / 7 * season(day) * WEEKDAY[day.weekday()]
        for _ in range(int(expected) + (rng.random() < expected % 1)):
            kind, origin, destination = rng.choice(ROUTES)
            source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            roll = rng.random()
            if offset <= RECENT_DAYS:  # still being worked on
                walk = () if roll < 0.4 else (S.CONTACTED,) if roll < 0.7 else (S.CONTACTED, S.QUOTED)
            else:  # a third won, most of the rest lost, a few left at quoted
                walk = (
                    (S.CONTACTED, S.QUOTED, S.WON)
                    if roll < 0.33
                    else (S.CONTACTED, S.LOST)
                    if roll < 0.78
                    else ((S.CONTACTED, S.QUOTED, S.LOST) if roll < 0.93 else (S.CONTACTED, S.QUOTED))
                )
            created = now - timedelta(days=offset, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
            leads.append(
                Lead(name=f"{first} {last}", email=f"{first}.{last}{len(leads)}@example.com".lower(),
                     phone=f"+1416555{rng.randint(1000, 9999)}" if source != "chat" else "",
                     service_type=kind, origin=origin, destination=destination, source=source,
                     consent=True, status=walk[-1] if walk else S.NEW,
                     landing_page=rng.choice(["/vehicle-shipping/", "/europe-shipping/", "/moving/", "/"])
                     if source == "form" else "")
            )  # fmt: skip
            walks.append((created, walk))
    with transaction.atomic():
        made = Lead.objects.bulk_create(leads)
        # auto_now_add set "now" on every row: give each its day, then its history
        for lead, (created, _) in zip(made, walks, strict=True):
            lead.created = lead.updated = created
        Lead.objects.bulk_update(made, ["created", "updated"], batch_size=500)
        # Lead events are append-only (a trigger refuses UPDATE) and auto_now_add would stamp them
        # "now": so they are inserted with their own moments, each step a day after the one before.
        rows = []
        for lead, (created, walk) in zip(made, walks, strict=True):
            rows.append((lead.pk, LeadEvent.Kind.CREATED, "Website", "", "", created))
            for step, (before, status) in enumerate(zip((S.NEW, *walk), walk, strict=False), start=1):
                rows.append(
                    (
                        lead.pk,
                        LeadEvent.Kind.STATUS,
                        owner.email,
                        before,
                        status,
                        created + timedelta(days=step),
                    )
                )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO marketing_leadevent (lead_id, kind, actor_label, from_status, to_status, note, created)"
                " VALUES (%s, %s, %s, %s, %s, '', %s)",
                rows,
            )
    return len(made)


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
