import django.db.models.deletion
from django.db import migrations, models

STATES = [
    ("warm", "Warm (connected, no task)"),
    ("busy", "Busy (working on a task)"),
    ("idle", "Idle"),
    ("parked", "Parked"),
    ("dead", "Dead"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0007_agent_registry"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentTransition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("from_state", models.CharField(choices=STATES, max_length=8)),
                ("to_state", models.CharField(choices=STATES, max_length=8)),
                ("reason", models.CharField(max_length=200)),
                ("actor_label", models.CharField(max_length=120)),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "agent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="transitions", to="chat.agent"
                    ),
                ),
            ],
            options={"ordering": ["-created", "-pk"]},
        ),
    ]
