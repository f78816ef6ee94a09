"""/leads/: list with filters and inline status change, detail with history, CSV export and import."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from marketing.models import Lead
from tenants.models import Membership
from tests.conftest import client_for

HEADER = "name,phone,email,service_type,preferred_date,consent\n"


def test_members_see_the_list_filtered(alpha, make_lead):
    make_lead(alpha)
    make_lead(
        alpha, name="Phone Caller", phone="+14165550155", email="", source="phone", destination="Hamburg"
    )
    client = client_for(alpha, user=alpha.member)
    page = client.get("/leads/").content.decode()
    assert "Marco Rossi" in page and "Phone Caller" in page and 'href="/leads/"' in page
    by_source = client.get("/leads/?source=phone").content.decode()
    assert "Phone Caller" in by_source and "Marco Rossi" not in by_source
    by_search = client.get("/leads/?q=palermo").content.decode()
    assert "Marco Rossi" in by_search and "Phone Caller" not in by_search
    assert "Marco Rossi" not in client.get("/leads/?status=won").content.decode()


def test_inline_status_change_answers_the_row(alpha, make_lead):
    lead, _ = make_lead(alpha)
    response = client_for(alpha, user=alpha.member).post(
        f"/leads/{lead.pk}/status/", {"status": "contacted"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="lead-{lead.pk}"') and 'value="contacted" selected' in html
    with tenant_context(alpha.tenant):
        event = Lead.objects.get(pk=lead.pk).events.get(kind="status")
    assert event.actor_label == alpha.member.email


def test_detail_shows_history_and_the_form_moves_the_lead(alpha, make_lead):
    lead, _ = make_lead(alpha)
    client = client_for(alpha, user=alpha.owner)
    response = client.post(
        f"/leads/{lead.pk}/status/", {"status": "lost", "note": "Went with a cheaper quote"}
    )
    assert response.status_code == 302
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Went with a cheaper quote" in page and "Palermo, Italy" in page
    assert client.post(f"/leads/{lead.pk}/status/", {"status": "won"}).status_code == 409


def test_export_has_every_filtered_lead_and_defuses_formulas(alpha, make_lead):
    for n in range(60):  # more than a page of the list
        make_lead(alpha, name=f"Lead {n}", phone="", email=f"l{n}@example.com")
    make_lead(alpha, name="=HYPERLINK(1)", phone="+14165550155", email="", source="phone")
    response = client_for(alpha, user=alpha.member).get("/leads/export.csv?source=form")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 60 and rows[0]["source"] == "form"
    everything = client_for(alpha, user=alpha.member).get("/leads/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(everything.streaming_content).decode())))
    caller = next(row for row in rows if row["source"] == "phone")
    assert caller["name"] == "'=HYPERLINK(1)" and caller["phone"] == "+14165550155"


def _upload(world, text):
    upload = SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv")
    return client_for(world, user=world.member).post("/leads/import/", {"file": upload})


def test_import_with_bad_rows_reports_each_and_imports_none(alpha):
    text = HEADER + (
        "Anna Verdi,416 555 0123,anna@example.com,roro,2027-04-01,yes\n"
        "No Contact,,,,,\n"
        "Bad Phone,12,,,,no\n"
        "Bad Date,,date@example.com,,April,yes\n"
        "Bad Consent,,c@example.com,,,maybe\n"
    )
    response = _upload(alpha, text)
    assert response.status_code == 400
    page = response.content.decode()
    for line in ("Line 3:", "Line 4:", "Line 5:", "Line 6:"):
        assert line in page
    assert "Line 2:" not in page
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()


def test_a_clean_import_stores_every_row_and_dedupes(alpha, make_lead):
    make_lead(alpha)  # +14165550188 / marco@example.com
    text = HEADER + (
        "Anna Verdi,416 555 0123,anna@example.com,roro,2027-04-01,yes\n"
        "Marco again,,MARCO@example.com,,,\n"
        "Anna twin,,anna@example.com,,,\n"
    )
    response = _upload(alpha, text)
    assert response.status_code == 302
    with tenant_context(alpha.tenant):
        assert Lead.objects.count() == 2
        anna = Lead.objects.get(name="Anna Verdi")
        assert (anna.source, anna.consent, anna.phone) == ("import", True, "+14165550123")
        assert anna.events.filter(kind="duplicate").count() == 1


def test_an_unknown_column_is_refused(alpha):
    response = _upload(alpha, "name,phone,salary\nA,+14165550123,1\n")
    assert response.status_code == 400 and "Line 1:" in response.content.decode()


def test_a_member_of_both_tenants_never_sees_the_others_leads(alpha, beta, make_lead):
    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.MEMBER)
    lead, _ = make_lead(beta, name="Beta Secret")
    client = client_for(alpha, user=beta.owner)
    assert "Beta Secret" not in client.get("/leads/").content.decode()
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    assert client.post(f"/leads/{lead.pk}/status/", {"status": "lost"}).status_code == 404
    assert b"Beta Secret" not in b"".join(client.get("/leads/export.csv").streaming_content)


def test_leads_are_not_behind_a_feature_toggle(alpha, make_lead):
    # No TenantConfig.feature_leads: a business that switches every area off still gets its leads.
    from tenants.features import TOGGLES, feature_for_path

    assert feature_for_path("/leads/") is None and feature_for_path("/api/v1/leads/") is None
    config = alpha.tenant.config
    for toggle in TOGGLES:
        setattr(config, toggle, False)
    config.save()
    assert client_for(alpha, user=alpha.member).get("/leads/").status_code == 200


def test_import_row_limit_at_and_past_the_limit(alpha, monkeypatch):
    from marketing.services import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_IMPORT_ROWS", 2)
    rows = [f"Lead {n},,l{n}@example.com,,,\n" for n in range(3)]
    too_many = _upload(alpha, HEADER + "".join(rows))
    assert too_many.status_code == 400 and "Line 4: A file holds at most 2 leads" in too_many.content.decode()
    assert _upload(alpha, HEADER + "".join(rows[:2])).status_code == 302


def test_import_refuses_extra_cells_large_files_and_other_encodings(alpha, monkeypatch):
    from marketing.forms import LeadImportForm

    extra = _upload(alpha, HEADER + "A,,a@example.com,,,,surplus\n")
    assert extra.status_code == 400 and "Line 2: This line has more cells" in extra.content.decode()
    latin = SimpleUploadedFile("leads.csv", (HEADER + "Jos\xe9,,j@example.com,,,\n").encode("latin-1"))
    assert (
        "UTF-8"
        in client_for(alpha, user=alpha.member).post("/leads/import/", {"file": latin}).content.decode()
    )
    monkeypatch.setattr(LeadImportForm, "MAX_BYTES", len(HEADER) + 10)
    assert "2 MB or smaller" in _upload(alpha, HEADER + "A,,a@example.com,,,\n").content.decode()
    with tenant_context(alpha.tenant):
        assert not Lead.objects.exists()
