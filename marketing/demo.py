"""Demo leads for Scilla Transport: a handful of realistic quote requests at each pipeline stage.

Made through the real services, so each new one queues the owner's notification (to the outbox)
like a real lead would; loaded once however often demo_load runs.
"""

from __future__ import annotations

from datetime import timedelta

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
