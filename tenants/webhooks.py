"""Twilio's callbacks on the public host: delivery reports and inbound SMS.

Both are signed by Twilio (X-Twilio-Signature over the full URL and the POST parameters, with the
account's auth token). The URL checked is the one Twilio was given — the deployment's public URL —
not what the request looks like behind a proxy. Anything unsigned is refused (403) before a row is
touched.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from tenants.services.sms import sms_status_record
from tenants.sms_inbound import InboundSms, sms_inbound_dispatch

logger = logging.getLogger(__name__)


def twilio_signed(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        url = settings.INKWELL_PUBLIC_URL + request.get_full_path()
        signature = request.headers.get("X-Twilio-Signature", "")
        token = settings.TWILIO_AUTH_TOKEN
        if not token or not signature or not RequestValidator(token).validate(url, request.POST, signature):
            logger.warning("Refused a Twilio callback with a bad signature on %s", request.path)
            return HttpResponseForbidden("Invalid signature.")
        return view(request, *args, **kwargs)

    return csrf_exempt(require_POST(wrapper))


@twilio_signed
def twilio_status(request):
    sms_status_record(
        provider_id=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@twilio_signed
def twilio_inbound(request):
    message = InboundSms(
        sender=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
        provider_id=request.POST.get("MessageSid", ""),
    )
    reply = sms_inbound_dispatch(message)
    response = MessagingResponse()
    if reply:
        response.message(reply)
    return HttpResponse(str(response), content_type="text/xml")
