"""CSV export and import of leads. An import is all or nothing: every row is checked first, each
bad row is reported with its line number, and only a file with no bad row is stored (in one
transaction, through the same dedupe as every other lead)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db import transaction

from contracts.services.events import Actor
from inkwell.errors import DomainError
from marketing.error_codes import MarketingErrorCode
from marketing.models import Lead
from marketing.services.leads import lead_save, lead_validate

# The columns an import may have (only `name` and one of `phone`/`email` are needed), in export order.
IMPORT_COLUMNS = (
    "name",
    "phone",
    "email",
    "service_type",
    "origin",
    "destination",
    "preferred_date",
    "vehicle",
    "message",
    "consent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "landing_page",
    "referrer",
)
EXPORT_COLUMNS = ("id", "created", "status", "source", *IMPORT_COLUMNS)
MAX_IMPORT_ROWS = 5000
CONSENT_WORDS = {"": False, "no": False, "false": False, "0": False, "yes": True, "true": True, "1": True}
# A cell a spreadsheet would run as a formula; phone numbers (+14165550123) stay as they are.
FORMULA_START = ("=", "@", "\t", "\r", "+", "-")


class LeadImportInvalid(DomainError):
    """The file has bad rows; `errors` lists (line number, message) for each. Nothing was stored."""

    default_code = MarketingErrorCode.IMPORT_INVALID

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} problem(s) found; nothing was imported.")
        self.errors = errors


def _cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not text[1:].isdigit():
        return "'" + text
    return text


def leads_csv_rows(leads: Iterable[Lead]) -> Iterator[list[str]]:
    """The header, then one row per lead (safe to open in a spreadsheet)."""
    yield list(EXPORT_COLUMNS)
    for lead in leads:
        yield [_cell(getattr(lead, column)) for column in EXPORT_COLUMNS]


def _row_errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def leads_import(*, text: str, actor: Actor) -> tuple[int, int]:
    """Import the CSV `text` (a header row naming IMPORT_COLUMNS). Returns (new leads, merged
    duplicates). Raises LeadImportInvalid listing every bad line; then nothing is stored."""
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip().lower() for column in reader.fieldnames or []]
    unknown = [column for column in header if column not in IMPORT_COLUMNS]
    if not header or "name" not in header or unknown:
        raise LeadImportInvalid(
            [(1, f"The first line names the columns: name plus any of {', '.join(IMPORT_COLUMNS[1:])}.")]
        )
    reader.fieldnames = header
    leads, errors = [], []
    for row in reader:
        line = reader.line_num
        if len(leads) + len(errors) >= MAX_IMPORT_ROWS:
            errors.append((line, f"A file holds at most {MAX_IMPORT_ROWS} leads; split it."))
            break
        if None in row:
            errors.append((line, "This line has more cells than the header has columns."))
            continue
        data = {key: (value or "").strip() for key, value in row.items()}
        consent = data.pop("consent", "").lower()
        if consent not in CONSENT_WORDS:
            errors.append((line, "consent: use yes or no."))
            continue
        data = {key: value for key, value in data.items() if value}
        try:
            leads.append(lead_validate(data={**data, "consent": CONSENT_WORDS[consent], "source": "import"}))
        except ValidationError as exc:
            errors.append((line, _row_errors(exc)))
    if errors:
        raise LeadImportInvalid(errors)
    created = merged = 0
    with transaction.atomic():
        for lead in leads:
            _, new = lead_save(lead=lead, actor=actor)
            created, merged = created + new, merged + (not new)
    return created, merged
