"""Hardening found in the security review of the chat widget, the assistant and the inbox: malformed
or oversized requests answer 4xx in the {code, message} shape (never a 500 or an HTML page), and
visitors can't use the chat to flood the business with leads or texts."""

import json

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

POST = "/chat/messages/"


def test_a_deeply_nested_json_body_is_a_400_not_a_500(alpha):
    visitor = client_for(alpha)
    response = visitor.post(POST, "[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


def test_an_oversized_body_is_refused_as_json_at_the_limit_plus_one(alpha, settings):
    from chat.views_widget import MAX_BODY

    settings.CHAT_MAX_MESSAGE = MAX_BODY  # so only the body size can refuse it
    visitor = client_for(alpha)
    body = json.dumps({"text": "hi", "page": "/"})
    at_limit = body[:-1] + " " * (MAX_BODY - len(body)) + "}"
    assert len(at_limit) == MAX_BODY
    assert visitor.post(POST, at_limit, content_type="application/json").status_code == 200
    over = body[:-1] + " " * (MAX_BODY + 1 - len(body)) + "}"
    refused = visitor.post(POST, over, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "message_too_long"
    huge = visitor.post(
        POST, json.dumps({"text": "x", "pad": "y" * 3_000_000}), content_type="application/json"
    )
    assert huge.status_code == 400 and huge["Content-Type"] == "application/json"


def test_the_api_answers_a_deeply_nested_json_body_with_a_400(alpha):
    owner = client_for(alpha, alpha.owner)
    response = owner.post("/api/v1/memory/", "[" * 10_000 + "]" * 10_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
