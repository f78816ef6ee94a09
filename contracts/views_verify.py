"""The dashboard's verify page: upload a PDF, learn whether it is an intact sealed contract."""

from django import forms
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from contracts.models import Contract
from contracts.services.sealing import sha256_hex
from contracts.services.verify import MAX_BYTES, contract_pdf_verify
from tenants.permissions import member_required


class VerifyForm(forms.Form):
    pdf = forms.FileField(label="Contract PDF")

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"That file is {upload.size / 1024 / 1024:.1f} MB; a sealed contract is at most "
                f"{MAX_BYTES // 1024 // 1024} MB."
            )
        return upload


@require_http_methods(["GET", "POST"])
@member_required
def contract_verify_view(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = contract = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["pdf"].read()
        result = contract_pdf_verify(data=data)
        if result.ok:
            # The seal is the deployment's; say whether the contract is also one of this business's.
            contract = Contract.objects.filter(
                reference=result.reference, sealed_sha256=sha256_hex(data)
            ).first()
    status = 400 if form.errors else 200
    return render(
        request,
        "contracts/verify.html",
        {"form": form, "result": result, "contract": contract},
        status=status,
    )
