"""The `demo` connector: generated search, traffic and Ads rows shaped on a small vehicle-shipping and
moving company in Vaughan, Ontario.

Over a year it averages about 627 clicks and 41,870 impressions per 28 days in search (a few hundred
queries over a few dozen pages), about 116 sessions a day at ~44 % bounce and about 105 `lead_form`
events a week, with busier weekdays than weekends and a May–September moving season. Every number
is drawn from a random generator seeded by (tenant schema, day), so fetching a day again gives the
same rows, and a day's rows never depend on which window it was fetched in.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from marketing.connectors.base import AdsRow, Row, SearchRow, TrafficRow

NAME = "demo"

# (path, share of the site's search demand); the first four are the demo site's landing pages.
PAGES: list[tuple[str, float]] = [
    ("/", 10), ("/vehicle-shipping/", 9), ("/europe-shipping/", 7), ("/moving/", 8),
    ("/car-shipping-toronto-to-vancouver/", 5), ("/car-shipping-to-florida/", 4), ("/ship-car-overseas/", 5),
    ("/container-shipping/", 3), ("/roro-shipping/", 3), ("/shipping-to-italy/", 4), ("/shipping-to-germany/", 2),
    ("/shipping-to-poland/", 2), ("/shipping-to-portugal/", 2), ("/long-distance-moving/", 4),
    ("/local-movers-vaughan/", 4), ("/office-moving/", 1.5), ("/packing-services/", 1.5), ("/storage/", 1.5),
    ("/motorcycle-shipping/", 1), ("/boat-shipping/", 0.8), ("/car-shipping-cost/", 3), ("/faq/", 1),
    ("/contact/", 1), ("/quote/", 1.2), ("/about/", 0.6), ("/reviews/", 0.8),
    ("/blog/how-to-ship-a-car-to-europe/", 1.5), ("/blog/moving-checklist/", 1.2),
    ("/blog/snowbird-car-shipping/", 1.2), ("/blog/car-shipping-cost-canada/", 1.5),
    ("/blog/roro-vs-container/", 0.8), ("/blog/customs-documents-for-shipping-a-car/", 0.8),
]  # fmt: skip

ORIGINS = ["toronto", "vaughan", "ontario", "mississauga", "gta", "woodbridge"]
CANADA = ["vancouver", "calgary", "edmonton", "halifax", "montreal", "winnipeg", "bc", "alberta"]
EUROPE = ["italy", "germany", "poland", "portugal", "uk", "greece", "croatia", "netherlands"]

# (query templates, the page they land on); {o} an origin, {d} a destination.
QUERY_FAMILIES: list[tuple[list[str], str]] = [
    (["car shipping {o} to {d}", "ship car {o} to {d}", "auto transport {o} to {d}"], "/car-shipping-toronto-to-vancouver/"),
    (["ship car overseas from canada", "ship car to {e}", "car shipping canada to {e}", "shipping a car to {e} from canada",
      "how much to ship a car to {e}"], "/ship-car-overseas/"),
    (["car shipping to florida", "snowbird car shipping", "ship car {o} to florida", "auto transport ontario to florida"],
     "/car-shipping-to-florida/"),
    (["vehicle shipping {o}", "car shipping company {o}", "car transport {o}", "vehicle transport company {o}"],
     "/vehicle-shipping/"),
    (["shipping container to {e}", "container shipping {o} to {e}", "20ft container to {e}"], "/container-shipping/"),
    (["roro shipping canada", "roro shipping to {e}", "roll on roll off shipping {o}"], "/roro-shipping/"),
    (["movers {o}", "moving company {o}", "cheap movers {o}", "best movers {o}", "local movers {o}"], "/moving/"),
    (["long distance movers {o}", "moving {o} to {d}", "movers {o} to {d}"], "/long-distance-moving/"),
    (["shipping to italy from canada", "ship furniture to italy", "moving to italy from canada", "ship car to sicily",
      "ship car to palermo"], "/shipping-to-italy/"),
    (["europe shipping company", "shipping to europe from toronto", "ship household goods to europe",
      "moving to {e} from canada"], "/europe-shipping/"),
    (["car shipping cost", "how much does it cost to ship a car", "car shipping cost {o} to {d}",
      "car shipping quote {o}"], "/car-shipping-cost/"),
    (["office movers {o}", "commercial moving {o}"], "/office-moving/"),
    (["packing services {o}", "packing and moving {o}"], "/packing-services/"),
    (["storage {o}", "moving and storage {o}"], "/storage/"),
    (["motorcycle shipping {o}", "ship motorcycle to {e}"], "/motorcycle-shipping/"),
    (["boat shipping ontario", "ship boat to florida"], "/boat-shipping/"),
    (["scilla transport", "scilla transport reviews", "scilla moving", "scilla transport vaughan"], "/"),
    (["moving checklist", "moving checklist canada"], "/blog/moving-checklist/"),
    (["documents needed to ship a car overseas", "export car from canada customs"],
     "/blog/customs-documents-for-shipping-a-car/"),
    (["roro vs container", "roro or container car shipping"], "/blog/roro-vs-container/"),
    (["how to ship a car to europe", "shipping car to europe cost"], "/blog/how-to-ship-a-car-to-europe/"),
    (["ship car to germany from canada", "moving to germany from toronto"], "/shipping-to-germany/"),
    (["shipping to poland from canada", "ship car to poland"], "/shipping-to-poland/"),
    (["shipping to portugal from canada", "ship car to azores"], "/shipping-to-portugal/"),
    (["shipping car to florida for the winter", "snowbird checklist car"], "/blog/snowbird-car-shipping/"),
    (["car shipping cost canada", "average cost to ship a car in canada"], "/blog/car-shipping-cost-canada/"),
    (["car shipping quote", "free moving quote vaughan"], "/quote/"),
    (["scilla transport phone number", "scilla transport contact"], "/contact/"),
    (["can i ship personal items in my car", "is my car insured during shipping"], "/faq/"),
    (["scilla transport google reviews"], "/reviews/"),
    (["scilla transport owner"], "/about/"),
]  # fmt: skip

DEVICES = [("MOBILE", 0.62), ("DESKTOP", 0.34), ("TABLET", 0.04)]
FOREIGN = ["usa", "ita", "gbr", "deu", "pol", "prt"]

# Channel: (share of sessions, bounce rate, landing pages it mostly lands on)
CHANNELS: dict[str, tuple[float, float, list[str]]] = {
    "Organic Search": (0.46, 0.42, []),  # [] = the search pages, by their search share
    "Direct": (0.22, 0.38, ["/", "/quote/", "/contact/", "/vehicle-shipping/", "/moving/"]),
    "Paid Search": (
        0.14,
        0.52,
        ["/vehicle-shipping/", "/europe-shipping/", "/moving/", "/car-shipping-to-florida/"],
    ),
    "Referral": (0.07, 0.40, ["/", "/reviews/", "/europe-shipping/"]),
    "Organic Social": (0.07, 0.58, ["/", "/moving/", "/blog/moving-checklist/"]),
    "Email": (0.04, 0.35, ["/", "/quote/"]),
}

# (id, name, typical daily impressions, CTR, cost per click, conversion rate, months it runs)
CAMPAIGNS = [
    ("20481001", "Car shipping – Ontario (search)", 130, 0.055, 2.4, 0.09, range(1, 13)),
    ("20481002", "Europe shipping – Italy & Portugal", 80, 0.047, 3.1, 0.07, range(1, 13)),
    ("20481003", "Moving season – GTA movers", 160, 0.061, 2.8, 0.08, range(4, 10)),
    ("20481004", "Snowbirds – ship your car to Florida", 95, 0.052, 2.2, 0.10, (9, 10, 11, 12, 1)),
]

SEARCH_IMPRESSIONS_PER_DAY = 41_870 / 28
SESSIONS_PER_DAY = 116
LEAD_FORMS_PER_SESSION = 105 / 7 / SESSIONS_PER_DAY
PHONE_CLICKS_PER_SESSION = 0.035
WEEKDAY = [1.10, 1.12, 1.10, 1.08, 1.00, 0.80, 0.80]  # Monday first; averages 1.0


def _seed(*parts) -> int:
    return int.from_bytes(hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def season(day: date) -> float:
    """Demand relative to the year's mean: highest mid-July, above 1 from May to September."""
    return 1 + 0.38 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25)


