"""Demo questionnaire for Scilla Transport: three weeks of daily questions the owner answered by text,
stored through the questionnaire's own services, so the answers are in the business memory too."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from chat.models import Answer, QuestionAsk
from chat.services.questionnaire import question_for_date, questionnaire_answer, questionnaire_settings_get
from tenants.models import User

DAYS = 21

# The owner's answers, by the default question they answer (a question the owner has reworded gets
# none). Written as a busy owner texts: short, concrete, a little clipped.
ANSWERS = {
    "Which route did customers ask about most this week?": (
        "Toronto to Calgary, again. Then Montreal to Vancouver. Lots of students moving cars west for September."
    ),
    "What did your most profitable job this week have that others didn't?": (
        "Two cars on one trailer to Halifax, booked 3 weeks ahead so we filled the return leg with a dealer load."
    ),
    "Where did this week's new customers say they heard about you?": (
        "Mostly Google. Two from the Kijiji ad, one referral from Maple Auto in Mississauga."
    ),
    "What is one thing you'd stop doing tomorrow if you could?": (
        "Quoting over the phone at night. Half of those people never book. The website form is enough."
    ),
    "What slowed down a pickup or a delivery this week, and how did you handle it?": (
        "Snow on the 17 near Wawa, lost a day. Texted the customers in the morning with a new ETA, nobody complained."
    ),
    "What do you charge for your most common trip, and when do you charge more?": (
        "Toronto to Calgary open carrier is $1,450 for a sedan, $1,650 for an SUV. Enclosed is plus $600. "
        "June to August add about 10 percent."
    ),
    "What question do customers ask before booking that you wish your website answered?": (
        "Can I leave stuff in the car. Answer: up to 100 lbs in the trunk, nothing in the cabin, "
        "no liquids or documents."
    ),
    "Which kind of job would you like twice as many of next year?": (
        "Dealer-to-dealer runs inside Ontario. Steady, paid on time, no weekend calls."
    ),
    "How many days' notice do you need to book a move or a shipment right now?": (
        "About 7 days for cross-country, 2-3 days inside the GTA. In July it's more like 2 weeks."
    ),
    "Which extras (insurance, storage, enclosed transport, packing) did customers pay for?": (
        "Storage mostly, people waiting on a closing date. $15 a day at the Vaughan yard. "
        "One enclosed for a vintage Mustang."
    ),
    "What did a happy customer say about you recently, in their words?": (
        '"The driver called me an hour before and the car came back cleaner than it left." - Priya, Ottawa to Edmonton.'
    ),
    "Which competitor did a customer mention, and what did they say about them?": (
        "A broker quoted $300 less then couldn't find a truck for two weeks. Customer came back to us."
    ),
    "Which truck, trailer or piece of equipment needs attention soon?": (
        "The 7-car hauler needs new tires before winter, and the liftgate on the moving truck is slow."
    ),
    "Did you lose a job on price this week? What was the quote and the route?": (
        "Yes, Toronto to Winnipeg, we quoted $1,100, they went with someone at $850. Not worth matching."
    ),
    "Which season or month is busiest for you, and when do bookings for it start?": (
        "Late May to end of August. Snowbirds in October and April too. Summer bookings start in March."
    ),
    "Is there a city or region you want to start serving? What stops you?": (
        "Regular runs to Quebec City. Need a driver who is comfortable in French with customers."
    ),
    "How many people are on your crew this week, and is anyone new?": (
        "4 drivers, 3 movers. Marco started Monday as a helper on the moving side."
    ),
    "Which customers pay late, and what do you do about it?": (
        "Two small dealers. We now ask for payment before the car is unloaded, except Maple Auto."
    ),
    "What makes you different from other companies on your busiest route?": (
        "We own our trucks, no brokers. Same driver pickup to delivery, and we send photos at both ends."
    ),
    "What would you do with one more truck or one more driver?": (
        "Run a weekly Toronto-Montreal shuttle. We turn down 3 or 4 of those a month."
    ),
    "What do customers most often forget to tell you before a pickup?": (
        "That the car doesn't start, or the keys are at someone else's place. We ask now when we confirm."
    ),
    "Do you offer discounts (students, seniors, repeat customers, off-season)? Which ones?": (
        "10 percent for students with ID, 5 percent for repeat customers, and about 15 percent off "
        "from November to February."
    ),
    "Which photo or story from a recent job would make a good post?": (
        "The 1967 Mustang going enclosed to Kelowna, the owner cried when it arrived. We have photos."
    ),
    "What worries you most about the next three months?": (
        "Fuel prices and winter roads. Also one driver may leave in January."
    ),
    "How do customers reach you fastest when something goes wrong on a trip?": (
        "Text the dispatch number, 416-555-0100. Dana or the driver answers within 15 minutes, 7am-9pm."
    ),
    "Which month brought the most money last year, and why?": (
        "July. University moves plus people relocating for jobs out west. August close behind."
    ),
    "Did you ask any customer for a review this week? What happened?": (
        "Asked 5, got 2 Google reviews, both 5 stars. Asking right at delivery works best."
    ),
    "Which partner (dealer, storage yard, broker, realtor) sends you work, and how often?": (
        "Maple Auto about twice a month, and a realtor in Oakville sends a move every few weeks."
    ),
    "What paperwork or ID does a customer need to bring at pickup?": (
        "Photo ID, the ownership, and proof of insurance. Someone 18+ has to sign the inspection report."
    ),
    "If a new employee asked what this business is about, what would you tell them?": (
        "Getting people's cars and homes across Canada without surprises. Call before, photos always, "
        "never promise a date we can't keep."
    ),
}


def questionnaire_demo_load(*, owner: User) -> int:
    """Give the current (demo) tenant the last DAYS days of answered questions, once. Nothing is
    texted: these are past days. Returns how many asks were added."""
    if QuestionAsk.objects.exists():
        return 0
    settings_ = questionnaire_settings_get()
    zone = ZoneInfo(connection.tenant.config.timezone)
    today = timezone.localdate(timezone.now(), zone)
    phone = settings_.phone or owner.phone
    made = 0
    with transaction.atomic():
        for days_ago in range(DAYS, 0, -1):
            day = today - timedelta(days=days_ago)
            question = question_for_date(local_date=day)
            answer = ANSWERS.get(question.text) if question else None
            if answer is None:
                continue
            sent = datetime.combine(day, time(settings_.send_hour), zone)
            ask = QuestionAsk.objects.create(
                question=question, question_text=question.text, local_date=day, phone=phone, sent_at=sent
            )
            questionnaire_answer(
                ask=ask,
                text=answer,
                via=Answer.Via.SMS,
                actor_label=f"SMS from {phone}",
                now=sent + timedelta(minutes=20 + days_ago),
            )
            made += 1
    return made
