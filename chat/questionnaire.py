"""The daily questionnaire's default bank: 30 short questions a small service business (a vehicle
shipping or moving company, say) can answer by text in a minute, in four groups. Each answer goes
into the business memory the assistant draws on, so the questions ask for facts a customer might
ask about or the owner would want remembered.

chat/migrations/0003_questionnaire_seed copies this list into every tenant schema (the migration
keeps its own copy: editing this list changes new code paths, never what a migration did). Owners
edit their own bank on /questionnaire/.
"""

REVENUE, OPERATIONS, MARKETING, STRATEGY = "revenue", "operations", "marketing", "strategy"

# (group, text), in the order they are seeded (position 1 to 30).
DEFAULT_QUESTIONS: list[tuple[str, str]] = [
    (OPERATIONS, "Which route did customers ask about most this week?"),
    (REVENUE, "What did your most profitable job this week have that others didn't?"),
    (MARKETING, "Where did this week's new customers say they heard about you?"),
    (STRATEGY, "What is one thing you'd stop doing tomorrow if you could?"),
    (OPERATIONS, "What slowed down a pickup or a delivery this week, and how did you handle it?"),
    (REVENUE, "What do you charge for your most common trip, and when do you charge more?"),
    (MARKETING, "What question do customers ask before booking that you wish your website answered?"),
    (STRATEGY, "Which kind of job would you like twice as many of next year?"),
    (OPERATIONS, "How many days' notice do you need to book a move or a shipment right now?"),
    (REVENUE, "Which extras (insurance, storage, enclosed transport, packing) did customers pay for?"),
    (MARKETING, "What did a happy customer say about you recently, in their words?"),
    (STRATEGY, "Which competitor did a customer mention, and what did they say about them?"),
    (OPERATIONS, "Which truck, trailer or piece of equipment needs attention soon?"),
    (REVENUE, "Did you lose a job on price this week? What was the quote and the route?"),
    (MARKETING, "Which season or month is busiest for you, and when do bookings for it start?"),
    (STRATEGY, "Is there a city or region you want to start serving? What stops you?"),
    (OPERATIONS, "How many people are on your crew this week, and is anyone new?"),
    (REVENUE, "Which customers pay late, and what do you do about it?"),
    (MARKETING, "What makes you different from other companies on your busiest route?"),
    (STRATEGY, "What would you do with one more truck or one more driver?"),
    (OPERATIONS, "What do customers most often forget to tell you before a pickup?"),
    (REVENUE, "Do you offer discounts (students, seniors, repeat customers, off-season)? Which ones?"),
    (MARKETING, "Which photo or story from a recent job would make a good post?"),
    (STRATEGY, "What worries you most about the next three months?"),
    (OPERATIONS, "How do customers reach you fastest when something goes wrong on a trip?"),
    (REVENUE, "Which month brought the most money last year, and why?"),
    (MARKETING, "Did you ask any customer for a review this week? What happened?"),
    (STRATEGY, "Which partner (dealer, storage yard, broker, realtor) sends you work, and how often?"),
    (OPERATIONS, "What paperwork or ID does a customer need to bring at pickup?"),
    (STRATEGY, "If a new employee asked what this business is about, what would you tell them?"),
]
