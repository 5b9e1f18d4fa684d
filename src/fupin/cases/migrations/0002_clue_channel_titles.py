"""Clues raised by people (a visit, a self-declaration, a department) get their channel as the title of
their reason, as new ones do (issue 12 item 4): pages no longer show '：' with nothing before it."""

from django.db import migrations

# The channels' names as they were when this migration was written (cases.models.Channel).
TITLES = {
    "visit": ("干部走访排查", "Cadre visit"),
    "self_declaration": ("农户自主申报", "Self-declaration by the household"),
    "department": ("部门推送", "Department referral"),
    "monitoring": ("监测对象跟踪回访", "Follow-up of a monitored household"),
}


def add_titles(apps, schema_editor):
    RiskClue = apps.get_model("screening", "RiskClue")
    for clue in RiskClue.objects.filter(source__in=list(TITLES)).iterator():
        changed = False
        for item in clue.explanation:
            if isinstance(item, dict) and not (item.get("title_zh") or item.get("title_en")):
                item["title_zh"], item["title_en"] = TITLES[clue.source]
                changed = True
        if changed:
            clue.save(update_fields=["explanation"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("screening", "0001_initial"),
    ]

    operations = [migrations.RunPython(add_titles, migrations.RunPython.noop)]
