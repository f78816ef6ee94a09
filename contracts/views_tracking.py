"""The owner's milestone form (an HTMX partial on the contract page): POST /contracts/<id>/milestones/."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contracts.models import Contract, ContractEvent
from contracts.services.events import Actor
from contracts.services.tracking import contract_milestone_move
from inkwell.errors import DomainError
from tenants.permissions import member_required


class MilestoneForm(forms.Form):
    step = forms.CharField(required=False, max_length=20)
    note = forms.CharField(required=False, max_length=500)
    eta = forms.DateField(required=False)
    correct_to = forms.CharField(required=False, max_length=20)
    reason = forms.CharField(required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if bool(data.get("step")) == bool(data.get("correct_to")):
            raise ValidationError("Choose the next step, or a step to correct back to.")
        return data


def _errors(exc: ValidationError) -> list[str]:
    return [message for messages in exc.message_dict.values() for message in messages]


@member_required
@require_POST
def contract_milestone_post(request, pk: int):
    contract = get_object_or_404(Contract, pk=pk)
    form = MilestoneForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        actor = Actor.from_request(request, type=ContractEvent.Actor.OWNER)
        try:
            contract_milestone_move(contract=contract, actor=actor, **form.cleaned_data)
        except DomainError as exc:
            errors = [exc.message]
        except ValidationError as exc:
            errors = _errors(exc)
    else:
        errors = [message for messages in form.errors.values() for message in messages]
    if not request.htmx:
        if errors:
            # Without HTMX the form's page is the contract's; the message is the answer.
            return render(request, "error.html", {"message": " ".join(errors)}, status=400)
        return redirect(f"/contracts/{contract.pk}/")
    contract.refresh_from_db()
    # 400 with the form and its message: the project's htmx config swaps it in (see base.html).
    # A saved move also replaces the page's audit trail out of band, so the new event shows.
    context = {
        "contract": contract,
        "milestone_errors": errors,
        "milestone_saved": not errors,
        "audit_oob": True,
    }
    template = "contracts/_milestone_form.html" if errors else "contracts/_milestone_saved.html"
    return render(request, template, context, status=400 if errors else 200)
