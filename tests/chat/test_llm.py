"""The assistant's model answers through the real SDKs (anthropic, openai) against recorded HTTP
responses of their APIs: JSON answers, SSE streams, errors and time-outs. What a visitor or owner would
notice: the text (streamed in order), a lead made from the chat, a conversation handed over, the
fallback when the provider fails, and every call's tokens and cost on the tenant's usage record."""

import json
import uuid
from decimal import Decimal

import httpx
import pytest
import respx
from django.utils import timezone
from django_tenants.utils import tenant_context

from chat.llm.base import MAX_ROUNDS, LlmUnavailable
from chat.llm.service import conversation_turns, llm_answer, llm_cost
from chat.models import Conversation, LlmUsage, MemoryEntry, Message
from marketing.models import Lead
from tests.respx_httpx2 import HTTPCore2Mocker

pytestmark = pytest.mark.django_db

ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"
OPENAI_URL = "https://api.openai.com/v1/chat/completions"
ANTHROPIC_MODEL = "claude-sonnet-4-6"
OPENAI_MODEL = "gpt-4.1-mini"


# --- recorded responses, shaped as the APIs send them --------------------------------------------------

ANTHROPIC_HEADERS = {
    "content-type": "application/json",
    "request-id": "req_011CVUfK3w7xq1Qb9Z2sJzX4",
    "anthropic-organization-id": "4f1c9a7e-1d2b-4c8e-9f3a-2b7d6e5c4a31",
    "via": "1.1 google",
    "cf-ray": "9a3b1c2d4e5f6789-YYZ",
}
SSE_HEADERS = {
    **ANTHROPIC_HEADERS,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
}
OPENAI_HEADERS = {
    "content-type": "application/json",
    "x-request-id": "req_7d3f0b2c9a8e4f1d8c6b5a4e3d2c1b0a",
    "openai-organization": "user-abc123",
    "openai-processing-ms": "412",
    "openai-version": "2020-10-01",
    "x-ratelimit-remaining-tokens": "199250",
}


def anthropic_message(
    content, *, stop_reason, input_tokens, output_tokens, msg_id="msg_01XFDUDYJgAACzvnptvVoYEL"
):
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        },
    }


def anthropic_json(body, status=200):
    return httpx.Response(status, json=body, headers=ANTHROPIC_HEADERS)


def sse(events: list[tuple[str | None, dict | str]]) -> bytes:
    lines = []
    for event, data in events:
        if event:
            lines.append(f"event: {event}")
        lines.append(f"data: {data if isinstance(data, str) else json.dumps(data)}")
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


def anthropic_stream(
    blocks, *, stop_reason, input_tokens, output_tokens, msg_id="msg_01Hs6c4vJ3nKq2T8Rg7LmPzY"
):
    """An SSE body of the Messages API: blocks are ("text", [deltas]) or ("tool_use", id, name, [json parts])."""
    start = anthropic_message([], stop_reason=None, input_tokens=input_tokens, output_tokens=1, msg_id=msg_id)
    events = [("message_start", {"type": "message_start", "message": start}), ("ping", {"type": "ping"})]
    for index, block in enumerate(blocks):
        if block[0] == "text":
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index,
                                         "content_block": {"type": "text", "text": ""}})
            )  # fmt: skip
            for delta in block[1]:
                events.append(
                    ("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": {"type": "text_delta", "text": delta}})
                )  # fmt: skip
        else:
            _kind, tool_id, name, parts = block
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index,
                                         "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}}})
            )  # fmt: skip
            for part in parts:
                events.append(
                    ("content_block_delta", {"type": "content_block_delta", "index": index,
                                             "delta": {"type": "input_json_delta", "partial_json": part}})
                )  # fmt: skip
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                           "usage": {"output_tokens": output_tokens}})
    )  # fmt: skip
    events.append(("message_stop", {"type": "message_stop"}))
    return httpx.Response(200, content=sse(events), headers=SSE_HEADERS)


def openai_completion(message, *, finish_reason, prompt_tokens, completion_tokens):
    return httpx.Response(
        200,
        headers=OPENAI_HEADERS,
        json={
            "id": "chatcmpl-CX2b7Qk1vR8sT3uW5yZ9aB4cD6eF",
            "object": "chat.completion",
            "created": 1764111600,
            "model": "gpt-4.1-mini-2025-04-14",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "refusal": None, "annotations": [], **message},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },  # fmt: skip
            },
            "service_tier": "default",
            "system_fingerprint": "fp_6f2eabb9a5",
        },
    )


