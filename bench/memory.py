"""The business memory's hybrid search against an unindexed ILIKE scan, at 10,000 and 100,000 entries.

The stack is the bench's own (bench/stack.py): a private PostgreSQL and Redis in a temporary directory,
deleted at the end with the tenant and its schema. One tenant, `membench`, gets generated memory entries
(a vehicle shipper's facts: cities, vehicles, services, prices, customers' names; a third with a
question as title) with the hash embedder's vectors (EMBEDDING_BACKEND=hash, deterministic), bulk-
loaded: COPY into a staging table, then one INSERT … SELECT that writes each row's weighted tsvector
the way chat.services.memory does; the GIN and HNSW indexes are rebuilt after each load (as one
would for a bulk import). Then ~200 visitors' questions, generated from the same vocabulary:

- **hybrid**: chat.selectors.memory_search (the service the widget calls: the question's words
  weighted by rarity, the HNSW top 50 by cosine, reciprocal rank fusion), limit 10;
- **scan** (the reference): the same question's words as ILIKE patterns over title and text, the
  entries holding most of them first, limit 10 — what a search without an index does (for every
  --scan-every'th question: it reads every entry, seconds each at 100,000).

p50/p95 of each at 10,000 and 100,000 entries; the last line is scan p95 / hybrid p95 at 100,000
(target ≥ 20×, and the hybrid p95 about flat from 10,000 to 100,000).

    .venv/bin/python bench/memory.py [--queries 200] [--small 10000] [--large 100000]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import Result, prepare, stack  # noqa: E402

DB = "inkwell_memory"
SEED = 20

CITIES = [
    "toronto",
    "vancouver",
    "montreal",
    "calgary",
    "edmonton",
    "ottawa",
    "winnipeg",
    "halifax",
    "regina",
    "saskatoon",
    "victoria",
    "kelowna",
    "kamloops",
    "moncton",
    "fredericton",
    "charlottetown",
    "quebec",
    "sherbrooke",
    "laval",
    "mississauga",
    "brampton",
    "hamilton",
    "london",
    "kitchener",
    "windsor",
    "sudbury",
    "thunder-bay",
    "barrie",
    "kingston",
    "gatineau",
    "saguenay",
    "trois-rivieres",
    "red-deer",
    "lethbridge",
    "nanaimo",
    "whitehorse",
    "yellowknife",
    "iqaluit",
    "miami",
    "orlando",
    "tampa",
    "phoenix",
    "scottsdale",
    "naples",
    "sarasota",
    "antwerp",
    "bremerhaven",
    "southampton",
    "rotterdam",
    "dublin",
    "lisbon",
]
VEHICLES = [
    "sedan",
    "suv",
    "pickup",
    "minivan",
    "coupe",
    "convertible",
    "motorcycle",
    "truck",
    "van",
    "jeep",
    "tesla",
    "corvette",
    "mustang",
    "camaro",
    "civic",
    "corolla",
    "camry",
    "accord",
    "f-150",
    "silverado",
    "ram",
    "wrangler",
    "outback",
    "rav4",
    "cr-v",
    "model-3",
    "porsche",
    "ferrari",
    "bmw",
    "audi",
    "mercedes",
    "lexus",
    "volvo",
    "subaru",
    "mazda",
    "kia",
    "hyundai",
    "boat",
    "trailer",
    "rv",
]
SERVICES = [
    "open carrier",
    "enclosed trailer",
    "door-to-door pickup",
    "terminal drop-off",
    "expedited delivery",
    "container shipping",
    "roro crossing",
    "full coverage insurance",
    "carrier liability",
    "indoor storage",
    "winch loading",
    "household move",
    "snowbird run",
    "customs clearance",
    "tracking updates",
]
FILLER = [
    "the customer asked about price and timing",
    "driver confirmed the window",
    "we quoted a rate",
    "deposit received by card",
    "balance due on delivery",
    "pickup was delayed by weather",
    "the route goes through the mountains in winter",
    "keys left with the concierge",
    "photos taken at pickup",
    "the dispatcher called ahead",
    "ferry leg booked",
    "paperwork checked at the border",
]
FIRST = [
    "anna",
    "ben",
    "carla",
    "dev",
    "emma",
    "farid",
    "gia",
    "hugo",
    "ines",
    "jon",
    "kira",
    "leo",
    "maya",
    "noah",
    "olga",
    "pavel",
    "quinn",
    "rosa",
    "sam",
    "tara",
]
LAST = [
    "tremblay",
    "gagnon",
    "roy",
    "cote",
    "bouchard",
    "gauthier",
    "morin",
    "lavoie",
    "fortin",
    "gagne",
    "ouellet",
    "pelletier",
    "belanger",
    "levesque",
]
QUESTIONS = (
    "how long does it take to ship a {v} from {a} to {b}?",
    "do you ship cars to {b}",
    "price for {s} from {a}",
    "can you move my {v} to {b} next month?",
    "is {s} available in {a}",
    "what happened with {name}'s {v}",
)


def text_for(rng: random.Random, n: int) -> tuple[str, str, list[str]]:
    a, b = rng.sample(CITIES, 2)
    vehicle, service = rng.choice(VEHICLES), rng.choice(SERVICES)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    text = (
        f"{service.capitalize()} for a {vehicle} from {a} to {b} for {name}: "
        f"{rng.choice(FILLER)}; {rng.choice(FILLER)}. Quote {n:06d} at ${rng.randrange(600, 4800)}, "
        f"{rng.randrange(3, 21)} days."
    )
    title = f"How long from {a} to {b} by {service}?" if rng.random() < 0.33 else ""
    return title, text, [vehicle, a]


def question(rng: random.Random) -> str:
    a, b = rng.sample(CITIES, 2)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return rng.choice(QUESTIONS).format(v=rng.choice(VEHICLES), a=a, b=b, s=rng.choice(SERVICES), name=name)


def load(schema: str, start: int, count: int) -> float:
    """Add entries start … start+count-1 to the tenant's memory; returns the seconds it took."""
    from django.db import connection

    from chat.embeddings import HASH_MODEL, entry_document, hash_embed
    from chat.services.memory import text_digest

    began = time.perf_counter()
    rng = random.Random(SEED + start)
    buffer = io.StringIO()
    for n in range(start, start + count):
        title, text, tags = text_for(rng, n)
        vector = hash_embed(entry_document(title=title, text=text, tags=tags))
        row = (
            title,
            text,
            "{" + ",".join(tags) + "}",
            text_digest(text, title),
            "[" + ",".join(f"{x:.5f}" for x in vector) + "]",
        )
        buffer.write("\t".join(row) + "\n")
    buffer.seek(0)
    table = f'"{schema}".chat_memoryentry'
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE staging (title text, text text, tags varchar(40)[], digest text, embedding vector(256))"
        )
        with cursor.cursor.copy("COPY staging FROM STDIN") as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
        cursor.execute(
            f'DROP INDEX IF EXISTS "{schema}".chat_memory_search_gin; DROP INDEX IF EXISTS "{schema}".chat_memory_embedding_hnsw'
        )
        cursor.execute(
            f"""
            INSERT INTO {table} (title, text, source, tags, author_label, digest, search, embedding,
                                 embedding_model, created, updated)
            SELECT title, text, 'note', tags, 'bench', digest,
                   setweight(to_tsvector('english', title), 'A')
                   || setweight(to_tsvector('english', text), 'B')
                   || setweight(to_tsvector('english', array_to_string(tags, ' ')), 'C'),
                   embedding, %s, now(), now()
            FROM staging
            """,
            [HASH_MODEL],
        )
        cursor.execute("DROP TABLE staging")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(f"CREATE INDEX chat_memory_search_gin ON {table} USING gin (search)")
        cursor.execute(
            f"CREATE INDEX chat_memory_embedding_hnsw ON {table} USING hnsw (embedding vector_cosine_ops) "
            "WITH (m = 16, ef_construction = 64)"
        )
        cursor.execute(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - began


def scan(words: list[str]) -> list[int]:
    """The reference: no index can serve ILIKE '%word%'; every entry is read."""
    from django.db import connection

    score = " + ".join("((title || ' ' || text) ILIKE %s)::int" for _ in words)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM (SELECT id, {score} AS score FROM chat_memoryentry) s "  # noqa: S608
            "WHERE score > 0 ORDER BY score DESC, id LIMIT 10",
            [f"%{w}%" for w in words],
        )
        return [row[0] for row in cursor.fetchall()]


