"""Checkpoint entries written before their digests had a namespace of their own carry the digest any
entry with the same title and text would have, so an agent adding that text merged into one (and
learned it existed): give them the digest the service now writes (chat.services.memory.text_digest)."""

from django.db import migrations


def rehash(apps, schema_editor):
    from chat.services.memory import text_digest

    MemoryEntry = apps.get_model("chat", "MemoryEntry")
    for entry in MemoryEntry.objects.filter(source="checkpoint").only("title", "text", "source", "digest"):
        digest = text_digest(entry.text, entry.title, source=entry.source)
        if digest != entry.digest:
            MemoryEntry.objects.filter(pk=entry.pk).update(digest=digest)


class Migration(migrations.Migration):
    dependencies = [("chat", "0011_bus_recipients")]

    # Backwards the digests stay: the older code only looks entries up by them, and finds none.
    operations = [migrations.RunPython(rehash, migrations.RunPython.noop)]