def openai_stream(deltas, *, finish_reason, prompt_tokens, completion_tokens):
    """An SSE body of Chat Completions with stream_options include_usage: a chunk per delta, the
    finish reason, a last chunk with no choices and the usage, then [DONE]."""

    def chunk(choices, usage=None):
        return {
            "id": "chatcmpl-CX2c1Lm4nP7qR0sT2uV5wX8yZ1aB", "object": "chat.completion.chunk",
            "created": 1764111601, "model": "gpt-4.1-mini-2025-04-14", "service_tier": "default",
            "system_fingerprint": "fp_6f2eabb9a5", "choices": choices, "usage": usage,
        }  # fmt: skip

    events = [(None, chunk([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": None},
                             "logprobs": None, "finish_reason": None}]))]  # fmt: skip
    for delta in deltas:
        events.append((None, chunk([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}])))
    events.append(
        (None, chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish_reason}]))
    )
    usage = {
        "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                      "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    }  # fmt: skip
    events.append((None, chunk([], usage)))
    events.append((None, "[DONE]"))
    headers = {**OPENAI_HEADERS, "content-type": "text/event-stream; charset=utf-8"}
    return httpx.Response(200, content=sse(events), headers=headers)


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    """Every request of the SDKs answered by a route here; anything else fails the test."""
    HTTPCore2Mocker.unmocked.clear()
    with respx.mock(using="httpcore2", assert_all_mocked=True, assert_all_called=True) as router:
        yield router
    assert not HTTPCore2Mocker.unmocked, f"unmocked requests: {HTTPCore2Mocker.unmocked}"


@pytest.fixture
def anthropic_settings(settings):
    settings.LLM_BACKEND = "anthropic"
    settings.ANTHROPIC_API_KEY = "sk-ant-test-key"
    settings.LLM_MODEL = ANTHROPIC_MODEL
    settings.LLM_PRICE_PER_MTOK = (3.0, 15.0)
    return settings


@pytest.fixture
def openai_settings(settings):
    settings.LLM_BACKEND = "openai"
    settings.OPENAI_API_KEY = "sk-proj-test-key"
    settings.LLM_MODEL = OPENAI_MODEL
    settings.LLM_PRICE_PER_MTOK = (0.4, 1.6)
    return settings


@pytest.fixture
def chat(alpha):
    """A conversation on alpha's site where the visitor has just asked for a quote."""
    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(
            visitor=uuid.uuid4(), last_message_at=timezone.now(), page="/quote/"
        )
        say(conversation, "visitor", "Hi, how much to ship a car from Toronto to Vancouver?")
        say(conversation, "assistant", "I can have the team send you a quote. What's your phone or email?")
        say(conversation, "visitor", "Sure, it's 416 555 0199, I'm Dana")
        yield conversation


def say(conversation, role, text):
    origin = {"visitor": "visitor", "assistant": "llm", "owner": "owner"}[role]
    return Message.objects.create(conversation=conversation, role=role, origin=origin, text=text)


def ask(chat, question="Sure, it's 416 555 0199, I'm Dana", **kwargs):
    return llm_answer(conversation=chat, question=question, retrieved=[], **kwargs)


def body(route, index):
    return json.loads(route.calls[index].request.content)


# --- Anthropic -----------------------------------------------------------------------------------------


