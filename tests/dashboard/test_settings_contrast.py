"""Dashboard settings → brand colours: WCAG AA contrast of every pair the pages draw with them, the
owner's warnings (after saving, on a refused form, and live while picking), and a theme that keeps
text on the brand colours readable whatever is picked."""

import pytest

from tenants.contrast import (
    AA_TEXT,
    BLACK,
    INK,
    WHITE,
    ContrastCheck,
    brand_contrast,
    contrast_ratio,
    passing_shade,
    relative_luminance,
    text_colour_on,
)
from tenants.models import TenantConfig
from tests.conftest import client_for, settings_form

# The 8-bit colours closest to 4.5:1 against white, on either side (found by trying all 16.7 million).
AT_45 = "#7c7290"  # 4.5000006:1
BELOW_45 = "#9a6c5a"  # 4.4999998:1
SETTINGS = "/dashboard/settings/"
CONTRAST = "/dashboard/settings/contrast/"


def checks(**colours):
    return {
        check.key: check for check in brand_contrast(**{"primary": "#1d4ed8", "accent": "#f59e0b", **colours})
    }


# --- the formula ---------------------------------------------------------------------------------


def test_luminance_and_ratio_match_wcag():
    assert relative_luminance(WHITE) == pytest.approx(1.0) and relative_luminance(BLACK) == 0.0
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio("#1d4ed8", "#1d4ed8") == pytest.approx(1.0)
    assert contrast_ratio(WHITE, "#767676") == contrast_ratio("#767676", WHITE)  # order doesn't matter
    # well-known values: #767676 is the lightest grey passing AA on white, #777777 the darkest failing
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", WHITE) == pytest.approx(4.48, abs=0.005)
    # the linear part of the sRGB curve (channels at or below 0.04045): #0a0a0a
    assert relative_luminance("#0a0a0a") == pytest.approx(10 / 255 / 12.92)


def test_aa_at_the_boundary():
    assert contrast_ratio(AT_45, WHITE) == pytest.approx(4.5, abs=1e-6)
    at, below = checks(primary=AT_45)["primary-text"], checks(primary=BELOW_45)["primary-text"]
    assert at.passes and at.ratio_text == "4.50:1"
    assert not below.passes and below.ratio_text == "4.49:1"  # never rounded up to a pass
    assert text_colour_on(AT_45, preferred=WHITE) == WHITE
    assert text_colour_on(BELOW_45, preferred=WHITE) == BLACK


def test_the_readable_text_colour_always_passes_aa():
    for grey in range(0, 256, 3):
        background = f"#{grey:02x}{grey:02x}{grey:02x}"
        for preferred in (WHITE, INK):
            assert contrast_ratio(text_colour_on(background, preferred=preferred), background) >= AA_TEXT


def test_a_suggested_shade_is_the_nearest_that_passes():
    shade = passing_shade("#777777", against=WHITE, minimum=AA_TEXT)
    assert shade == "#767676"  # one step darker is enough
    shade = passing_shade("#ffcc00", against=WHITE, minimum=AA_TEXT)
    assert contrast_ratio(shade, WHITE) >= AA_TEXT and relative_luminance(shade) < relative_luminance(
        "#ffcc00"
    )
    lighter = passing_shade("#1d4ed8", against=INK, minimum=AA_TEXT)  # a dark accent under dark text
    assert contrast_ratio(lighter, INK) >= AA_TEXT and relative_luminance(lighter) > relative_luminance(
        "#1d4ed8"
    )
    assert passing_shade("#767676", against=WHITE, minimum=AA_TEXT) == "#767676"  # passing already


def test_each_pair_the_pages_use_with_its_own_minimum():
    pairs = checks(primary="#949494", accent="#2a2a2a")  # 3.03:1 on white; a near-black accent
    assert (
        pairs["primary-text"].minimum,
        pairs["primary-graphic"].minimum,
        pairs["accent-text"].minimum,
    ) == (
        4.5,
        3.0,
        4.5,
    )
    assert not pairs["primary-text"].passes and pairs["primary-graphic"].passes  # text needs more
    assert not pairs["accent-text"].passes
    assert "Pick a lighter accent colour" in pairs["accent-text"].advice
    assert "buttons show their text in white" in pairs["accent-text"].fallback


def test_advice_names_a_shade_and_its_ratio():
    check = checks(primary="#ffcc00")["primary-text"]
    ratio = contrast_ratio(check.suggestion, WHITE)
    assert 4.5 <= ratio < 4.6
    assert (
        check.advice
        == f"Pick a darker primary colour, such as {check.suggestion} ({int(ratio * 100) / 100:.2f}:1)."
    )


