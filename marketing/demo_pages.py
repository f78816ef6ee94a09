"""The demo tenant's website: a home page and three landing pages for Scilla Transport, a family
freight company in Vaughan, Ontario, founded in 1982. Written through the page services and
published, so the demo has revisions and a live site like a real tenant's."""

from __future__ import annotations

from contracts.services.events import Actor
from marketing.models import Page
from marketing.services.pages import page_create, page_publish
from tenants.models import User

HOME = """\
```hero
# Shipping cars and moving families since 1982
From our yard in Vaughan we ship vehicles across Canada and overseas, and move homes across the
street or across the country. One family business, one phone number, one person who knows your file.
```

## What we do

- **[Vehicle shipping](/vehicle-shipping/)**: open and enclosed carriers across Canada and the US,
  door to door or terminal to terminal.
- **[Shipping to Europe](/europe-shipping/)**: cars, motorcycles and household goods to Italy,
  Portugal, Germany, Poland and the UK, by RoRo or in a container from Halifax and Montreal.
- **[Moving](/moving/)**: local and long-distance moves for homes and offices, with packing,
  crating and storage in our heated warehouse.

## Why customers keep coming back

We have been doing this for 44 years. We quote in writing, we sign contracts you can read on your
phone, and you can follow your shipment step by step until it is delivered.

```testimonials
"They shipped my father's Alfa Romeo to Palermo and it arrived without a scratch. They called me at
every step."
— Giuseppe L., Woodbridge

"Moved our four-bedroom house from Vaughan to Calgary in six days. Nothing broken, nothing missing."
— Priya R., Calgary
```

```quote
Ask for your free quote
```
"""

VEHICLE = """\
```hero
# Vehicle shipping across Canada and the US
Open carrier, enclosed carrier or a single flatbed: we pick the right truck for your car, insure it
for its full value and deliver it to your door.
```

## How it works

1. **Tell us about the car**: year, make, model, where it is and where it goes.
2. **Get a written quote** the same day, with the pickup window and the price that will be on your contract.
3. **Sign on your phone**: the contract arrives by text message; no printer, no fax.
4. **Follow it**: every step, from pickup to delivery, shows on your tracking page.

## Popular routes

| Route | Typical transit |
|---|---|
| Toronto → Vancouver | 7–10 days |
| Toronto → Calgary | 5–7 days |
| Montreal → Halifax | 3–4 days |
| Toronto → Florida (snowbird season) | 4–6 days |

```faq
Q: How much does it cost to ship a car from Toronto to Vancouver?
A: Most sedans go for between $1,600 and $2,100 on an open carrier, depending on the season.
Enclosed transport costs about 40% more. Your quote is the price on your contract.

Q: Is my car insured during transport?
A: Yes. Every carrier we use holds cargo insurance, and you can add full-value coverage on the
declared value of the vehicle when you sign.

Q: Can I put personal items in the car?
A: Up to 45 kg in the trunk, below the window line. Carriers are not licensed to move household
goods inside vehicles, so anything more goes as a separate shipment.

Q: Do you ship cars that don't run?
A: Yes, with a winch-equipped truck. Tell us when you ask for the quote.
```

```call
Talk to a dispatcher
```
"""

EUROPE = """\
```hero
# Shipping your car or belongings to Europe
Weekly sailings from Halifax and Montreal to Antwerp, Bremerhaven, Southampton, Livorno and
Salerno. We handle the export paperwork in Canada and work with agents at every port.
```

## RoRo or container?

**Roll-on/roll-off (RoRo)** is the most economical way to ship a running vehicle: it is driven onto
the ship and secured on a vehicle deck. **Container** shipping costs more but lets you send
household goods with the car, and the container is sealed from our yard to the destination port.

## What you will need

- The original ownership, and a lien release if the car was financed
- A copy of your passport
- Export declaration (we file it for you through CBSA's system)
- At destination: the import paperwork of that country; our agent will tell you which

```faq
Q: How long does it take to ship a car to Italy?
A: About three to four weeks port to port, plus a few days for customs clearance at Livorno or
Salerno.

Q: Can I ship a car and furniture in the same container?
A: Yes. A 20-foot container fits one car and a few pieces of furniture; a 40-foot fits a car and
most of a two-bedroom apartment.

Q: Do I have to pay duty in Europe?
A: It depends on the country, the age of the vehicle and whether you are moving your residence.
Returning residents often pay no duty on personal effects. Ask us and we'll put you in touch with our
agent at the destination.
```

```testimonials
"Container from Vaughan to Gdańsk with our car and twelve boxes. Everything arrived sealed, and they
dealt with all the paperwork."
— Tomasz N., Mississauga
```

```quote
Get a quote for Europe
```
"""

MOVING = """\
```hero
# Moving? We've moved Ontario families for 44 years.
Local moves in the GTA, long-distance moves across Canada, packing and storage — with the same crew
from the first box to the last.
```

## Local and long-distance moves

Our crews are our own employees, trained in our warehouse, and our trucks are padded and
climate-controlled. For long-distance moves your belongings stay on one truck, so nothing is
reloaded on the way.

- **Local moves** in Vaughan, Toronto, Mississauga, Markham and the rest of the GTA, billed by the hour
- **Long-distance moves** to Ottawa, Montreal, Calgary, Vancouver and everywhere between, at a fixed price
- **Packing and crating** for pianos, art and antiques
- **Storage** in our heated, monitored warehouse, by the month

Spring and summer fill up fast: the best dates for May to September are booked by March.

```faq
Q: How far ahead should I book my move?
A: Four to six weeks for a local move; two months for a long-distance move between May and
September.

Q: Do you give fixed prices?
A: For long-distance moves, yes: the price on your contract is the price you pay. Local moves are
billed by the hour, with a written estimate first.

Q: Are my belongings insured?
A: Basic coverage is included. You can add full replacement-value protection when you sign.
```

```quote
Get a free moving quote
```
"""

HOME_SEO_TITLE = "Scilla Transport — car shipping and moving from Vaughan, Ontario"

PAGES = [
    ("home", "Home", HOME,
     "Family-run since 1982: car shipping across Canada and to Europe, and home moves across the GTA "
     "and the country. Free written quotes."),
    ("vehicle-shipping", "Vehicle shipping", VEHICLE,
     "Ship your car across Canada or to the US: open or enclosed carriers, full-value insurance, "
     "contracts you sign on your phone. Free quote the same day."),
    ("europe-shipping", "Shipping to Europe", EUROPE,
     "Ship a car or household goods from Canada to Italy, Portugal, Germany, Poland or the UK. RoRo "
     "and container sailings every week from Halifax and Montreal."),
    ("moving", "Moving", MOVING,
     "Local and long-distance moves from Vaughan and the GTA, with packing, crating and heated "
     "storage. 44 years of moving Ontario families."),
]  # fmt: skip


def pages_demo_load(*, owner: User) -> int:
    """Write and publish the demo site in the current (demo) tenant once. Returns pages made."""
    if Page.objects.exists():
        return 0
    actor = Actor(type="owner", user=owner)
    for slug, title, body, description in PAGES:
        page = page_create(
            data={"slug": slug, "title": title, "body": body, "seo_description": description}
            | ({"seo_title": HOME_SEO_TITLE} if slug == "home" else {}),
            actor=actor,
        )
        page_publish(page=page, actor=actor)
    return len(PAGES)
