"""The demo tenant's FAQ (Scilla Transport, vehicle shipping and moving across Canada and overseas
since 1982): memory entries of source "faq", the question as the title and the answer as the text,
with tags for the words visitors use that the answer doesn't. Loaded through memory_add, so a second
load merges into the same entries (nothing is duplicated). tests/chat/test_retrieval.py measures how
well visitors' questions find them."""

from __future__ import annotations

from chat.models import MemoryEntry
from chat.services.memory import memory_add

FAQ: list[tuple[str, str, list[str]]] = [
    (
        "How long does shipping a car from Toronto to Vancouver take?",
        "Toronto to Vancouver (or Vancouver to Toronto) is about 4,400 km: plan on 7 to 10 days from "
        "pickup to delivery by truck, a little longer from December to March when the mountain passes "
        "close. The transit time starts from the day we pick the vehicle up.",
        ["transit time", "delivery time", "days", "british columbia", "ontario", "cross-country"],
    ),
    (
        "How long does it take to move a vehicle between Montreal and Calgary?",
        "Montreal to Calgary, in either direction, usually takes 6 to 9 days door to door. Cars for "
        "Edmonton ride the same trucks and arrive a day after Calgary.",
        ["transit time", "delivery time", "days", "quebec", "alberta", "edmonton"],
    ),
    (
        "Do you ship cars to and from Halifax and the Maritimes?",
        "Yes. We run a weekly truck between Toronto, Montreal and Halifax that also stops in Moncton "
        "and Saint John; allow 4 to 6 days from Toronto. Newfoundland and PEI are served through "
        "Halifax with a ferry leg, add 2 to 4 days.",
        ["nova scotia", "new brunswick", "newfoundland", "east coast", "atlantic", "transit time"],
    ),
    (
        "Can you ship my vehicle overseas, for example to Europe?",
        "Yes, we ship cars overseas from the ports of Halifax, Montreal and Vancouver to Europe, the "
        "Middle East and Asia. Atlantic crossings to Antwerp, Bremerhaven or Southampton take about 2 "
        "to 3 weeks at sea, 4 to 6 weeks door to door with port handling and customs.",
        ["international", "abroad", "export", "europe", "germany", "england", "ocean freight", "port"],
    ),
    (
        "Should I choose container or RoRo shipping for an overseas move?",
        "RoRo (roll-on/roll-off) drives your car onto a vessel like a ferry; it is the cheapest option "
        "but the car must run and must be empty. A 20-foot container is sealed, lets you pack personal "
        "belongings with the car, and suits classic or high-value vehicles; a shared 40-foot container "
        "splits the cost between two or three cars.",
        ["roll on roll off", "vessel", "cheapest", "sea freight", "shared container", "compare"],
    ),
    (
        "What insurance covers my car during transport?",
        "Every shipment is covered by our carrier liability insurance at no extra charge, up to "
        "$100,000 per vehicle, for damage caused by our driver or the truck. It does not cover acts of "
        "nature such as hail, nor items left inside the vehicle.",
        ["insured", "coverage", "damage", "carrier liability", "included", "protection"],
    ),
    (
        "Do you offer full coverage insurance?",
        "Yes: full-value coverage is an optional upgrade costing 1.5% of the declared value of the "
        "vehicle. It covers every risk in transit, including hail, theft and weather, with no "
        "deductible. We recommend it for classic, exotic and overseas shipments.",
        ["insurance", "extra coverage", "declared value", "deductible", "theft", "upgrade", "premium"],
    ),
    (
        "How do I pay for a shipment, and when?",
        "A deposit of 20% confirms your booking, paid online by credit card when you accept the quote. "
        "The balance is due on delivery, before the keys are handed over. We take Visa, Mastercard, "
        "American Express, Interac e-Transfer, certified cheque and bank wire; no cash on delivery "
        "above $3,000.",
        ["payment", "deposit", "balance", "credit card", "e-transfer", "cost", "price", "pay"],
    ),
    (
        "What is included in the price of the quote?",
        "Our quotes are all-inclusive: door-to-door pickup and delivery, fuel, tolls, carrier liability "
        "insurance, and online tracking. There are no hidden fees; only full coverage insurance, "
        "enclosed trailers and storage are extra.",
        ["price", "cost", "fees", "all-in", "included", "rate", "how much", "hidden charges"],
    ),
    (
        "Do you pick up the car at my home?",
        "Yes, we pick up at your door and deliver to the door you name, anywhere a 75-foot truck can "
        "reach safely. On narrow streets or in condo towers we meet you at a nearby open lot. You get a "
        "pickup window of two days, and the driver calls a few hours before arriving.",
        ["door to door", "pickup", "collection", "address", "house", "driver", "schedule"],
    ),
    (
        "How can I track my vehicle while it is shipping?",
        "Each shipment has its own online tracking page, sent to you by text message and email when "
        "the contract is signed. It shows where your car is right now and each step from pickup to "
        "delivery, and the dispatcher posts updates from the road. You can also call dispatch any "
        "weekday.",
        ["tracking", "where is my car", "status", "updates", "location", "follow"],
    ),
    (
        "Can I leave personal items in my car?",
        "You may leave up to 45 kg (100 lb) of personal belongings in the trunk for a trip inside "
        "Canada, packed out of sight. They are not insured, and no items at all are allowed in a car "
        "going overseas by RoRo. Never leave valuables, documents, firearms or anything flammable.",
        ["belongings", "stuff", "boxes", "luggage", "trunk", "pack", "things"],
    ),
    (
        "How should I prepare my vehicle before pickup?",
        "To get your car ready, wash it so its condition can be checked, remove toll transponders, parking passes and "
        "loose accessories, leave about a quarter tank of fuel, and make sure the battery is charged "
        "and the tires are inflated. Give the driver one set of keys.",
        ["prep", "preparation", "ready", "checklist", "fuel", "gas", "battery", "keys", "clean"],
    ),
    (
        "Can you ship a car that doesn't run?",
        "Yes. Non-running, broken-down or accident-damaged vehicles are loaded with a winch, for a "
        "$150 fee. Tell us when you "
        "book whether the car rolls, steers and brakes, so we send a truck with the right equipment.",
        ["broken", "inoperable", "not running", "won't start", "dead", "winch", "accident", "salvage"],
    ),
    (
        "Do you ship cars to Florida for the winter?",
        "Yes, our snowbird service runs every week from October to December, southbound from Ontario "
        "and Quebec to Florida and Arizona, and northbound from March to May. Book early: the fall "
        "trucks fill up by September. Drop-off in Toronto or Montreal gets you a lower rate.",
        ["snowbird", "florida", "arizona", "united states", "usa", "south", "winter", "seasonal"],
    ),
    (
        "Do you also move household goods?",
        "Yes, we move households across Canada: packing, loading, a dedicated or shared truck, and "
        "delivery with unpacking on request. A car and your furniture can travel together, booked as "
        "one move with one contract.",
        ["moving", "furniture", "relocation", "house move", "movers", "belongings", "boxes", "home"],
    ),
    (
        "What documents do I need to export a car or import one into Canada?",
        "To export a vehicle we need the original ownership (or title), a photo ID and, for a car with "
        "a loan, a letter from the lender; we file the export declaration with Canada Border Services "
        "Agency 72 hours before sailing. Importing from the US requires the title, the bill of sale, a "
        "recall clearance letter and the Registrar of Imported Vehicles (RIV) form.",
        ["customs", "paperwork", "cbsa", "riv", "title", "ownership", "import", "export", "border"],
    ),
    (
        "How far in advance should I book?",
        "Two weeks ahead is ideal for trips inside Canada and four weeks for overseas shipments. We can "
        "often take last-minute bookings within 3 to 5 days for an expedited fee.",
        ["book", "booking", "reserve", "schedule", "notice", "urgent", "rush", "expedited"],
    ),
    (
        "Do you offer enclosed transport?",
        "Yes. Enclosed trailers protect classic, exotic and luxury cars from weather and road debris, "
        "with soft straps and a liftgate. Expect about 40% more than open transport.",
        ["enclosed trailer", "covered", "classic car", "exotic", "luxury", "collector", "protection"],
    ),
    (
        "Can you ship motorcycles, boats or trucks?",
        "We ship motorcycles in crates or on soft-tie racks, pickup trucks and SUVs at a higher rate, "
        "and boats up to 26 feet on their own trailer. RVs and heavy equipment are quoted by request.",
        ["motorbike", "bike", "boat", "pickup truck", "suv", "rv", "trailer", "van", "oversize"],
    ),
    (
        "What happens at delivery?",
        "The driver inspects the vehicle with you against the condition report made at pickup, you "
        "pay the balance, and you sign the delivery receipt. Note any new damage on the receipt before "
        "signing: it is what we use to open a claim.",
        ["delivery", "inspection", "condition report", "drop off", "arrival", "receive"],
    ),
    (
        "What if my car is damaged in transit?",
        "Write the damage on the delivery receipt and send us photos within 48 hours. We open a claim "
        "with our insurer the same day; most claims are settled within 30 days.",
        ["claim", "damage", "scratch", "dent", "broken", "accident", "complaint", "refund"],
    ),
    (
        "Can I store my car with you before delivery?",
        "Yes, we have secure indoor storage in Mississauga and Laval. The first 7 days are free, then "
        "storage costs $15 a day. It is handy when your new home isn't ready yet.",
        ["storage", "warehouse", "hold", "wait", "parking", "keep", "indoor"],
    ),
    (
        "How long has Scilla Transport been in business?",
        "Since 1982: Scilla Transport is a family business founded in Toronto 44 years ago, now shipping "
        "more than 9,000 vehicles a year across Canada, to the US and overseas. We are bonded and "
        "licensed with the Ontario and Quebec transport authorities.",
        ["about us", "history", "company", "experience", "licensed", "trust", "reviews", "years"],
    ),
]


def faq_demo_load() -> int:
    """Add the demo FAQ to the current tenant's memory; returns how many entries were new."""
    made = 0
    for title, text, tags in FAQ:
        _entry, created = memory_add(
            title=title, text=text, tags=tags, source=MemoryEntry.Source.FAQ, actor_label="demo"
        )
        made += created
    return made
