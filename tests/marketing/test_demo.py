"""The demo tenant's leads (two years of them, the recent ones at every pipeline stage) and website, loaded once.
One test, because loading the demo tenant is the slow part."""

import re
from collections import Counter

from django.core.management import call_command
from django_tenants.utils import tenant_context

from marketing.models import Lead
from tenants.models import Tenant


def test_demo_leads_cover_every_stage_and_the_site_has_four_pages_all_loaded_once(
    worlds, capsys, monkeypatch, tmp_path
):
    from django.test import Client

    from inkwell import embedded

    monkeypatch.setattr(embedded, "STATE_DIR", tmp_path)
    call_command("demo_load")
    call_command("demo_load")
    out = capsys.readouterr().out
    assert len(re.findall(r"\d+ demo leads added", out)) == 1 and out.count("4 website pages published") == 1
    with tenant_context(Tenant.objects.get(subdomain="scilla")):
        # two years of past leads, and the five recent ones, one at each stage
        assert set(Counter(Lead.objects.values_list("status", flat=True))) == {
            "new",
            "contacted",
            "quoted",
            "won",
            "lost",
        }
        assert Lead.objects.count() > 700
        assert Lead.objects.filter(
            destination="Palermo, Italy", source="form", name="Giuseppe Lombardi"
        ).exists()

    visitor = Client(HTTP_HOST="scilla.localhost")
    for path, words in [
        ("/", "Shipping cars and moving families since 1982"),
        ("/vehicle-shipping/", "Vehicle shipping across Canada and the US"),
        ("/europe-shipping/", "Shipping your car or belongings to Europe"),
        ("/moving/", "moved Ontario families for 44 years."),
    ]:
        html = visitor.get(path).content.decode()
        assert words in html and 'action="/quote/"' in html, path
    sitemap = visitor.get("/sitemap.xml").content.decode()
    assert sitemap.count("<loc>") == 4
    assert '"@type": "FAQPage"' in visitor.get("/moving/").content.decode()
