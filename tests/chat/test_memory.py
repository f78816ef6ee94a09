"""The business memory: entries found by full-text search (stemmed, text above tags), the same text
kept once (also when two writes race), the API and the dashboard page, and other tenants kept out."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django_tenants.utils import tenant_context

from chat.models import MemoryEntry
from chat.selectors import memory_search
from chat.services.memory import _reindex, memory_add, memory_delete, memory_update, text_digest
from tenants.models import Membership, User
from tenants.services.apikeys import apikey_create
from tests.conftest import client_for, on_own_connection

pytestmark = pytest.mark.django_db
BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dash-body"}


def add(world, text, **kwargs):
    with tenant_context(world.tenant):
        return memory_add(text=text, source=kwargs.pop("source", "note"), **kwargs)[0]


def search(world, query, **kwargs):
    with tenant_context(world.tenant):
        return [entry.text for entry, _rank in memory_search(query=query, **kwargs)]


def key_client(world, label="CRM"):
    key = apikey_create(tenant=world.tenant, label=label, actor=None).key
    return client_for(world, HTTP_AUTHORIZATION=f"Api-Key {key}")


@pytest.fixture
def both(alpha, beta):
    """An owner of beta who is also a member of alpha, signed in on beta's host."""
    person = User.objects.create_user(email="both-memory@example.com")
    Membership.objects.create(user=person, tenant=alpha.tenant, role=Membership.Role.OWNER)
    Membership.objects.create(user=person, tenant=beta.tenant, role=Membership.Role.OWNER)
    return client_for(beta, user=person)


# --- search ----------------------------------------------------------------------------------------


def test_search_finds_stemmed_words_at_once(alpha):
    add(alpha, "We ship cars to Florida every winter.")
    add(alpha, "Our office is open on Saturdays.")
    assert search(alpha, "shipping") == ["We ship cars to Florida every winter."]
    assert search(alpha, "offices opening") == ["Our office is open on Saturdays."]
    assert search(alpha, "boats") == []


def test_a_text_match_ranks_above_a_tag_match(alpha):
    # the tag match is the newer entry, so only the weights put the text match first
    add(alpha, "Every car is covered by insurance while on the truck.")
    add(alpha, "Enclosed trailers cost more.", tags=["insurance"])
    assert search(alpha, "insurance") == [
        "Every car is covered by insurance while on the truck.",
        "Enclosed trailers cost more.",
    ]


def test_websearch_syntax_excludes_words(alpha):
    add(alpha, "We ship cars.")
    add(alpha, "We ship motorcycles and cars.")
    assert search(alpha, "cars -motorcycles") == ["We ship cars."]


def test_search_limit(alpha):
    for n in range(3):
        add(alpha, f"Quote number {n} for shipping.")
    assert len(search(alpha, "shipping", limit=2)) == 2


# --- duplicates ------------------------------------------------------------------------------------


def test_the_same_text_merges_whatever_its_case_spacing_and_punctuation(alpha):
    with tenant_context(alpha.tenant):
        first, created = memory_add(text="We ship cars, to Florida.", source="note", tags=["florida"])
        assert created
        before = first.updated
        again, created = memory_add(
            text="  we SHIP cars to   florida!! ", source="chat", tags=["Winter", "florida"]
        )
        assert not created and again.pk == first.pk
        again.refresh_from_db()
        assert again.tags == ["florida", "winter"]
        assert again.text == "We ship cars, to Florida."  # the first wording stays
        assert again.updated > before
        assert MemoryEntry.objects.count() == 1
        # merged tags are searchable at once
    assert search(alpha, "winter") == ["We ship cars, to Florida."]


def test_different_words_are_different_entries(alpha):
    add(alpha, "We ship cars.")
    add(alpha, "We ship car.")
    with tenant_context(alpha.tenant):
        assert MemoryEntry.objects.count() == 2


def test_an_edit_onto_another_entrys_text_is_refused(alpha):
    add(alpha, "We ship cars.")
    other = add(alpha, "We ship boats.")
    with tenant_context(alpha.tenant), pytest.raises(ValidationError) as caught:
        memory_update(entry=other, data={"text": "we ship CARS"})
    assert caught.value.error_dict["text"][0].code == "duplicate"