def _trend(day: date) -> float:
    # about 8 % more demand a year, level at the start of 2026
    return 1 + 0.08 * (day - date(2026, 1, 1)).days / 365.25


def _ctr(position: float) -> float:
    # click-through by average position, a smooth curve scaled so the whole site lands near 1.5 %
    if position <= 10:
        return 0.26 / position**1.1
    return 0.0205 * (10 / position) ** 2.5


def _round(value: float, rng: random.Random) -> int:
    """Stochastic rounding: an integer whose expected value is `value`."""
    whole = int(value)
    return whole + (rng.random() < value - whole)


@lru_cache(maxsize=256)
def _profile(schema: str) -> tuple[list[tuple[str, str, float, float, float]], float]:
    """The tenant's queries: (query, path, share of demand, base position, phase of its drift), and
    the sum of shares. Fixed per schema, so all days of a tenant draw from the same vocabulary."""
    rng = random.Random(_seed("profile", schema))
    page_share = dict(PAGES)
    queries: dict[str, tuple[str, float, bool]] = {}
    for templates, path in QUERY_FAMILIES:
        for template in templates:
            if "{d}" in template:
                texts = [template.format(o=o, d=d) for o in ORIGINS for d in CANADA]
            elif "{e}" in template:
                texts = [template.format(o=o, e=e) for o in ORIGINS for e in EUROPE]
            else:
                texts = [template.format(o=o) for o in ORIGINS]
            for text in texts:
                queries.setdefault(text, (path, page_share[path], "{" in template))
    # Every fixed phrase (the brand's among them), then a tenant-specific pick of the combinations.
    ranked = sorted(queries.items(), key=lambda item: (item[1][2], _seed(schema, item[0])))[:280]
    profile = []
    for rank, (text, (path, share, _)) in enumerate(ranked):
        brand = text.startswith("scilla")
        weight = share * (0.15 if brand else 1.0) / (1 + rank / 6) ** 1.25
        position = 1.1 + rng.random() * 0.4 if brand else 5 + rng.random() ** 0.7 * 45
        profile.append((text, path, weight, position, rng.random() * 2 * math.pi))
    return profile, sum(p[2] for p in profile)