def measure(tenant, questions: list[str], scan_every: int) -> tuple[Result, Result]:
    from django_tenants.utils import tenant_context

    from chat.embeddings import _words
    from chat.selectors import memory_search

    hybrid, reference = Result(), Result()
    with tenant_context(tenant):
        for q in questions[:10]:  # warm-up: caches, the planner's statistics
            memory_search(query=q)
            scan(_words(q))
        for n, q in enumerate(questions):
            started = time.perf_counter()
            found = memory_search(query=q)
            hybrid.latencies_ms.append((time.perf_counter() - started) * 1000)
            if not found:
                hybrid.error("no result")
            if n % scan_every:
                continue
            words = _words(q)
            started = time.perf_counter()
            scan(words)
            reference.latencies_ms.append((time.perf_counter() - started) * 1000)
    return hybrid, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument(
        "--scan-every", type=int, default=5, help="scan for every n-th question only (it reads every entry)"
    )
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("--small must be positive and below --large")
    with stack(name="memory", database=DB, env={"EMBEDDING_BACKEND": "hash"}) as s:
        provisioned = prepare(s, subdomain="membench", business="Memory Bench", pool=False)
        tenant = provisioned.tenant
        rng = random.Random(SEED)
        questions = [question(rng) for _ in range(args.queries)]
        results = {}
        loaded = 0
        for size in (args.small, args.large):
            seconds = load(tenant.schema_name, loaded, size - loaded)
            loaded = size
            print(f"{size:,} entries loaded (vectors, tsvectors, GIN and HNSW indexes) in {seconds:.1f} s")
            results[size] = measure(tenant, questions, args.scan_every)
        print(
            f"{args.queries} questions one at a time in this process through chat.selectors.memory_search; "
            f"the scan for every {args.scan_every}th of them"
        )
        for size, (hybrid, reference) in results.items():
            print(
                f"{size:>7,} entries: hybrid p50 {hybrid.p50:7.2f} ms, p95 {hybrid.p95:7.2f} ms"
                f"{hybrid.error_kinds}; ILIKE scan p50 {reference.p50:7.2f} ms, p95 {reference.p95:7.2f} ms"
            )
        small, large = results[args.small][0], results[args.large][0]
        print(f"hybrid p95 at {args.large:,} / at {args.small:,}: {large.p95 / small.p95:.2f}x")
        from django.db import connection

        from tenants.models import Tenant

        with connection.cursor() as cursor:  # the whole server goes with the stack; the schema first anyway
            cursor.execute(f'DROP SCHEMA "{tenant.schema_name}" CASCADE')
        Tenant.objects.filter(pk=tenant.pk).delete()
        reference_large = results[args.large][1]
        print(
            f"ratio ILIKE scan / hybrid p95 at {args.large:,} entries: {reference_large.p95 / large.p95:.1f}x"
        )


if __name__ == "__main__":
    main()
