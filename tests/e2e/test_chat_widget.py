"""A visitor chats on a phone: the widget answers from the business's FAQ, owns up to what it doesn't
know, takes a number that the owner then finds as a lead; and the panel works by keyboard."""

from pathlib import Path

import pytest
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from chat.models import Conversation, Message
from chat.services.memory import memory_add
from chat.services.widget import conversation_message_add
from marketing.models import Lead
from tests.conftest import on_own_connection
from tests.e2e.conftest import BUSINESS, sign_in_by_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

ARTIFACTS = Path(__file__).parent / "artifacts"
SMALL_PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
FAQ_Q = "Do you ship cars to Italy?"
FAQ_A = "Yes: we ship cars to Italy from Vaughan every week by RoRo, door to port in about three weeks."


def _add_faq(tenant) -> None:
    def work():
        with tenant_context(tenant):
            memory_add(title=FAQ_Q, text=FAQ_A, source="faq")

    on_own_connection(work)  # committed, so the server sees it (the tenant is dropped after the package)


@pytest.fixture(autouse=True)
def _no_conversation_left(site):
    """The site's tenant is shared by the browser tests: a conversation left waiting for a reply would
    show as "Inbox 1 waiting for a reply" in the dashboard tour's navigation."""
    yield

    def clean():
        from chat.services.inbox import inbox_count_refresh

        with tenant_context(site.tenant):
            Conversation.objects.all().delete()
            inbox_count_refresh()

    on_own_connection(clean)


def _open_chat(tab):
    tab.get_by_role("button", name="Chat with us").tap()
    dialog = tab.get_by_role("dialog", name=f"Chat with {BUSINESS}")
    expect(dialog).to_be_visible()
    return dialog


def _ask(dialog, text):
    dialog.get_by_label("Your question").fill(text)
    dialog.get_by_role("button", name="Send").tap()


def test_a_visitor_gets_the_faq_answer_then_leaves_a_number_for_the_owner(site, browser, page):
    _add_faq(site.tenant)
    visitor = browser.new_context(**SMALL_PHONE, base_url=site.url)
    visitor.set_default_timeout(5_000)
    tab = visitor.new_page()
    tab.goto("/")
    dialog = _open_chat(tab)
    box = dialog.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 812)  # the whole screen

    log = dialog.get_by_role("log")
    _ask(dialog, "can you ship my car to italy?")
    expect(log).to_contain_text(f"From our FAQ — {FAQ_Q}: {FAQ_A}")
    _ask(dialog, "Can you store my boat over the winter?")
    expect(log).to_contain_text("I don't know that — can I take your number")
    _ask(dialog, "416 555 0188")
    expect(log).to_contain_text("Thank you! I've passed your question on")
    expect(dialog.get_by_label("Your question")).to_have_value("")
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=ARTIFACTS / "chat-widget-375.png")

    # the conversation follows the visitor to another page load
    tab.reload()
    expect(_open_chat(tab).get_by_role("log")).to_contain_text("Can you store my boat over the winter?")
    visitor.close()

    with tenant_context(site.tenant):
        lead = Lead.objects.get(phone="+14165550188")
        assert lead.source == "chat" and "boat" in lead.message
        assert lead.conversations.get().needs_reply

    sign_in_by_link(page, site)
    page.goto("/leads/")
    expect(page.get_by_role("link", name="Chat visitor")).to_be_visible()

    # the owner finds the conversation waiting in the inbox, with its transcript and its lead, and replies
    page.goto("/chat/inbox/")
    # nothing in the page is wider than the phone (the inbox's count once made it 609 px wide)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.get_by_role("link", name="can you ship my car to italy?").click()
    transcript = page.get_by_role("region", name="Transcript")
    expect(transcript).to_contain_text("Can you store my boat over the winter?")
    expect(transcript).to_contain_text("416 555 0188")
    expect(page.get_by_role("link", name="Chat visitor")).to_be_visible()
    page.get_by_role("textbox", name="Your reply").fill("We can: I'll call you at four.")
    page.get_by_role("button", name="Send").tap()
    expect(transcript).to_contain_text("We can: I'll call you at four.")
    with tenant_context(site.tenant):
        assert not lead.conversations.get().needs_reply  # answered: no longer waiting


def test_the_chat_panel_works_by_keyboard(page):
    page.goto("/")
    button = page.get_by_role("button", name="Chat with us")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Chat with {BUSINESS}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Your question")).to_be_focused()

    inside = "document.getElementById('iw-chat-panel').contains(document.activeElement)"
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert page.evaluate(inside), f"focus left the chat panel after {key}"

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()


def test_the_owners_reply_shows_up_while_the_panel_is_open(site, page):
    page.clock.install()  # the widget's polling timer runs on this clock, moved on below
    page.goto("/")
    dialog = _open_chat(page)
    log = dialog.get_by_role("log")
    _ask(dialog, "Hello, is anyone there?")
    expect(log).to_contain_text("I don't know that")

    def owner_replies():
        with tenant_context(site.tenant):
            conversation = Message.objects.get(text="Hello, is anyone there?").conversation
            conversation_message_add(
                conversation=conversation, role="owner", origin="owner", text="Hi, Ada here: how can I help?"
            )

    on_own_connection(owner_replies)
    expect(log).not_to_contain_text("Ada here")
    page.clock.run_for(11_000)
    expect(log).to_contain_text("Hi, Ada here: how can I help?")