def test_two_concurrent_adds_of_the_same_text_leave_one_entry(alpha):
    """Two real connections add the same fact at the same moment: the unique digest lets one insert,
    the other merges its tags into it."""
    barrier = threading.Barrier(2)
    outcomes = []

    def adder(tag):
        def run():
            try:
                with tenant_context(alpha.tenant):
                    barrier.wait()
                    entry, created = memory_add(text="Racing: we ship cars.", source="note", tags=[tag])
                    outcomes.append((entry.pk, created))
            except Exception as exc:  # noqa: BLE001 -- asserted below
                outcomes.append(repr(exc))
            finally:
                close_old_connections()

        return threading.Thread(target=run)

    def committed():
        with tenant_context(alpha.tenant):
            return list(MemoryEntry.objects.filter(text__startswith="Racing").values_list("tags", flat=True))

    def teardown():
        with tenant_context(alpha.tenant):
            MemoryEntry.objects.filter(text__startswith="Racing").delete()

    try:
        threads = [adder("one"), adder("two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(created for _pk, created in outcomes) == [False, True], outcomes
        assert len({pk for pk, _created in outcomes}) == 1
        [tags] = on_own_connection(committed)
        assert sorted(tags) == ["one", "two"]
    finally:
        on_own_connection(teardown)


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"text": "   "}, "text", "required"),
        ({"text": "?!…"}, "text", "required"),
        ({"text": "x" * 4001}, "text", "max_length"),
        ({"text": "ok", "source": "email"}, "source", "invalid_choice"),
        ({"text": "ok", "tags": [f"t{n}" for n in range(21)]}, "tags", "max_length"),
        ({"text": "ok", "tags": ["x" * 41]}, "tags", "max_length"),
        ({"text": "ok", "tags": [" "]}, "tags", "invalid"),
    ],
)
def test_invalid_entries_are_refused_by_field(alpha, fields, field, code):
    with tenant_context(alpha.tenant), pytest.raises(ValidationError) as caught:
        memory_add(**{"source": "note", **fields})
    assert caught.value.error_dict[field][0].code == code


def test_limits_at_the_limit(alpha):
    entry = add(alpha, "x" * 4000, tags=[f"t{n}" for n in range(20)])
    assert len(entry.text) == 4000 and len(entry.tags) == 20
    assert add(alpha, "tagged", tags=["y" * 40]).tags == ["y" * 40]


# --- API -------------------------------------------------------------------------------------------


