"""Entries written before titles existed carry search vectors weighted text A, tags B: rewrite them
as the service now writes them (title A, text B, tags C), so old and new entries rank alike."""

from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import F, Func, TextField, Value


def reweight(apps, schema_editor):
    MemoryEntry = apps.get_model("chat", "MemoryEntry")
    tags = Func(F("tags"), Value(" "), function="array_to_string", output_field=TextField())
    MemoryEntry.objects.update(
        search=SearchVector("title", weight="A", config="english")
        + SearchVector("text", weight="B", config="english")
        + SearchVector(tags, weight="C", config="english")
    )


class Migration(migrations.Migration):
    dependencies = [("chat", "0004_questionnaire_resumed_at")]

    operations = [migrations.RunPython(reweight, migrations.RunPython.noop)]