# --- what the owner sees -------------------------------------------------------------------------


def section(html: str) -> str:
    start = html.index('id="contrast"')
    return html[start : html.index("</section>", start)]


def test_saving_a_failing_colour_warns_with_the_ratio_and_a_shade_that_passes(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.post(SETTINGS, settings_form(alpha, primary_color="#777777"))
    assert response.status_code == 200 and "Settings saved." in response.content.decode()
    warning = section(response.content.decode())
    assert "Your #777777 gives 4.47:1; WCAG AA needs 4.5:1." in warning
    assert "Pick a darker primary colour, such as #767676 (4.54:1)." in warning
    assert "pages show that text in black" in warning
    # and it stays on the page afterwards
    assert "Your #777777 gives 4.47:1" in client.get(SETTINGS).content.decode()


def test_passing_colours_show_no_warning(alpha):
    html = client_for(alpha, user=alpha.owner).get(SETTINGS).content.decode()
    assert "WCAG AA needs" not in section(html) and section(html).count("passes AA") == 3


def test_a_refused_form_checks_the_colours_it_was_sent(alpha):
    client = client_for(alpha, user=alpha.owner)
    data = settings_form(alpha, primary_color=BELOW_45, business_phone="555")
    response = client.post(SETTINGS, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert f"Your {BELOW_45} gives 4.49:1" in section(response.content.decode())
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).primary_color != BELOW_45
    # a colour that is itself refused: the stored one is checked, and the field says what is wrong
    response = client.post(SETTINGS, settings_form(alpha, primary_color="blue"), HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "six hex digits" in response.content.decode()
    assert "#1d4ed8" in section(response.content.decode())


def test_live_check_while_picking(alpha):
    client = client_for(alpha, user=alpha.owner)
    response = client.get(CONTRAST, {"primary_color": AT_45, "accent_color": "#1d4ed8"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="contrast"')
    assert "WCAG AA needs" in html and "Your #1d4ed8 gives 2.81:1" in html  # the accent, under dark text
    assert f"Your {AT_45}" not in html
    assert TenantConfig.objects.get(pk=alpha.tenant.pk).accent_color != "#1d4ed8"  # nothing saved
    response = client.get(CONTRAST, {"primary_color": "#12345", "accent_color": "#1d4ed8"})
    assert response.status_code == 400 and "six hex digits" in response.content.decode()


def test_live_check_is_for_owners_of_this_business(alpha, beta):
    query = {"primary_color": "#112233", "accent_color": "#445566"}
    assert client_for(alpha, user=alpha.member).get(CONTRAST, query).status_code == 403
    assert client_for(alpha, user=beta.owner).get(CONTRAST, query).status_code == 404
    assert client_for(alpha).get(CONTRAST, query).status_code == 302


# --- the theme stays readable --------------------------------------------------------------------


@pytest.mark.parametrize(
    "primary, accent, primary_text, accent_text",
    [
        (AT_45, "#f59e0b", WHITE, INK),  # the design's own colours where they pass
        (BELOW_45, "#f59e0b", BLACK, INK),  # white fails on the primary: black instead
        ("#1d4ed8", "#1d4ed8", WHITE, WHITE),  # dark text fails on a dark accent: white
    ],
)
def test_theme_puts_readable_text_on_the_brand_colours(alpha, primary, accent, primary_text, accent_text):
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(primary_color=primary, accent_color=accent)
    css = client_for(alpha).get("/theme.css").content.decode()
    assert f"--brand-primary: {primary};" in css and f"--brand-primary-text: {primary_text};" in css
    assert f"--brand-accent-text: {accent_text};" in css


def test_emails_put_readable_text_on_the_primary_colour(alpha, mailoutbox):
    from tenants.messaging import tenant_email_send

    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(primary_color="#ffcc00")
    alpha.tenant.config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    tenant_email_send(
        tenant=alpha.tenant, to="someone@example.com", template="emails/signin_link",
        context={"user": alpha.owner, "url": "https://alpha.localhost/sign-in/link/x/"},
    )  # fmt: skip
    html = mailoutbox[-1].alternatives[0][0]
    assert "background:#ffcc00; color:#000000;" in html and "color:#ffffff" not in html


def test_check_pass_is_at_the_minimum_inclusive():
    common = dict(key="k", field="primary_color", colour=WHITE, foreground=WHITE, background=BLACK)
    common |= dict(minimum=4.5, where="", suggestion=None, fallback="")
    assert ContrastCheck(ratio=4.5, **common).passes
    assert not ContrastCheck(ratio=4.4999, **common).passes