def test_members_and_keys_add_and_search_owners_edit_and_delete(alpha):
    member = client_for(alpha, user=alpha.member)
    created = member.post(
        "/api/v1/memory/", {"text": "We ship cars.", "tags": ["vehicles"]}, content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["source"] == "note" and body["author_label"] == alpha.member.email
    key = key_client(alpha)
    merged = key.post(
        "/api/v1/memory/", {"text": "we ship cars", "source": "agent"}, content_type="application/json"
    )
    assert merged.status_code == 200 and merged.json()["id"] == body["id"]
    found = key.get("/api/v1/memory/?q=shipping")
    assert found.status_code == 200
    assert [(r["id"], r["rank"] > 0) for r in found.json()["results"]] == [(body["id"], True)]
    url = f"/api/v1/memory/{body['id']}/"
    assert member.patch(url, {"text": "We ship boats."}, content_type="application/json").status_code == 403
    assert member.delete(url).status_code == 403
    assert key.delete(url).status_code == 403  # a key acts for no person
    owner = client_for(alpha, user=alpha.owner)
    edited = owner.patch(url, {"text": "We ship boats."}, content_type="application/json")
    assert edited.status_code == 200 and edited.json()["text"] == "We ship boats."
    assert [r["text"] for r in owner.get("/api/v1/memory/?q=boat").json()["results"]] == ["We ship boats."]
    assert owner.get("/api/v1/memory/?q=cars").json()["results"] == []
    assert owner.delete(url).status_code == 204
    assert owner.get(url).status_code == 404


def test_api_limits_and_errors(alpha):
    client = client_for(alpha, user=alpha.member)
    assert client.get("/api/v1/memory/?q=" + "a" * 200).status_code == 200
    too_long = client.get("/api/v1/memory/?q=" + "a" * 201)
    assert too_long.status_code == 400 and "q" in too_long.json()["fields"]
    assert client.get("/api/v1/memory/?source=email").status_code == 400
    ok = client.post("/api/v1/memory/", {"text": "x" * 4000}, content_type="application/json")
    assert ok.status_code == 201
    refused = client.post("/api/v1/memory/", {"text": "y" * 4001}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["fields"]["text"][0]["code"] == "max_length"
    unknown = client.post("/api/v1/memory/", {"text": "z", "digest": "x"}, content_type="application/json")
    assert unknown.status_code == 400 and "digest" in unknown.json()["fields"]


def test_source_filter(alpha):
    add(alpha, "From the FAQ about shipping.", source="faq")
    add(alpha, "A note about shipping.")
    client = client_for(alpha, user=alpha.member)
    results = client.get("/api/v1/memory/?q=shipping&source=faq").json()["results"]
    assert [r["text"] for r in results] == ["From the FAQ about shipping."]
    results = client.get("/api/v1/memory/?source=note").json()["results"]
    assert [r["text"] for r in results] == ["A note about shipping."]


def test_other_tenants_never_see_or_touch_an_entry(alpha, beta, both):
    secret = add(alpha, "Alpha's secret discount for shipping.")
    add(beta, "Beta ships too.")
    url = f"/api/v1/memory/{secret.pk}/"
    for client in (both, key_client(beta)):
        assert client.get(url).status_code == 404
        assert [r["text"] for r in client.get("/api/v1/memory/?q=shipping").json()["results"]] == [
            "Beta ships too."
        ]
        assert "secret" not in client.get("/api/v1/memory/").content.decode()
    assert both.patch(url, {"text": "mine"}, content_type="application/json").status_code == 404
    assert both.delete(url).status_code == 404
    assert both.post(f"/dashboard/memory/{secret.pk}/delete/").status_code == 404
    assert both.get(f"/dashboard/memory/{secret.pk}/edit/").status_code == 404
    assert "secret" not in both.get("/dashboard/memory/?q=shipping").content.decode()
    assert search(alpha, "discount") == ["Alpha's secret discount for shipping."]


# --- dashboard -------------------------------------------------------------------------------------


def test_the_page_searches_and_members_add(alpha):
    add(alpha, "We ship cars to Florida.", tags=["snowbirds"])
    add(alpha, "Our office opens at nine.")
    member = client_for(alpha, user=alpha.member)
    assert 'href="/dashboard/memory/"' in member.get("/dashboard/").content.decode()  # in the nav
    page = member.get("/dashboard/memory/?q=shipping", **BODY)
    html = page.content.decode()
    assert page.status_code == 200 and "We ship cars to Florida." in html and "snowbirds" in html
    assert "office" not in html and "Delete" not in html  # members don't edit
    assert member.get("/dashboard/memory/?q=" + "a" * 201).status_code == 400
    assert member.get("/dashboard/memory/?q=" + "a" * 200).status_code == 200
    added = member.post(
        "/dashboard/memory/new/", {"text": "Pets ride free.", "source": "note", "tags": "pets, Free"}, **BODY
    )
    assert added.status_code == 200 and "Remembered." in added.content.decode()
    merged = member.post(
        "/dashboard/memory/new/", {"text": "pets ride free", "source": "faq", "tags": ""}, **BODY
    )
    assert "merged" in merged.content.decode()
    assert search(alpha, "pet") == ["Pets ride free."]
    refused = member.post("/dashboard/memory/new/", {"text": "x" * 4001, "source": "note"}, **BODY)
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    entry = add(alpha, "Pets ride free.")
    assert member.post(f"/dashboard/memory/{entry.pk}/delete/").status_code == 403


def test_owners_edit_and_delete_in_place(alpha):
    entry = add(alpha, "We ship cars.")
    add(alpha, "We ship boats.")
    owner = client_for(alpha, user=alpha.owner)
    form = owner.get(
        f"/dashboard/memory/{entry.pk}/edit/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"memory-{entry.pk}"
    )
    assert form.status_code == 200 and "We ship cars." in form.content.decode()
    prefix = f"m{entry.pk}"
    clash = owner.post(
        f"/dashboard/memory/{entry.pk}/edit/",
        {f"{prefix}-text": "we ship boats", f"{prefix}-source": "note"},
        **BODY,
    )
    assert clash.status_code == 400 and "Another entry already says this." in clash.content.decode()
    saved = owner.post(
        f"/dashboard/memory/{entry.pk}/edit/",
        {f"{prefix}-text": "We ship trucks.", f"{prefix}-source": "faq", f"{prefix}-tags": "fleet"},
        **BODY,
    )
    assert saved.status_code == 200 and "We ship trucks." in saved.content.decode()
    assert search(alpha, "fleet") == ["We ship trucks."]
    assert owner.post(f"/dashboard/memory/{entry.pk}/delete/", **BODY).status_code == 200
    assert search(alpha, "trucks") == []
    with tenant_context(alpha.tenant):
        memory_delete(entry=MemoryEntry.objects.get())
        assert not MemoryEntry.objects.exists()


def test_the_page_costs_the_same_queries_with_one_entry_or_many(alpha):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = client_for(alpha, user=alpha.owner)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(url, **BODY).status_code == 200
        return len(captured)

    add(alpha, "Shipping entry 0.", tags=["a"])
    few = (queries("/dashboard/memory/"), queries("/dashboard/memory/?q=shipping"))
    with tenant_context(alpha.tenant):
        MemoryEntry.objects.bulk_create(
            MemoryEntry(text=f"Shipping entry {n}.", tags=["a", "b"], digest=f"{n:064d}")
            for n in range(1, 60)
        )
        for pk in MemoryEntry.objects.values_list("pk", flat=True):
            _reindex(pk)  # searchable like the service's own
        assert len(memory_search(query="shipping", limit=100)) == 60
    assert (queries("/dashboard/memory/"), queries("/dashboard/memory/?q=shipping")) == few


# --- titles and questions --------------------------------------------------------------------------


def test_two_faqs_with_the_same_answer_stay_two_and_the_same_question_and_answer_merge(alpha):
    with tenant_context(alpha.tenant):
        halifax, created = memory_add(title="Do you ship to Halifax?", text="Yes.", source="faq")
        assert created
        calgary, created = memory_add(title="Do you ship to Calgary?", text="Yes.", source="faq")
        assert created and calgary.pk != halifax.pk
        again, created = memory_add(title="do you ship to HALIFAX", text="yes", source="faq", tags=["east"])
        assert not created and again.pk == halifax.pk and again.tags == ["east"]
        # an entry without a title keeps the digest its text alone always had
        plain, created = memory_add(text="Yes.", source="note")
        assert created and plain.digest == text_digest("Yes.")
        assert MemoryEntry.objects.count() == 3


def test_a_title_match_ranks_above_a_text_match_above_a_tag_match(alpha):
    add(alpha, "Snowbirds book in September.", tags=["florida"])
    add(alpha, "We drive to Florida every week in the fall.")
    add(alpha, "Yes, every week from October.", title="Do you ship cars to Florida?", source="faq")
    assert search(alpha, "florida") == [
        "Yes, every week from October.",
        "We drive to Florida every week in the fall.",
        "Snowbirds book in September.",
    ]


def test_a_natural_question_finds_entries_that_dont_hold_all_its_words(alpha):
    add(
        alpha,
        "Plan on 7 to 10 days by truck.",
        title="How long does shipping a car from Toronto to Vancouver take?",
    )
    add(alpha, "Our office opens at nine.")
    question = "how long does it take to ship my car to vancouver?"
    assert search(alpha, question) == ["Plan on 7 to 10 days by truck."]
    with tenant_context(alpha.tenant):  # every word required (web-search syntax) finds nothing
        from chat.selectors import memory_search_queryset

        assert list(memory_search_queryset(query='"ship my car to vancouver"')) == []
    assert search(alpha, "vancouver -truck") == []
    assert search(alpha, "vancouver -nine") == ["Plan on 7 to 10 days by truck."]
    assert search(alpha, "how do you do?") == []  # stop words alone: nothing to look for


def test_search_by_sources(alpha):
    add(alpha, "FAQ: we ship to Halifax.", source="faq")
    add(alpha, "Answer: Halifax trucks leave on Mondays.", source="questionnaire")
    add(alpha, "Note: Halifax driver is Sam.", source="note")
    assert sorted(search(alpha, "halifax", sources=["faq", "questionnaire"])) == [
        "Answer: Halifax trucks leave on Mondays.",
        "FAQ: we ship to Halifax.",
    ]
    assert search(alpha, "halifax", sources=[]) == []
    assert len(search(alpha, "halifax")) == 3
    with tenant_context(alpha.tenant):
        for bad in (["email"], "faq"):
            with pytest.raises(ValidationError) as caught:
                memory_search(query="halifax", sources=bad)
            assert "sources" in caught.value.error_dict


@pytest.mark.parametrize(
    ("title", "code"), [("x" * 301, "max_length"), ("a\x07b", "invalid"), (7, "invalid")]
)
def test_bad_titles_are_refused_by_field(alpha, title, code):
    with tenant_context(alpha.tenant):
        with pytest.raises(ValidationError) as caught:
            memory_add(text="ok", source="faq", title=title)
        assert caught.value.error_dict["title"][0].code == code
        entry = memory_add(text="ok", source="faq")[0]
        with pytest.raises(ValidationError) as caught:
            memory_update(entry=entry, data={"title": title})
        assert caught.value.error_dict["title"][0].code == code


def test_titles_at_the_limit_and_edited(alpha):
    entry = add(alpha, "Seven to ten days.", title="x" * 300, source="faq")
    assert entry.title == "x" * 300
    with tenant_context(alpha.tenant):
        memory_update(entry=entry, data={"title": "  How long to Vancouver?  "})
        entry.refresh_from_db()
        assert entry.title == "How long to Vancouver?" and entry.digest == text_digest(
            entry.text, entry.title
        )
    assert search(alpha, "vancouver") == ["Seven to ten days."]
    with tenant_context(alpha.tenant):
        memory_update(entry=entry, data={"title": ""})
    assert search(alpha, "vancouver") == []


def test_api_titles(alpha):
    client = client_for(alpha, user=alpha.owner)
    made = client.post(
        "/api/v1/memory/",
        {"title": "Do you ship to Halifax?", "text": "Yes.", "source": "faq"},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["title"] == "Do you ship to Halifax?"
    other = client.post(
        "/api/v1/memory/",
        {"title": "Do you ship to Calgary?", "text": "Yes."},
        content_type="application/json",
    )
    assert other.status_code == 201 and other.json()["id"] != made.json()["id"]
    url = f"/api/v1/memory/{made.json()['id']}/"
    assert client.get(url).json()["title"] == "Do you ship to Halifax?"
    results = client.get("/api/v1/memory/?q=can you take my car to halifax").json()["results"]
    assert [r["title"] for r in results] == ["Do you ship to Halifax?"]
    too_long = client.patch(url, {"title": "x" * 301}, content_type="application/json")
    assert too_long.status_code == 400 and too_long.json()["fields"]["title"][0]["code"] == "max_length"
    ok = client.patch(url, {"title": "y" * 300}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["title"] == "y" * 300
    clash = client.patch(url, {"title": "do you ship to calgary"}, content_type="application/json")
    assert clash.status_code == 400 and clash.json()["fields"]["text"][0]["code"] == "duplicate"


def test_the_page_shows_titles_above_the_text_and_edits_them(alpha):
    owner = client_for(alpha, user=alpha.owner)
    added = owner.post(
        "/dashboard/memory/new/",
        {"title": "Do you ship to Halifax?", "text": "Yes, weekly.", "source": "faq", "tags": ""},
        **BODY,
    )
    html = added.content.decode()
    assert added.status_code == 200 and "Remembered." in html
    assert html.index("Do you ship to Halifax?") < html.index("Yes, weekly.")
    refused = owner.post(
        "/dashboard/memory/new/", {"title": "x" * 301, "text": "No.", "source": "faq"}, **BODY
    )
    assert refused.status_code == 400 and "errorlist" in refused.content.decode()
    with tenant_context(alpha.tenant):
        entry = MemoryEntry.objects.get()
    prefix = f"m{entry.pk}"
    form = owner.get(
        f"/dashboard/memory/{entry.pk}/edit/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"memory-{entry.pk}"
    )
    assert 'value="Do you ship to Halifax?"' in form.content.decode()
    saved = owner.post(
        f"/dashboard/memory/{entry.pk}/edit/",
        {
            f"{prefix}-title": "Do you ship to Moncton?",
            f"{prefix}-text": "Yes, weekly.",
            f"{prefix}-source": "faq",
        },
        **BODY,
    )
    assert saved.status_code == 200 and "Do you ship to Moncton?" in saved.content.decode()
    assert search(alpha, "moncton") == ["Yes, weekly."]


def test_long_question_words_also_match_as_prefixes(alpha):
    add(alpha, "Shipments leave every Monday.")
    add(alpha, "Cargo vans are extra.")
    assert search(alpha, "can you ship it?") == ["Shipments leave every Monday."]
    assert search(alpha, "car") == []  # short words only whole: "car" is not "cargo"


def test_words_in_too_many_entries_stop_selecting_candidates():
    from chat.selectors import COMMON, Words

    words = Words(lexemes=["car", "halifax"], frequency={"car": COMMON + 1, "halifax": 3}, total=50_000)
    assert words.selective() == ["halifax"]
    assert words.idf("halifax") > words.idf("car")
    common = Words(lexemes=["car", "ship"], frequency={"car": COMMON + 1, "ship": COMMON + 1}, total=50_000)
    assert common.selective() == ["car", "ship"]  # none is rare: all of them
    at_limit = Words(lexemes=["car", "halifax"], frequency={"car": COMMON, "halifax": 3}, total=50_000)
    assert at_limit.selective() == ["car", "halifax"]
