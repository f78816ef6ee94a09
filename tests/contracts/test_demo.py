"""The demo tenant's contracts: a dozen at every stage, loaded once however often demo_load runs."""

from collections import Counter

from django.core.management import call_command
from django_tenants.utils import tenant_context

from contracts.models import Contract, ContractEvent, Signature
from tenants.models import Tenant


def test_demo_contracts_cover_every_stage_and_load_once(worlds, capsys, monkeypatch, tmp_path):
    from inkwell import embedded

    monkeypatch.setattr(embedded, "STATE_DIR", tmp_path)
    call_command("demo_load")
    call_command("demo_load")
    assert capsys.readouterr().out.count("12 demo contracts added") == 1
    with tenant_context(Tenant.objects.get(subdomain="scilla")):
        contracts = list(Contract.objects.all())
        assert len(contracts) == 12 and all(c.reference.startswith("SC-") for c in contracts)
        assert Counter(c.status for c in contracts) == {
            "signed": 5,
            "viewed": 2,
            "sent": 2,
            "draft": 1,
            "expired": 1,
            "voided": 1,
        }
        routes = {(c.origin, c.destination, c.service_type) for c in contracts}
        assert ("Toronto, ON", "Antwerp, Belgium", "roro") in routes
        assert ("Vaughan, ON", "Vancouver, BC", "domestic_moving") in routes
        # Signed ones went through signing and tracking: a signature each, milestones up to the current one.
        for contract in (c for c in contracts if c.status == "signed"):
            assert Signature.objects.filter(contract=contract).exists()
            latest = contract.milestones.latest("pk")
            assert latest.step == contract.milestone
            # Signing itself reaches step 0 with no date; a delivery expects none either.
            assert (latest.eta is None) == (contract.milestone in {0, 8})
        assert {c.milestone for c in contracts if c.status == "signed"} == {0, 2, 4, 5, 8}
        assert ContractEvent.objects.filter(kind="viewed").count() == 7
