"""A visitor asks for a quote from the business's home page on a phone; the owner finds the lead."""

import pytest
from django.test.utils import override_settings
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


# The browser can't be made to wait by moving the clock, and tests don't sleep: the time-to-submit
# check is off here (tests/marketing/test_quote_form.py covers it).
@override_settings(LEAD_FORM_MIN_SECONDS=0)
def test_a_visitor_requests_a_quote_and_the_owner_sees_the_lead(site, browser, page):
    visitor = browser.new_context(**PHONE, base_url=site.url)
    visitor.set_default_timeout(5_000)
    form_page = visitor.new_page()
    form_page.goto("/?utm_source=flyer&utm_campaign=spring")
    form_page.get_by_label("Name").fill("Giulia Bianchi")
    form_page.get_by_label("Phone").fill("416 555 0177")
    form_page.get_by_label("Email").fill("giulia@example.com")
    form_page.get_by_label("Service").select_option("roro")
    form_page.get_by_label("From").fill("Vaughan, ON")
    form_page.get_by_label("To:", exact=True).fill("Palermo, Italy")
    form_page.get_by_label("Vehicle").fill("2020 Fiat 500")
    form_page.get_by_label("You may contact me about this request").check()
    form_page.get_by_role("button", name="Request my quote").tap()
    expect(form_page.get_by_role("status")).to_contain_text("we'll call you back")
    visitor.close()

    sign_in_by_link(page, site)
    page.goto("/leads/")
    page.get_by_role("link", name="Giulia Bianchi").tap()
    expect(page.get_by_text("+14165550177")).to_be_visible()
    expect(page.get_by_text("flyer /  / spring")).to_be_visible()
