"""Run or backfill analytics ingestion by hand, with a progress bar and a summary.

manage.py ingest --tenant scilla [--connector demo] [--days 30 | --since 2025-01-01]
manage.py ingest --all
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from inkwell.errors import DomainError
from marketing.connectors.base import ConnectorError
from marketing.models import IngestionRun
from marketing.services.ingestion import (
    GOOGLE_CONNECTORS,
    ingestion_connectors,
    ingestion_run_create,
    ingestion_run_execute,
    ingestion_window,
)
from marketing.services.scoring import scores_store
from tenants.models import Tenant

BAR_WIDTH = 30


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-31."
        ) from None


class Command(BaseCommand):
    help = "Fetch analytics for one tenant or all active tenants over a trailing window or since a date."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--tenant", metavar="SUBDOMAIN", help="the tenant's subdomain")
        who.add_argument("--all", action="store_true", help="every active tenant")
        parser.add_argument(
            "--connector", choices=[*GOOGLE_CONNECTORS, "demo"], help="default: the tenant's own"
        )
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--days", type=int, help="trailing days ending yesterday (default: the nightly window)"
        )
        when.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="every day from this date")

    def handle(self, *args, tenant=None, all=False, connector=None, days=None, since=None, **options):
        active = Tenant.objects.filter(status=Tenant.Status.ACTIVE).exclude(
            schema_name=get_public_schema_name()
        )
        if tenant:
            tenants = list(active.filter(subdomain=tenant))
            if not tenants:
                raise CommandError(f"No active tenant with the subdomain {tenant!r}.")
        else:
            tenants = list(active.order_by("pk"))
        summary = {"succeeded": 0, "failed": 0, "rows": 0}
        started = time.monotonic()
        for one in tenants:
            with tenant_context(one):
                try:
                    start, end = ingestion_window(tenant=one, days=days, since=since)
                except DomainError as exc:
                    raise CommandError(exc.message) from exc
                rows_before = summary["rows"]
                for name in [connector] if connector else ingestion_connectors(tenant=one):
                    self._run(one, name, start, end, summary)
                if summary["rows"] > rows_before:  # nothing written, nothing to rescore
                    scores_store(tenant=one, start=start, end=end)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{summary['succeeded']} run(s) succeeded, {summary['failed']} failed, "
            f"{summary['rows']:,} rows in {elapsed:.1f} s across {len(tenants)} tenant(s)."
        )
        if summary["failed"]:
            raise CommandError("Some runs failed; their errors are on the ingestion runs in the admin.")

    def _run(self, tenant, name: str, start: date, end: date, summary: dict) -> None:
        label = f"{tenant.subdomain}/{name}"
        total_days = (end - start).days + 1

        def progress(day: date) -> None:
            done = (day - start).days + 1
            filled = BAR_WIDTH * done // total_days
            sys.stderr.write(
                f"\r{label:<24} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total_days} days"
            )
            sys.stderr.flush()

        try:
            run = ingestion_run_create(
                connector=name, start=start, end=end, trigger=IngestionRun.Trigger.MANUAL
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        try:
            run = ingestion_run_execute(run_id=run.pk, tenant=tenant, progress=progress)
        except ConnectorError as exc:
            sys.stderr.write("\n")
            self.stderr.write(f"{label}: failed — {exc.message}")
            summary["failed"] += 1
            return
        sys.stderr.write("\n")
        self.stdout.write(f"{label}: {run.rows:,} rows for {start} … {end}")
        summary["succeeded"] += 1
        summary["rows"] += run.rows
