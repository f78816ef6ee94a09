"""The issue's "done when" story in one browser run: the owner creates and sends a contract from the
dashboard, the customer signs it on a phone from the texted link, the owner downloads the sealed PDF
and verifies it (and a one-byte-changed copy is refused), then moves the shipment a step forward and
the customer's page shows it.

Screenshots of each stage are kept under tests/e2e/artifacts/ (ignored by git).
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.contracts.conftest import texted_link
from tests.e2e.conftest import PHONE, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ARTIFACTS = Path(__file__).parent / "artifacts"
CUSTOMER_PHONE = "+14165550999"


def draw_signature(page) -> None:
    pad = page.get_by_label("Signature pad: draw your signature with your finger")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(
            box["x"] + 20 + step * 30, box["y"] + box["height"] * (0.6 - 0.3 * (step % 2)), steps=3
        )
    page.mouse.up()


def verify_upload(owner, name: str, data: bytes):
    owner.goto("/contracts/verify/")
    owner.get_by_label("Contract PDF").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": data}
    )
    owner.get_by_role("button", name="Verify").click()
    return owner.get_by_role("status")


def test_owner_creates_customer_signs_owner_verifies_and_tracks(site, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    # A touch laptop: the shared sign-in helper taps.
    owner_context = browser.new_context(
        viewport={"width": 1280, "height": 900}, has_touch=True, base_url=site.url
    )
    customer_context = browser.new_context(**PHONE, base_url=site.url)
    for context in (owner_context, customer_context):
        context.set_default_timeout(5_000)
    owner, customer = owner_context.new_page(), customer_context.new_page()
    try:
        sign_in_by_link(owner, site)
        owner.goto("/contracts/new/")
        owner.get_by_label("Customer name").fill("Grace Customer")
        owner.get_by_label("Customer phone").fill(CUSTOMER_PHONE)
        owner.get_by_label("Contact preference").select_option("sms")
        owner.get_by_label("Vehicle year").fill("2021")
        owner.get_by_label("Vehicle make").fill("Honda")
        owner.get_by_label("Vehicle model").fill("Civic")
        owner.get_by_label("Origin").fill("Toronto, ON")
        owner.get_by_label("Destination").fill("Antwerp, Belgium")
        owner.get_by_label("Service type").select_option("roro")
        owner.get_by_label("Rate:", exact=True).fill("2450.00")
        owner.get_by_label("Send it to the customer now").check()
        owner.get_by_role("button", name="Create contract").click()
        heading = owner.get_by_role("heading", level=1)
        expect(heading).to_contain_text("Sent")
        reference = heading.inner_text().split()[0]
        detail = owner.url
        owner.screenshot(path=ARTIFACTS / "story-1-sent.png")

        customer.goto(f"/c/{texted_link(CUSTOMER_PHONE)}/")
        expect(customer.get_by_role("heading", name=f"Contract {reference}")).to_be_visible()
        draw_signature(customer)
        customer.get_by_label("Your full name").fill("Grace Customer")
        customer.get_by_label("I agree to this contract and its terms").check()
        customer.get_by_role("button", name="Sign the contract").tap()
        expect(customer.get_by_role("heading", name=f"Contract {reference} is signed")).to_be_visible()
        customer.screenshot(path=ARTIFACTS / "story-2-signed.png", full_page=True)

        # Sealing ran in the worker (inline here) when the customer signed.
        owner.goto(detail)
        expect(owner.get_by_role("heading", level=1)).to_contain_text("Sealed")
        with owner.expect_download() as download:
            owner.get_by_role("link", name="Download sealed PDF").click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")

        verdict = verify_upload(owner, f"{reference}.pdf", pdf)
        expect(verdict).to_contain_text("Intact.")
        expect(verdict).to_contain_text(f"It is contract {reference}")
        owner.screenshot(path=ARTIFACTS / "story-3-verified.png")
        tampered = bytearray(pdf)
        tampered[len(pdf) // 3] ^= 0x01
        verdict = verify_upload(owner, f"{reference}-changed.pdf", bytes(tampered))
        expect(verdict).to_contain_text("Not intact.")
        owner.screenshot(path=ARTIFACTS / "story-4-refused.png")

        owner.goto(detail)
        tracking = owner.locator("#milestone-form")
        tracking.get_by_label("Note for the customer (optional)").fill("Papers received, thanks")
        tracking.get_by_role("button", name="Mark “Documents Submitted”").click()
        expect(tracking.get_by_role("status")).to_contain_text("Saved. The customer is being told.")
        expect(owner).to_have_url(detail)  # swapped in by HTMX, no page load
        owner.screenshot(path=ARTIFACTS / "story-5-milestone.png", full_page=True)

        customer.reload()
        current = customer.locator("[aria-current=step]")
        expect(current).to_contain_text("Documents Submitted")
        expect(current).to_contain_text("Papers received, thanks")
        customer.screenshot(path=ARTIFACTS / "story-6-customer-tracking.png", full_page=True)
    finally:
        owner_context.close()
        customer_context.close()
