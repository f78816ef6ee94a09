from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = "Contracts, signing and tracking"

    def ready(self):
        # c-track (issue 15 §8, §10): tracking starts on signing; SMS delivery reports reach the audit trail.
        from contracts.services import tracking  # noqa: F401
