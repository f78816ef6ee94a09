from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts, signing and tracking"

    def ready(self):
        from contracts.services.sealing import contract_seal_queue
        from contracts.signals import contract_signed

        # c-seal: a signature is sealed into the PDF by the worker once it has committed.
        contract_signed.connect(contract_seal_queue, dispatch_uid="contracts.sealing")