def test_anthropic_tool_call_makes_a_lead_then_answers(api, anthropic_settings, chat):
    route = api.post(ANTHROPIC_URL).mock(
        side_effect=[
            anthropic_json(
                anthropic_message(
                    [
                        {"type": "text", "text": "Thanks Dana, let me pass this on."},
                        {
                            "type": "tool_use",
                            "id": "toolu_01A09q90qw90lq917835lq9",
                            "name": "capture_lead",
                            "input": {
                                "name": "Dana",
                                "phone": "416 555 0199",
                                "details": "Car, Toronto to Vancouver",
                            },
                        },
                    ],
                    stop_reason="tool_use",
                    input_tokens=1203,
                    output_tokens=87,
                )
            ),
            anthropic_json(
                anthropic_message(
                    [{"type": "text", "text": "The team will call you with a quote today."}],
                    stop_reason="end_turn",
                    input_tokens=1342,
                    output_tokens=21,
                    msg_id="msg_01Bq2Xk9",
                )
            ),
        ]  # fmt: skip
    )
    result = ask(chat)

    assert result.text == "Thanks Dana, let me pass this on.\n\nThe team will call you with a quote today."
    lead = Lead.objects.get()
    assert (lead.source, lead.phone, lead.name) == ("chat", "+14165550199", "Dana")
    assert lead.message == "Car, Toronto to Vancouver" and lead.landing_page == "/quote/"
    chat.refresh_from_db()
    assert chat.lead == lead
    assert [name for name, _args, _result in result.tool_calls] == ["capture_lead"]
    # what went to the API: the key, the prompt, the tools; then the tool's result for the model
    first, second = body(route, 0), body(route, 1)
    assert (
        route.calls[0].request.headers["authorization"] == "Bearer sk-ant-test-key"
    )  # SDK 2.x: no x-api-key
    assert first["model"] == ANTHROPIC_MODEL and "Alpha Movers" in first["system"]
    assert [tool["name"] for tool in first["tools"]] == ["capture_lead", "handover"]
    assert "tool_choice" not in first and "stream" not in first
    assert [m["role"] for m in first["messages"]] == ["user", "assistant", "user"]
    assert first["messages"][-1]["content"] == "Sure, it's 416 555 0199, I'm Dana"
    tool_result = second["messages"][-1]["content"][0]
    assert (
        tool_result["type"] == "tool_result" and tool_result["tool_use_id"] == "toolu_01A09q90qw90lq917835lq9"
    )
    assert (
        tool_result["content"] == f"Saved as lead {lead.pk}. The team will contact the visitor; tell them so."
    )
    assert second["messages"][-2]["content"][1]["type"] == "tool_use"
    # tokens of both rounds, priced at $3 / $15 per million
    assert (result.input_tokens, result.output_tokens) == (2545, 108)
    usage = LlmUsage.objects.get()
    assert (usage.backend, usage.model, usage.ok, usage.conversation) == (
        "anthropic",
        ANTHROPIC_MODEL,
        True,
        chat,
    )
    assert (usage.input_tokens, usage.output_tokens) == (2545, 108)
    assert usage.cost_usd == Decimal("0.009255")  # 2545 × 3 / 1e6 + 108 × 15 / 1e6


def test_anthropic_streams_text_in_order_and_hands_over(api, anthropic_settings, chat):
    api.post(ANTHROPIC_URL).mock(
        side_effect=[
            anthropic_stream(
                [
                    ("text", ["I'll ask ", "the owner."]),
                    ("tool_use", "toolu_01T1x8Vq", "handover", ['{"reason": "wants ', 'a person"}']),
                ],
                stop_reason="tool_use",
                input_tokens=980,
                output_tokens=40,
            ),
            anthropic_stream(
                [("text", ["They will ", "reply here ", "shortly."])],
                stop_reason="end_turn",
                input_tokens=1050,
                output_tokens=12,
            ),
        ]  # fmt: skip
    )
    deltas = []
    result = ask(chat, on_text=deltas.append)

    assert deltas == ["I'll ask ", "the owner.", "\n\nThey will ", "reply here ", "shortly."]
    assert result.text == "".join(deltas) == "I'll ask the owner.\n\nThey will reply here shortly."
    chat.refresh_from_db()
    assert chat.needs_reply and chat.handover_reason == "wants a person"
    assert result.tool_calls[0][:2] == ("handover", {"reason": "wants a person"})
    usage = LlmUsage.objects.get()
    assert (usage.input_tokens, usage.output_tokens, usage.ok) == (2030, 52, True)
    assert usage.cost_usd == Decimal("0.006870")


def test_anthropic_server_error_is_unavailable_and_recorded(api, anthropic_settings, chat):
    error = {"type": "error", "error": {"type": "api_error", "message": "Internal server error"},
             "request_id": "req_011CVUg0Yk2"}  # fmt: skip
    route = api.post(ANTHROPIC_URL).mock(return_value=anthropic_json(error, status=500))
    with pytest.raises(LlmUnavailable):
        ask(chat)
    assert route.call_count == 1  # no retry: the visitor is waiting
    usage = LlmUsage.objects.get()
    assert not usage.ok and "InternalServerError 500" in usage.error
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (0, 0, Decimal("0"))
    assert not Lead.objects.exists()


