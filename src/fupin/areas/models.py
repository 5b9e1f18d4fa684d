from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    PREFECTURE = 2, _("Prefecture")
    COUNTY = 3, _("County")
    TOWNSHIP = 4, _("Township")
    VILLAGE = 5, _("Village")


CODE_LENGTHS = {
    AreaLevel.PROVINCE: 2,
    AreaLevel.PREFECTURE: 4,
    AreaLevel.COUNTY: 6,
    AreaLevel.TOWNSHIP: 9,
    AreaLevel.VILLAGE: 12,
}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}


class Area(models.Model):
    """An administrative area with its official code.

    ``path`` is the materialized path of codes (``/22/2208/220822/``): a subtree is one indexed
    prefix look-up, which is how area scope and roll-ups stay fast without recursion.
    """

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=AreaLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=64, db_index=True)
    province_code = models.CharField(max_length=2)
    prefecture_code = models.CharField(max_length=4, blank=True)
    county_code = models.CharField(max_length=6, blank=True)
    township_code = models.CharField(max_length=9, blank=True)
    # Where the record came from: the divisions package, an import file, or the demo generator.
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "path"])]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @staticmethod
    def ancestor_codes_of(code: str) -> list[str]:
        """Codes of the area itself and every ancestor, top first."""
        return [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]

    @staticmethod
    def path_of(code: str) -> str:
        return "/" + "/".join(Area.ancestor_codes_of(code)) + "/"

    def fill_derived(self) -> None:
        """Set level, path and ancestor codes from the code."""
        self.level = LEVEL_BY_LENGTH[len(self.code)]
        self.path = self.path_of(self.code)
        self.province_code = self.code[:2]
        self.prefecture_code = self.code[:4] if len(self.code) >= 4 else ""
        self.county_code = self.code[:6] if len(self.code) >= 6 else ""
        self.township_code = self.code[:9] if len(self.code) >= 9 else ""

    @property
    def full_name(self) -> str:
        return self.name
