"""A customer signs a contract on a phone-sized Chromium, from the link texted to them.

Screenshots of each stage are kept under tests/e2e/artifacts/ (ignored by git) for a person to look at.
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from contracts.models import Contract, Signature
from contracts.services.contracts import contract_create, contract_send
from contracts.services.events import Actor
from contracts.services.verify import contract_pdf_verify
from tests.conftest import on_own_connection
from tests.contracts.conftest import texted_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ARTIFACTS = Path(__file__).parent / "artifacts"
CUSTOMER_PHONE = "+14165550888"


def create_and_send(site) -> Contract:
    def work():
        with tenant_context(site.tenant):
            owner = Actor(type="owner", user=site.owner)
            contract = contract_create(
                data=dict(
                    customer_name="Ada Client",
                    customer_phone=CUSTOMER_PHONE,
                    contact_preference="sms",
                    vehicle_year=2019,
                    vehicle_make="Toyota",
                    vehicle_model="RAV4",
                    origin="Toronto, ON",
                    destination="Antwerp, Belgium",
                    service_type=Contract.ServiceType.RORO,
                    rate=Decimal("2450.00"),
                ),
                actor=owner,
            )
            return contract_send(contract=contract, actor=owner)

    return on_own_connection(work)


def test_a_customer_signs_on_a_phone_and_sees_the_tracking_page(page, site):
    ARTIFACTS.mkdir(exist_ok=True)
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    contract = create_and_send(site)

    page.goto(f"/c/{texted_link(CUSTOMER_PHONE)}/")
    expect(page.get_by_role("heading", name=f"Contract {contract.reference}")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "contract-1-opened.png")
    page.get_by_role("heading", name="5. Delays").scroll_into_view_if_needed()  # reading the terms
    expect(page.get_by_text("Sailing and arrival dates are estimates")).to_be_in_viewport()

    pad = page.get_by_label("Signature pad: draw your signature with your finger")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(
            box["x"] + 20 + step * 22, box["y"] + box["height"] * (0.7 - 0.4 * (step % 2)), steps=3
        )
    page.mouse.up()
    page.get_by_label("Your full name").fill("Ada Client")
    page.get_by_label("I agree to this contract and its terms").check()
    page.screenshot(path=ARTIFACTS / "contract-2-ready-to-sign.png")
    page.get_by_role("button", name="Sign the contract").tap()

    expect(page.get_by_role("heading", name=f"Contract {contract.reference} is signed")).to_be_visible()
    current = page.locator("[aria-current=step]")
    expect(current).to_contain_text("Contract Signed")
    expect(page.locator(".timeline li")).to_have_count(9)
    page.screenshot(path=ARTIFACTS / "contract-3-tracking.png", full_page=True)
    # The worker (inline here) has sealed it: the customer downloads the sealed PDF, and it verifies.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your signed contract (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{contract.reference}.pdf"
    # Off Playwright's thread: its event loop would stop pyHanko's own asyncio.run().
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(contract_pdf_verify, data=pdf).result().ok

    def signature():
        with tenant_context(site.tenant):
            return Signature.objects.get(contract_id=contract.pk)

    signed = on_own_connection(signature)
    assert signed.signer_name == "Ada Client"
    assert bytes(signed.image_png).startswith(b"\x89PNG")  # the drawing, not the typed name alone
    assert violations == []