def test_anthropic_time_out_is_unavailable(api, anthropic_settings, chat):
    api.post(ANTHROPIC_URL).mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(LlmUnavailable):
        ask(chat, on_text=lambda text: None)
    usage = LlmUsage.objects.get()
    assert not usage.ok and usage.error.startswith("APITimeoutError")


def test_a_failure_after_a_tool_round_still_records_its_tokens(api, anthropic_settings, chat):
    api.post(ANTHROPIC_URL).mock(
        side_effect=[
            anthropic_json(
                anthropic_message(
                    [
                        {
                            "type": "tool_use",
                            "id": "toolu_01H",
                            "name": "handover",
                            "input": {"reason": "unsure"},
                        }
                    ],
                    stop_reason="tool_use",
                    input_tokens=1000,
                    output_tokens=30,
                )
            ),
            anthropic_json(
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, status=529
            ),
        ]  # fmt: skip
    )
    with pytest.raises(LlmUnavailable):
        ask(chat)
    usage = LlmUsage.objects.get()
    assert (usage.ok, usage.input_tokens, usage.output_tokens) == (False, 1000, 30)
    assert usage.cost_usd == Decimal("0.003450") and "529" in usage.error


def test_a_stream_cut_off_records_what_it_used(api, anthropic_settings, chat):
    response = anthropic_stream(
        [("text", ["Hel", "lo"])], stop_reason="end_turn", input_tokens=700, output_tokens=9
    )
    cut = response.content[: response.content.index(b"event: content_block_stop")]
    cut += b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    api.post(ANTHROPIC_URL).mock(return_value=httpx.Response(200, content=cut, headers=SSE_HEADERS))
    deltas = []
    with pytest.raises(LlmUnavailable):
        ask(chat, on_text=deltas.append)
    assert deltas == ["Hel", "lo"]
    usage = LlmUsage.objects.get()
    assert (usage.ok, usage.input_tokens) == (False, 700)


def test_the_last_round_must_answer_in_text(api, anthropic_settings, chat):
    asks_again = anthropic_message(
        [{"type": "tool_use", "id": "toolu_01L", "name": "handover", "input": {"reason": "again"}}],
        stop_reason="tool_use", input_tokens=100, output_tokens=10,
    )  # fmt: skip
    final = anthropic_message(
        [{"type": "text", "text": "Done."}], stop_reason="end_turn", input_tokens=100, output_tokens=5
    )
    route = api.post(ANTHROPIC_URL).mock(
        side_effect=[anthropic_json(asks_again)] * (MAX_ROUNDS - 1) + [anthropic_json(final)]
    )
    assert ask(chat).text == "Done."
    assert route.call_count == MAX_ROUNDS == 3
    assert [body(route, i).get("tool_choice") for i in range(MAX_ROUNDS)] == [None, None, {"type": "none"}]


def test_no_backend_is_unavailable_without_a_call(settings, chat):
    settings.LLM_BACKEND = "none"
    with pytest.raises(LlmUnavailable):
        ask(chat)
    assert not LlmUsage.objects.exists()


# --- OpenAI --------------------------------------------------------------------------------------------


def test_openai_tool_call_makes_a_lead_then_answers(api, openai_settings, chat):
    route = api.post(OPENAI_URL).mock(
        side_effect=[
            openai_completion(
                {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_Yb2Qe7hF1kLm",
                            "type": "function",
                            "function": {
                                "name": "capture_lead",
                                "arguments": '{"name":"Dana","email":"Dana@Example.com","details":"Car to Vancouver"}',
                            },
                        }
                    ],
                },
                finish_reason="tool_calls",
                prompt_tokens=812,
                completion_tokens=41,
            ),
            openai_completion(
                {"content": "Thanks Dana, the team will email you a quote."},
                finish_reason="stop",
                prompt_tokens=880,
                completion_tokens=14,
            ),
        ]  # fmt: skip
    )
    result = ask(chat)

    assert result.text == "Thanks Dana, the team will email you a quote."
    lead = Lead.objects.get()
    assert (lead.source, lead.email, lead.name) == ("chat", "dana@example.com", "Dana")
    chat.refresh_from_db()
    assert chat.lead == lead
    first, second = body(route, 0), body(route, 1)
    assert route.calls[0].request.headers["authorization"] == "Bearer sk-proj-test-key"
    assert first["messages"][0]["role"] == "system" and "Alpha Movers" in first["messages"][0]["content"]
    assert [m["role"] for m in first["messages"][1:]] == ["user", "assistant", "user"]
    assert [t["function"]["name"] for t in first["tools"]] == ["capture_lead", "handover"]
    assert first["tool_choice"] == "auto" and "stream" not in first
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_Yb2Qe7hF1kLm"
    assert second["messages"][-1] == {
        "role": "tool", "tool_call_id": "call_Yb2Qe7hF1kLm",
        "content": f"Saved as lead {lead.pk}. The team will contact the visitor; tell them so.",
    }  # fmt: skip
    usage = LlmUsage.objects.get()
    assert (usage.backend, usage.input_tokens, usage.output_tokens) == ("openai", 1692, 55)
    assert usage.cost_usd == Decimal("0.000765")  # 1692 × 0.4 / 1e6 + 55 × 1.6 / 1e6 = 0.0007648


