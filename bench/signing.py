"""Customer signs → sealed PDF stored: the full path through the web, the queue and a worker, against the floor.

The stack is the bench's own: a private PostgreSQL (pgserver, in a temporary data directory, deleted
at the end), a private embedded Redis, one migrated database with one tenant (`signbench`), a media
directory and a state directory (where the seal's certificate is generated) in the same temporary
directory, one uvicorn process (as `make run` starts it) on --port and a Celery worker started as
`make run` starts it (`--concurrency 2`). Requests go to 127.0.0.1 with a Host header (`*.localhost`
does not resolve through Python here).

- full path, per contract, one at a time: the customer's link (a fresh one from `contract_link_issue`
  in this process) is opened with a GET, untimed, for what the signing form carries (the hash of the
  document shown); then the timing starts at the customer's POST /c/<token>/sign/ (the web process
  validates the drawn PNG, stores the signature, moves the contract to `signed` and queues the seal
  on commit), then Redis, the worker (render with WeasyPrint, seal with pyHanko, store the file,
  move to `sealed`), until this process is told the contract is `sealed` (a NOTIFY from a
  bench-only trigger, delivered when the worker's transaction commits) and finds its file stored.
- floor: the same contracts rendered and sealed directly in this one process (`contract_pdf_render`
  then `contract_pdf_seal`): the irreducible work.

Both get untimed warm-up runs first (fonts, templates, the certificate). p50/p95 of each are
printed, and the ratio full path / floor (p50) last.

    .venv/bin/python bench/signing.py [--contracts 50] [--port 8201]    # or: make bench
"""

from __future__ import annotations

import argparse
import base64
import http.client
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import (  # noqa: E402
    percentile,
    port_check,
    prepare,
    stack,
    start_web,
    start_worker,
    stop_process,
)

DB = "inkwell_signing"
SUBDOMAIN = "signbench"
WARM_UP = 3
POLL_SECONDS = 0.01


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--contracts", type=int, default=50, help="contracts timed per path (default 50)")
    parser.add_argument("--port", type=int, default=8201, help="port for the web server (default 8201)")
    args = parser.parse_args()
    if args.contracts < 1:
        parser.error("--contracts must be at least 1")
    port_check(parser, args.port)
    return args


def make_sent_contracts(owner_user, count: int) -> list:
    """`count` contracts created and sent by the tenant's owner (their links are queued)."""
    from decimal import Decimal

    from contracts.services.contracts import contract_create, contract_send
    from contracts.services.events import Actor

    owner = Actor(type="owner", user=owner_user)
    data = dict(
        customer_name="Ada Client", customer_email="ada@example.com", customer_phone="+14165550777",
        vehicle_year=2019, vehicle_make="Toyota", vehicle_model="RAV4", vehicle_vin="1HGCM82633A004352",
        origin="Toronto, ON", destination="Antwerp, Belgium", service_type="roro", rate=Decimal("2450.00"),
        currency="CAD", payment_terms="50% on booking, 50% before loading", inclusions="Port fees at origin",
    )  # fmt: skip
    return [
        contract_send(contract=contract_create(data=data, actor=owner), actor=owner) for _ in range(count)
    ]


