import django.contrib.postgres.fields
from django.db import migrations, models


def fix_recipients(apps, schema_editor):
    """Messages already on the bus get the recipients the relay would have picked: the one agent, or
    (a broadcast) every agent alive now but the sender."""
    BusMessage = apps.get_model("chat", "BusMessage")
    Agent = apps.get_model("chat", "Agent")
    alive = list(Agent.objects.exclude(state="dead").values_list("pk", flat=True))
    for message in BusMessage.objects.only("pk", "sender_id", "recipient_id"):
        if message.recipient_id is not None:
            ids = [message.recipient_id]
        else:
            ids = [pk for pk in alive if pk != message.sender_id]
        BusMessage.objects.filter(pk=message.pk).update(recipient_ids=ids)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0010_checkpoints_bus"),
    ]

    operations = [
        migrations.AddField(
            model_name="busmessage",
            name="recipient_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), blank=True, default=list, size=None
            ),
        ),
        migrations.RunPython(fix_recipients, migrations.RunPython.noop),
    ]
