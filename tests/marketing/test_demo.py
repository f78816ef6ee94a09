"""The demo tenant's leads: a handful at every pipeline stage, loaded once."""

from collections import Counter

from django.core.management import call_command
from django_tenants.utils import tenant_context

from marketing.models import Lead
from tenants.models import Tenant


def test_demo_leads_cover_every_stage_and_load_once(worlds, capsys, monkeypatch, tmp_path):
    from inkwell import embedded

    monkeypatch.setattr(embedded, "STATE_DIR", tmp_path)
    call_command("demo_load")
    call_command("demo_load")
    assert capsys.readouterr().out.count("5 demo leads added") == 1
    with tenant_context(Tenant.objects.get(subdomain="scilla")):
        assert Counter(Lead.objects.values_list("status", flat=True)) == {
            "new": 1, "contacted": 1, "quoted": 1, "won": 1, "lost": 1,
        }  # fmt: skip
        assert Lead.objects.filter(destination="Palermo, Italy", source="form").exists()