def test_openai_bad_contact_goes_back_to_the_model_and_nothing_is_saved(api, openai_settings, chat):
    route = api.post(OPENAI_URL).mock(
        side_effect=[
            openai_completion(
                {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_Bad1",
                            "type": "function",
                            "function": {
                                "name": "capture_lead",
                                "arguments": '{"phone":"555","details":"quote"}',
                            },
                        }
                    ],
                },
                finish_reason="tool_calls",
                prompt_tokens=500,
                completion_tokens=20,
            ),
            openai_completion(
                {"content": "That number looks short. Could you check it?"},
                finish_reason="stop",
                prompt_tokens=560,
                completion_tokens=12,
            ),
        ]  # fmt: skip
    )
    assert ask(chat).text == "That number looks short. Could you check it?"
    assert not Lead.objects.exists()
    told = body(route, 1)["messages"][-1]["content"]
    assert told.startswith("Not saved:") and "Ask the visitor for a valid phone number" in told


def test_openai_streams_text_and_a_tool_call_in_pieces(api, openai_settings, chat):
    tool_deltas = [
        {"content": "One moment. "},
        {"tool_calls": [{"index": 0, "id": "call_H4nd0v3r", "type": "function",
                         "function": {"name": "handover", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"reason":'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": '"asks for a person"}'}}]},
    ]  # fmt: skip
    route = api.post(OPENAI_URL).mock(
        side_effect=[
            openai_stream(tool_deltas, finish_reason="tool_calls", prompt_tokens=640, completion_tokens=25),
            openai_stream(
                [{"content": "The owner "}, {"content": "will reply "}, {"content": "here."}],
                finish_reason="stop",
                prompt_tokens=700,
                completion_tokens=8,
            ),
        ]  # fmt: skip
    )
    deltas = []
    result = ask(chat, on_text=deltas.append)

    assert deltas == ["One moment. ", "\n\nThe owner ", "will reply ", "here."]
    assert result.text == "One moment.\n\nThe owner will reply here."
    chat.refresh_from_db()
    assert chat.needs_reply and chat.handover_reason == "asks for a person"
    first = body(route, 0)
    assert first["stream"] is True and first["stream_options"] == {"include_usage": True}
    assert body(route, 1)["messages"][-1]["tool_call_id"] == "call_H4nd0v3r"
    usage = LlmUsage.objects.get()
    assert (usage.input_tokens, usage.output_tokens) == (1340, 33)
    assert usage.cost_usd == Decimal("0.000589")  # 1340 × 0.4 / 1e6 + 33 × 1.6 / 1e6 = 0.0005888


def test_openai_server_error_is_unavailable_and_recorded(api, openai_settings, chat):
    error = {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                       "type": "server_error", "param": None, "code": None}}  # fmt: skip
    route = api.post(OPENAI_URL).mock(return_value=httpx.Response(500, json=error, headers=OPENAI_HEADERS))
    with pytest.raises(LlmUnavailable):
        ask(chat, on_text=lambda text: None)
    assert route.call_count == 1
    usage = LlmUsage.objects.get()
    assert not usage.ok and "InternalServerError 500" in usage.error and usage.backend == "openai"


def test_a_wrong_key_is_recorded_without_the_key(api, openai_settings, chat, caplog):
    # OpenAI's real 401 message quotes the key it was given, masked but partly readable.
    error = {"error": {"message": "Incorrect API key provided: sk-proj-Ab12****************wxyz. You can "
                       "find your API key at https://platform.openai.com/account/api-keys.",
                       "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}  # fmt: skip
    api.post(OPENAI_URL).mock(return_value=httpx.Response(401, json=error, headers=OPENAI_HEADERS))
    with pytest.raises(LlmUnavailable):
        ask(chat)
    usage = LlmUsage.objects.get()
    assert "AuthenticationError 401" in usage.error and "Incorrect API key provided: [key]" in usage.error
    assert "wxyz" not in usage.error and "wxyz" not in caplog.text


def test_openai_time_out_is_unavailable(api, openai_settings, chat):
    api.post(OPENAI_URL).mock(side_effect=httpx.ConnectTimeout("connect timed out"))
    with pytest.raises(LlmUnavailable):
        ask(chat)
    assert LlmUsage.objects.get().error.startswith("APITimeoutError")


def test_openai_malformed_tool_arguments_are_unavailable(api, openai_settings, chat):
    api.post(OPENAI_URL).mock(
        return_value=openai_completion(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_X",
                        "type": "function",
                        "function": {"name": "handover", "arguments": '{"reason": '},
                    }
                ],
            },
            finish_reason="tool_calls",
            prompt_tokens=300,
            completion_tokens=7,
        )  # fmt: skip
    )
    with pytest.raises(LlmUnavailable):
        ask(chat)
    chat.refresh_from_db()
    assert not chat.needs_reply
    usage = LlmUsage.objects.get()
    assert (usage.ok, usage.input_tokens, usage.output_tokens) == (False, 300, 7)


# --- the conversation as the model sees it ---------------------------------------------------------------


def test_turns_alternate_start_with_the_visitor_and_mark_the_owner(alpha):
    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
        say(conversation, "assistant", "Hello! How can I help?")
        say(conversation, "visitor", "Do you move pianos?")
        say(conversation, "assistant", "Let me ask the owner.")
        say(conversation, "owner", "Yes, uprights only.")
        say(conversation, "visitor", "Great")
        say(conversation, "visitor", "When are you free?")
        turns = conversation_turns(conversation=conversation, question="When are you free?")
    assert [(t.role, t.text) for t in turns] == [
        ("user", "Do you move pianos?"),
        ("assistant", "Let me ask the owner.\n\n(The business owner replied:) Yes, uprights only."),
        ("user", "Great\n\nWhen are you free?"),
    ]


def test_turns_keep_only_the_last_messages(alpha):
    from chat.llm.service import HISTORY_MESSAGES

    with tenant_context(alpha.tenant):
        conversation = Conversation.objects.create(visitor=uuid.uuid4(), last_message_at=timezone.now())
        for n in range(HISTORY_MESSAGES + 1):
            say(conversation, "visitor" if n % 2 == 0 else "assistant", f"message {n}")
        turns = conversation_turns(conversation=conversation, question=f"message {HISTORY_MESSAGES}")
    assert turns[0].text == "message 2" and turns[-1].text == f"message {HISTORY_MESSAGES}"
    assert len(turns) == HISTORY_MESSAGES - 1


def test_cost_is_priced_per_million_tokens(settings):
    settings.LLM_PRICE_PER_MTOK = (3.0, 15.0)
    assert llm_cost(input_tokens=1_000_000, output_tokens=1_000_000) == Decimal("18.000000")
    assert llm_cost(input_tokens=1, output_tokens=0) == Decimal("0.000003")


def test_prompt_holds_the_faq_and_what_was_found(api, anthropic_settings, chat):
    MemoryEntry.objects.create(
        title="Do you ship to Alaska?", text="No, mainland only.", source="faq", digest="f1"
    )
    found = MemoryEntry.objects.create(text="Winter trips leave on Mondays.", source="note", digest="n1")
    route = api.post(ANTHROPIC_URL).mock(
        return_value=anthropic_json(
            anthropic_message(
                [{"type": "text", "text": "No, mainland only."}],
                stop_reason="end_turn",
                input_tokens=10,
                output_tokens=5,
            )
        )  # fmt: skip
    )
    llm_answer(conversation=chat, question="Alaska?", retrieved=[(found, 0.5)])
    system = body(route, 0)["system"]
    assert "Q: Do you ship to Alaska? A: No, mainland only." in system
    assert "- Winter trips leave on Mondays." in system