def drawn_signature() -> bytes:
    """A PNG like signature_pad's: a few strokes on a transparent 600×200 canvas."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 200))
    draw = ImageDraw.Draw(image)
    draw.line([(30, 150), (90, 40), (140, 160), (200, 60), (260, 150), (330, 70), (420, 140), (560, 90)],
              fill="black", width=4, joint="curve")  # fmt: skip
    output = BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def sign_in_process(contract, image: bytes) -> None:
    """The floor's contracts: the Signature row and the move to `signed` as signing stores them, without
    the `contract_signed` signal (nothing is queued; this process seals them itself)."""
    from django.db import transaction
    from django.utils import timezone

    from contracts.models import Contract, Signature
    from contracts.services.events import Actor
    from contracts.services.status import contract_lock, contract_transition

    customer = Actor(type="customer", label="Ada Client", ip="203.0.113.9", user_agent="Mozilla/5.0 (bench)")
    with transaction.atomic():
        locked = contract_lock(contract.pk)
        Signature.objects.create(
            contract=locked, signer_name="Ada Client", image_png=image, signed_at=timezone.now(),
            ip=customer.ip, user_agent=customer.user_agent, consent_text=locked.consent_snapshot,
            terms_version=locked.template.version, document_sha256="ab" * 32,
        )  # fmt: skip
        contract_transition(contract=locked, to=Contract.Status.SIGNED, actor=customer)


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One request as the customer's phone makes it, on its own connection, to the tenant's host."""
    headers = {"Host": f"{SUBDOMAIN}.localhost:{port}", "User-Agent": "Mozilla/5.0 (bench)"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def signing_form(port: int, token: str, image: bytes) -> bytes:
    """Open the customer's link (records `viewed`) and fill in its signing form as sign.js would."""
    status, page = request(port, "GET", f"/c/{token}/")
    found = re.search(rb'name="document_sha256" value="([0-9a-f]{64})"', page)
    if status != 200 or found is None:
        raise RuntimeError(f"the customer's page answered {status} without a signing form")
    return urllib.parse.urlencode({
        "signer_name": "Ada Client",
        "consent": "on",
        "signature": "data:image/png;base64," + base64.b64encode(image).decode(),
        "document_sha256": found.group(1).decode(),
    }).encode()  # fmt: skip


def listen_for_seals(database_url: str, schema: str):
    """A connection told (NOTIFY, delivered at commit) when a contract of `schema` becomes sealed, so
    the bench waits without polling the database while the worker works beside it."""
    import psycopg

    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute(f"""
        CREATE OR REPLACE FUNCTION "{schema}".bench_notify_sealed() RETURNS trigger AS $$
        BEGIN PERFORM pg_notify('bench_sealed', NEW.id::text); RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER bench_notify_sealed AFTER UPDATE OF status ON "{schema}".contracts_contract
        FOR EACH ROW WHEN (NEW.status = 'sealed') EXECUTE FUNCTION "{schema}".bench_notify_sealed();
        LISTEN bench_sealed;
    """)  # noqa: S608 (the bench's own schema name)
    return conn


def wait(check, timeout: float, what: str, worker: subprocess.Popen, log: Path) -> None:
    """Poll `check` until it is true; fail if the worker dies or it takes longer than `timeout`."""
    deadline = time.monotonic() + timeout
    while not check():
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with code {worker.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout} s; see {log}")
        time.sleep(POLL_SECONDS)


def main() -> None:
    args = parse_args()
    worker = web = listener = None
    # The bench's process and the worker share the stack's state directory, so they seal with the
    # same generated certificate.
    with stack(name="signing", database=DB) as s:
        log, web_log = s.workdir / "worker.log", s.workdir / "web.log"
        env = s.env
        try:
            provisioned = prepare(s, subdomain=SUBDOMAIN, business="Signing Bench Movers")
            tenant = provisioned.tenant

            from django.conf import settings
            from django.core.files.storage import default_storage
            from django.db import connections
            from django_tenants.utils import tenant_context

            from contracts.models import Contract
            from contracts.pdf import contract_pdf_render
            from contracts.services.certificate import seal_credentials
            from contracts.services.links import contract_link_issue
            from contracts.services.sealing import contract_pdf_seal

            total = WARM_UP + args.contracts
            with tenant_context(tenant):
                contracts = make_sent_contracts(provisioned.owner, total)
                # The floor's own contracts, signed without the signal: the state the worker renders.
                floor_contracts = make_sent_contracts(provisioned.owner, total)
            connections.close_all()
            listener = listen_for_seals(env["DATABASE_URL"], tenant.schema_name)
            worker = start_worker(env, log)
            web = start_web(env, args.port, web_log)

            full: list[float] = []
            image = drawn_signature()
            with tenant_context(tenant):
                wait(lambda: Contract.objects.filter(events__kind="link_delivered").count() == 2 * total, 120,
                     "delivering the links", worker, log)  # fmt: skip
                # Issued after the worker's deliveries, which would otherwise replace them.
                tokens = [contract_link_issue(contract=Contract.objects.get(pk=c.pk)) for c in contracts]
                for index, (contract, token) in enumerate(zip(contracts, tokens, strict=True)):
                    form = signing_form(args.port, token, image)
                    start = time.perf_counter()
                    status, _ = request(args.port, "POST", f"/c/{token}/sign/", form)
                    if status != 303:
                        raise RuntimeError(f"signing {contract.reference} answered {status}; see {web_log}")
                    notified = next(listener.notifies(timeout=60, stop_after=1), None)
                    elapsed = (time.perf_counter() - start) * 1000
                    if notified is None or notified.payload != str(contract.pk):
                        raise RuntimeError(f"{contract.reference} was not sealed within 60 s; see {log}")
                    stored = Contract.objects.get(pk=contract.pk).sealed_pdf.name
                    assert default_storage.exists(stored), stored
                    if index >= WARM_UP:
                        full.append(elapsed)

                floor: list[float] = []
                extra = {
                    "seal_fingerprint": seal_credentials().fingerprint,
                    "deployment": settings.INKWELL_PUBLIC_URL,
                }
                for contract in floor_contracts:
                    sign_in_process(contract, image)
                for index, contract in enumerate(floor_contracts):
                    contract = Contract.objects.get(pk=contract.pk)
                    start = time.perf_counter()
                    pdf = contract_pdf_render(contract=contract, extra=extra)
                    contract_pdf_seal(pdf=pdf, reference=contract.reference)
                    if index >= WARM_UP:
                        floor.append((time.perf_counter() - start) * 1000)

            print(
                f"{args.contracts} contracts of 3 pages, one at a time; one uvicorn process; worker --concurrency 2; "
                "timing starts at the customer's POST …/sign/ (web → Redis → worker → storage → sealed)"
            )
            full_p50, floor_p50 = statistics.median(full), statistics.median(floor)
            print(f"full path  p50 {full_p50:7.1f} ms, p95 {percentile(full, 0.95):7.1f} ms")
            print(
                f"floor      p50 {floor_p50:7.1f} ms, p95 {percentile(floor, 0.95):7.1f} ms  (render + seal in one process)"
            )
            print(f"ratio full path / floor p50: {full_p50 / floor_p50:.2f}x")
        finally:
            stop_process(web)
            stop_process(worker)
            if listener is not None:
                listener.close()


if __name__ == "__main__":
    main()
