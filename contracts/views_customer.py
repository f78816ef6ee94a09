"""The customer's pages at /c/<token>/: read and sign the contract, then follow the shipment.

Anyone holding the link may use these pages; nothing else about them is public. Every answer, the
404 for a wrong link included, tells browsers not to keep the page, not to send its address (the
token) on as a Referer, and tells search engines not to index it.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from contracts.forms_customer import CodeForm, SignForm
from contracts.models import Contract, PortalSettings
from contracts.services import signing
from contracts.services.events import Actor
from contracts.services.links import ContractLinkExpired, ContractLinkUnknown, contract_by_link
from contracts.services.tracking import contract_timeline
from contracts.terms import terms_html
from inkwell.errors import DomainError
from inkwell.views import not_found

S = Contract.Status


def _session_key(contract: Contract) -> str:
    return f"contract-code:{contract.pk}"


def _customer(request) -> Actor:
    return Actor.from_request(request, type="customer")


def _private(response):
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def customer_form(view):
    """A form post from the customer's page, exempt from Django's CSRF check.

    The check would refuse every post: under `Referrer-Policy: no-referrer` browsers send
    `Origin: null` with a form post. It would also protect nothing: the path carries the link's
    256-bit token, which a cross-site page cannot know, and whoever knows it may post anyway.
    """
    return csrf_exempt(require_POST(customer_page(view)))


def customer_page(view):
    """Resolve the link to its contract (or answer 404 / 410) and mark the answer private."""

    @wraps(view)
    def wrapper(request, token, **kwargs):
        try:
            if not request.tenant.config.feature_contracts:
                raise ContractLinkUnknown
            contract = contract_by_link(token)
            if contract.status == S.EXPIRED:
                raise ContractLinkExpired("Expired.")  # the page below says what to do
            response = view(request, contract=contract, token=token, **kwargs)
        except (ContractLinkUnknown, Http404):
            response = not_found(request)  # the very page any other missing address gets
        except ContractLinkExpired:
            response = render(request, "contracts/customer/expired.html", status=410)
        except DomainError as exc:
            context = {"message": exc.message, "back": reverse("customer_contract", args=[token])}
            response = render(request, "contracts/customer/error.html", context, status=exc.status_code)
        return _private(response)

    return wrapper


def _sign_page(request, contract: Contract, token: str, *, form=None, code_form=None, status=200):
    challenge = request.session.get(_session_key(contract))
    code_required = PortalSettings.load().require_sms_code and not signing.contract_code_verified(
        contract=contract, challenge=challenge
    )
    context = {
        "contract": contract,
        "token": token,
        "summary": signing.contract_summary(contract),
        "terms": terms_html(contract.terms_snapshot),
        "version": contract.template.version if contract.template_id else None,
        "consent": contract.consent_snapshot,
        "document_sha256": signing.contract_document_sha256(contract),
        "form": form or SignForm(),
        "code_required": code_required,
        "code_sent": bool(challenge),
        "code_form": code_form or CodeForm(),
    }
    return render(request, "contracts/customer/sign.html", context, status=status)


def _tracking_page(request, contract: Contract, token: str):
    context = {
        "contract": contract,
        "token": token,
        "signature": contract.signature,
        "timeline": contract_timeline(contract=contract),
    }
    return render(request, "contracts/customer/tracking.html", context)


@require_GET
@customer_page
def contract_page(request, *, contract: Contract, token: str):
    if contract.status in signing.SIGNABLE:
        contract = signing.contract_view(contract=contract, actor=_customer(request))
        return _sign_page(request, contract, token)
    if contract.status in signing.ALREADY_SIGNED:
        return _tracking_page(request, contract, token)
    raise Http404("Not open to the customer.")


@customer_form
def contract_sign_view(request, *, contract: Contract, token: str):
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            signing.contract_sign(
                contract=contract,
                signer_name=form.cleaned_data["signer_name"],
                consent=form.cleaned_data["consent"],
                image_png=form.cleaned_data["signature"],
                document_sha256=form.cleaned_data["document_sha256"],
                actor=_customer(request),
                code_challenge=request.session.get(_session_key(contract)),
            )
            return HttpResponseRedirect(reverse("customer_contract", args=[token]), status=303)
        except ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            if exc.status_code != 400:
                raise
            form.add_error(None, exc.message)
    return _sign_page(request, contract, token, form=form, status=400)


@customer_form
def code_send_view(request, *, contract: Contract, token: str):
    request.session[_session_key(contract)] = signing.contract_code_send(
        contract=contract, actor=_customer(request)
    )
    return HttpResponseRedirect(reverse("customer_contract", args=[token]) + "#sign", status=303)


@customer_form
def code_verify_view(request, *, contract: Contract, token: str):
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        try:
            signing.contract_code_verify(
                contract=contract,
                challenge=request.session.get(_session_key(contract), ""),
                code=code_form.cleaned_data["code"],
                actor=_customer(request),
            )
            return HttpResponseRedirect(reverse("customer_contract", args=[token]) + "#sign", status=303)
        except ValidationError as exc:
            code_form.add_error("code", exc)
        except signing.SigningCodeFailed as exc:
            code_form.add_error("code", exc.message)
    return _sign_page(request, contract, token, code_form=code_form, status=400)


@require_GET
@customer_page
def sealed_pdf(request, *, contract: Contract, token: str):
    """The sealed PDF, only through the link (it is not under /media/)."""
    if not contract.sealed_pdf:
        raise Http404("Not sealed yet.")
    return FileResponse(
        contract.sealed_pdf.open("rb"),
        as_attachment=True,
        filename=f"{contract.reference}.pdf",
        content_type="application/pdf",
    )
