from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name

from tenants.services.schema_migrations import AlreadyRunning, tenants_migrate


class Command(BaseCommand):
    help = (
        "Migrate the public schema, then the spare pool, then every tenant, in parallel; schemas "
        "already at the latest migration are skipped. Exits non-zero if any schema failed; running it "
        "again retries only the schemas still behind."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers", type=int, default=None, help="processes (default: TENANT_MIGRATION_WORKERS)"
        )
        parser.add_argument(
            "--retry-failed", action="store_true", help="give each failed schema one more try at the end"
        )
        parser.add_argument(
            "--check", action="store_true", help="migrate nothing; exit non-zero if any schema is behind"
        )
        parser.add_argument(
            "--noinput", "--no-input", action="store_true", help="accepted, never asks anyway"
        )

    def handle(self, *args, **opts):
        try:
            report = tenants_migrate(
                workers=opts["workers"],
                verbosity=opts["verbosity"],
                retry_failed=opts["retry_failed"],
                check=opts["check"],
                progress=self.stdout.write,
            )
        except AlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        if opts["check"]:
            if report.pending:
                raise CommandError(
                    f"{len(report.pending)} schema(s) behind: {', '.join(report.pending[:20])}"
                )
            if opts["verbosity"]:
                self.stdout.write(f"All {len(report.skipped)} schema(s) are at the latest migration.")
            return
        if opts["verbosity"]:
            self.stdout.write(
                f"{len(report.migrated)} migrated, {len(report.skipped)} already up to date, "
                f"{len(report.failed)} failed, in {report.seconds:.1f} s"
            )
        for name, error in report.failed.items():
            self.stderr.write(f"FAILED {name}: {error}")
        if get_public_schema_name() in report.failed:
            raise CommandError(
                "The public schema failed to migrate, so no tenant schema was migrated (they may depend "
                "on it). Fix the cause and run migrate_tenants again."
            )
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} schema(s) failed to migrate (listed above); the others are done. "
                "Fix the cause and run migrate_tenants again: it retries only the schemas still behind."
            )
