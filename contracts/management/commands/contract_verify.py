"""manage.py contract_verify <file.pdf>: is this an intact contract sealed by this deployment?"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contracts.services.verify import contract_pdf_verify


class Command(BaseCommand):
    help = "Check that a PDF is an intact contract sealed by this deployment (exit status 1 if not)."

    def add_arguments(self, parser):
        parser.add_argument("pdf", type=Path, help="the PDF file to check")

    def handle(self, *args, pdf: Path, **options):
        try:
            data = pdf.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {pdf}: {exc.strerror}") from exc
        result = contract_pdf_verify(data=data)
        self.stdout.write(f"{'INTACT' if result.ok else 'NOT INTACT'}: {result.reason}")
        if not result.ok:
            sys.exit(1)
