from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_questionnaire_seed")]
    operations = [
        migrations.AddField(
            model_name="questionnairesettings",
            name="resumed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