class DemoConnector:
    name = NAME

    def fetch(self, tenant, start: date, end: date) -> Iterator[Row]:
        schema = tenant.schema_name
        base = f"https://{tenant.subdomain or schema}.example"
        day = start
        while day <= end:
            yield from self.day_rows(schema, base, day)
            day += timedelta(days=1)

    def day_rows(self, schema: str, base: str, day: date) -> Iterator[Row]:
        rng = random.Random(_seed(schema, day.isoformat()))
        level = season(day) * WEEKDAY[day.weekday()] * _trend(day) * (0.92 + rng.random() * 0.16)
        yield from self._search(schema, base, day, level, rng)
        yield from self._traffic(schema, day, level, rng)
        yield from self._ads(day, rng)

    def _search(self, schema, base, day, level, rng) -> Iterator[SearchRow]:
        profile, total = _profile(schema)
        scale = SEARCH_IMPRESSIONS_PER_DAY * level / total
        ordinal = day.toordinal()
        for text, path, weight, position, phase in profile:
            impressions = _round(weight * scale * (0.7 + rng.random() * 0.6), rng)
            if not impressions:
                continue
            # Rankings drift slowly (a quarter-long swing per query), so weeks have winners and losers.
            pos = max(
                1.0, position * (1 + 0.12 * math.sin(ordinal / 14.5 + phase)) + rng.random() * 0.6 - 0.3
            )
            country = "can" if rng.random() < 0.9 else FOREIGN[int(rng.random() * len(FOREIGN))]
            if impressions < 25:  # a small row is one device, as Search Console shows them
                split = [("MOBILE" if rng.random() < 0.64 else "DESKTOP", impressions)]
            else:
                split = [(device, _round(impressions * share, rng)) for device, share in DEVICES]
            for device, n in split:
                if n:
                    clicks = min(n, _round(n * _ctr(pos), rng))
                    yield SearchRow(day, text, base + path, device, country, clicks, n, round(pos, 2), True)

    def _traffic(self, schema, day, level, rng) -> Iterator[TrafficRow]:
        sessions_today = SESSIONS_PER_DAY * (1 + (level - 1) * 0.7)
        profile, total = _profile(schema)
        search_pages: dict[str, float] = {}
        for _, path, weight, _, _ in profile:
            search_pages[path] = search_pages.get(path, 0) + weight
        for channel, (share, bounce, pages) in CHANNELS.items():
            weights = (
                {p: w / total for p, w in search_pages.items()}
                if not pages
                else {p: 1 / (i + 1) for i, p in enumerate(pages)}
            )
            weight_sum = sum(weights.values())
            for path, weight in weights.items():
                sessions = _round(sessions_today * share * weight / weight_sum, rng)
                if not sessions:
                    continue
                bounced = _round(sessions * (bounce + rng.random() * 0.08 - 0.04), rng)
                bounced = min(bounced, sessions)
                users = max(1, _round(sessions * 0.88, rng))
                events = {
                    "lead_form": _round(sessions * LEAD_FORMS_PER_SESSION * WEEKDAY[day.weekday()], rng),
                    "phone_click": _round(sessions * PHONE_CLICKS_PER_SESSION, rng),
                }
                yield TrafficRow(
                    day=day,
                    channel=channel,
                    landing_page=path,
                    sessions=sessions,
                    users=users,
                    new_users=_round(users * 0.74, rng),
                    engaged_sessions=sessions - bounced,
                    bounce_rate=bounced / sessions,
                    avg_session_duration=round(60 + rng.random() * 90, 1),
                    key_events={name: n for name, n in events.items() if n},
                )

    def _ads(self, day, rng) -> Iterator[AdsRow]:
        weekday = WEEKDAY[day.weekday()]
        for campaign_id, name, impressions, ctr, cpc, conversion, months in CAMPAIGNS:
            if day.month not in months:
                continue
            shown = _round(impressions * weekday * (0.85 + rng.random() * 0.3), rng)
            clicks = _round(shown * ctr * (0.8 + rng.random() * 0.4), rng)
            cost = Decimal(str(round(clicks * cpc * (0.85 + rng.random() * 0.3), 2)))
            conversions = Decimal(_round(clicks * conversion, rng))
            yield AdsRow(day, campaign_id, name, shown, clicks, cost, conversions)
