from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts, signing and tracking"

    def ready(self):
        # tracking starts on signing; SMS delivery reports reach the audit trail.
        from contracts.services import tracking  # noqa: F401
        from contracts.services.sealing import contract_seal_queue
        from contracts.signals import contract_signed

        # a signature is sealed into the PDF by the worker once it has committed.
        contract_signed.connect(contract_seal_queue, dispatch_uid="contracts.sealing")
