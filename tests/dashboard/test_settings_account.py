"""Dashboard settings → Account: "Sign out on every device" is there, and it works from there."""

from tests.conftest import client_for
from tests.tenants.test_signin import signed_in_by_link


def test_settings_offer_sign_out_everywhere_and_it_ends_every_session(alpha):
    phone, laptop = signed_in_by_link(alpha), signed_in_by_link(alpha)
    html = laptop.get("/dashboard/settings/").content.decode()
    account = html[html.index('<section id="account">') :]
    assert f"Signed in as {alpha.owner.email}" in account
    assert '<form method="post" action="/sign-in/out/everywhere/">' in account
    assert laptop.post("/sign-in/out/everywhere/").status_code == 302
    assert phone.get("/dashboard/settings/").status_code == 302
    assert laptop.get("/dashboard/settings/").status_code == 302


def test_the_overview_still_links_it(alpha):
    html = client_for(alpha, user=alpha.owner).get("/dashboard/").content.decode()
    assert 'action="/sign-in/out/everywhere/"' in html
