"""Coded values of the registry (domain.md sections 3 and 5). Codes are stable English slugs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdType(models.TextChoices):
    LIFTED_OUT = "lifted_out", _("Lifted-out household (脱贫户)")
    ORDINARY = "ordinary", _("Ordinary household (一般农户)")
    POOR = "poor", _("Registered poor household (贫困户)")


class HouseholdStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    NEWLY_IDENTIFIED = "newly_identified", _("Newly identified (新识别)")
    NOT_LIFTED = "not_lifted", _("Not yet lifted out (未脱贫)")
    LIFTED = "lifted", _("Lifted out (已脱贫)")
    PRE_LIFTED = "pre_lifted", _("Expected to be lifted out (预脱贫)")
    RETURNED = "returned", _("Returned to poverty (返贫)")
    CANCELLED = "cancelled", _("Cancelled (注销)")


class PovertyAttribute(models.TextChoices):
    GENERAL = "general", _("General poor household (一般贫困户)")
    DIBAO = "dibao", _("Minimum-allowance poor household (低保贫困户)")
    TEKUN = "tekun", _("Extreme-poverty support household (特困供养贫困户)")


class MonitoringCategory(models.TextChoices):
    UNSTABLE_LIFTED = "unstable_lifted", _("Unstable lifted-out household (脱贫不稳定户)")
    MARGINAL = "marginal", _("Marginal household prone to poverty (边缘易致贫户)")
    SUDDEN_DIFFICULTY = "sudden_difficulty", _("Household in sudden severe difficulty (突发严重困难户)")


class RiskType(models.TextChoices):
    ILLNESS = "illness", _("Illness (因病)")
    SCHOOLING = "schooling", _("Schooling (因学)")
    DISABILITY = "disability", _("Disability (因残)")
    DISASTER = "disaster", _("Natural disaster (因自然灾害)")
    ACCIDENT = "accident", _("Accident (因意外事故)")
    BUSINESS_FAILURE = "business_failure", _("Failed business project (因产业项目失败)")
    UNSTABLE_EMPLOYMENT = "unstable_employment", _("Unstable employment (因务工就业不稳)")
    LACK_OF_LABOUR = "lack_of_labour", _("Lack of labour (缺劳动力)")
    HOUSING = "housing", _("Housing safety (因安全住房)")
    WATER = "water", _("Drinking-water safety (因安全饮水)")
    OTHER = "other", _("Other (其他)")


MAX_RISK_TYPES = 5


class PovertyCause(models.TextChoices):
    ILLNESS = "illness", _("Illness")
    DISABILITY = "disability", _("Disability")
    SCHOOLING = "schooling", _("Schooling")
    DISASTER = "disaster", _("Natural disaster")
    LACK_OF_LAND = "lack_of_land", _("Lack of land")
    LACK_OF_WATER = "lack_of_water", _("Lack of water")
    LACK_OF_SKILLS = "lack_of_skills", _("Lack of skills")
    LACK_OF_LABOUR = "lack_of_labour", _("Lack of labour")
    LACK_OF_FUNDS = "lack_of_funds", _("Lack of funds")
    POOR_TRANSPORT = "poor_transport", _("Poor transport")
    LACK_OF_DRIVE = "lack_of_drive", _("Lack of own drive")
    OTHER = "other", _("Other")


class HousingSafety(models.TextChoices):
    A = "A", _("A: safe")
    B = "B", _("B: basically safe")
    C = "C", _("C: locally dangerous")
    D = "D", _("D: whole building dangerous")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    GRANDCHILD = "grandchild", _("Grandchild")
    PARENT = "parent", _("Parent")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other relative")


class Education(models.TextChoices):
    NONE = "none", _("Illiterate or semi-literate")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary or vocational")
    TERTIARY = "tertiary", _("College or above")
    PRESCHOOL = "preschool", _("Pre-school")


class SchoolingStatus(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", _("Not of school age")
    IN_SCHOOL = "in_school", _("In school")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    NEVER_ENROLLED = "never_enrolled", _("Never enrolled")
    GRADUATED = "graduated", _("Finished school")


class SchoolLevel(models.TextChoices):
    NONE = "", _("—")
    PRESCHOOL = "preschool", _("Pre-school")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary")
    VOCATIONAL = "vocational", _("Secondary vocational")
    TERTIARY = "tertiary", _("Higher education")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    CHRONIC = "chronic", _("Chronic illness")
    SERIOUS = "serious", _("Serious illness")
    DISABLED = "disabled", _("Disability")


class LabourCapacity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary labour (普通劳动力)")
    SKILLED = "skilled", _("Skilled labour (技能劳动力)")
    WEAK = "weak", _("Weak or partial labour (弱或半劳动力)")
    LOST = "lost", _("Lost labour capacity (丧失劳动力)")
    NONE = "none", _("No labour capacity (无劳动力)")


class Ethnicity(models.TextChoices):
    HAN = "han", _("Han")
    MONGOL = "mongol", _("Mongol")
    MANCHU = "manchu", _("Manchu")
    KOREAN = "korean", _("Korean")
    HUI = "hui", _("Hui")
    OTHER = "other", _("Other")


class RelocationMode(models.TextChoices):
    NONE = "", _("—")
    CENTRALIZED = "centralized", _("Centralized resettlement")
    DISPERSED = "dispersed", _("Dispersed resettlement")


class MemberExit(models.TextChoices):
    NONE = "", _("—")
    DECEASED = "deceased", _("Deceased")
    MOVED_OUT = "moved_out", _("Moved out")
    MARRIED_OUT = "married_out", _("Married out")
    OTHER = "other", _("Other")
