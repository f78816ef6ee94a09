"""Seed every tenant schema with the default questionnaire bank (a copy of chat.questionnaire's list as
it was when this migration was written: later edits of that module don't change what this did)."""

from django.db import migrations

QUESTIONS = [
    ("operations", "Which route did customers ask about most this week?"),
    ("revenue", "What did your most profitable job this week have that others didn't?"),
    ("marketing", "Where did this week's new customers say they heard about you?"),
    ("strategy", "What is one thing you'd stop doing tomorrow if you could?"),
    ("operations", "What slowed down a pickup or a delivery this week, and how did you handle it?"),
    ("revenue", "What do you charge for your most common trip, and when do you charge more?"),
    ("marketing", "What question do customers ask before booking that you wish your website answered?"),
    ("strategy", "Which kind of job would you like twice as many of next year?"),
    ("operations", "How many days' notice do you need to book a move or a shipment right now?"),
    ("revenue", "Which extras (insurance, storage, enclosed transport, packing) did customers pay for?"),
    ("marketing", "What did a happy customer say about you recently, in their words?"),
    ("strategy", "Which competitor did a customer mention, and what did they say about them?"),
    ("operations", "Which truck, trailer or piece of equipment needs attention soon?"),
    ("revenue", "Did you lose a job on price this week? What was the quote and the route?"),
    ("marketing", "Which season or month is busiest for you, and when do bookings for it start?"),
    ("strategy", "Is there a city or region you want to start serving? What stops you?"),
    ("operations", "How many people are on your crew this week, and is anyone new?"),
    ("revenue", "Which customers pay late, and what do you do about it?"),
    ("marketing", "What makes you different from other companies on your busiest route?"),
    ("strategy", "What would you do with one more truck or one more driver?"),
    ("operations", "What do customers most often forget to tell you before a pickup?"),
    ("revenue", "Do you offer discounts (students, seniors, repeat customers, off-season)? Which ones?"),
    ("marketing", "Which photo or story from a recent job would make a good post?"),
    ("strategy", "What worries you most about the next three months?"),
    ("operations", "How do customers reach you fastest when something goes wrong on a trip?"),
    ("revenue", "Which month brought the most money last year, and why?"),
    ("marketing", "Did you ask any customer for a review this week? What happened?"),
    ("strategy", "Which partner (dealer, storage yard, broker, realtor) sends you work, and how often?"),
    ("operations", "What paperwork or ID does a customer need to bring at pickup?"),
    ("strategy", "If a new employee asked what this business is about, what would you tell them?"),
]


def seed(apps, schema_editor):
    Question = apps.get_model("chat", "Question")
    if Question.objects.exists():
        return
    Question.objects.bulk_create(
        Question(text=text, group=group, position=position, active=True)
        for position, (group, text) in enumerate(QUESTIONS, start=1)
    )


def unseed(apps, schema_editor):
    Question = apps.get_model("chat", "Question")
    texts = [text for _group, text in QUESTIONS]
    Question.objects.filter(text__in=texts, asks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_conversations_questionnaire_embeddings")]
    operations = [migrations.RunPython(seed, unseed)]
