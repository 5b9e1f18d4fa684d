"""The national measure catalogue (domain.md section 6): categories, sub-measures, the risks each answers.

Developmental: industry, employment, public-welfare posts, microcredit. Security: the comprehensive
security of civil affairs (低保, 特困, temporary assistance, disability allowances). Everything else
is "other support". The risks each entry answers follow the consistency rules of section 6 (因病 →
health or social; 因学 → compulsory education, education or social; 因残 → comprehensive security or
social; 因安全住房 → housing safety or relocation; 因安全饮水 → water safety); a test checks it.

The entries are data: a later migration may add entries or retire one (``active`` False), never
rename a code, which measures and county switches refer to.
"""

from django.db import migrations

DEVELOPMENTAL = "developmental"
SECURITY = "security"
OTHER = "other"

# code, Chinese name, English name, category, kind, risk types answered
NATIONAL = [
    # 产业帮扶
    (
        "industry_subsidy",
        "产业奖补",
        "Industry incentive subsidy",
        "industry",
        DEVELOPMENTAL,
        "business_failure,disaster,unstable_employment,other",
    ),
    (
        "industry_linkage",
        "龙头企业、合作社带农益农",
        "Linkage with leading enterprises and cooperatives",
        "industry",
        DEVELOPMENTAL,
        "business_failure,unstable_employment,lack_of_labour,other",
    ),
    (
        "industry_guidance",
        "产业技术指导服务",
        "Farming and breeding technical guidance",
        "industry",
        DEVELOPMENTAL,
        "business_failure,disaster",
    ),
    (
        "agricultural_insurance",
        "农业保险",
        "Agricultural insurance",
        "industry",
        DEVELOPMENTAL,
        "disaster,business_failure",
    ),
    (
        "asset_income",
        "资产收益分红（光伏等）",
        "Asset-income dividend (photovoltaic and others)",
        "industry",
        DEVELOPMENTAL,
        "lack_of_labour,business_failure,other",
    ),
    # 就业帮扶
    (
        "migrant_transport",
        "外出务工交通补助",
        "Transport subsidy for migrant work",
        "employment",
        DEVELOPMENTAL,
        "unstable_employment,business_failure,disaster,other",
    ),
    (
        "labour_export",
        "有组织劳务输出",
        "Organized labour export",
        "employment",
        DEVELOPMENTAL,
        "unstable_employment,business_failure,other",
    ),
    (
        "help_workshop",
        "就业帮扶车间",
        "Employment help workshop",
        "employment",
        DEVELOPMENTAL,
        "unstable_employment,lack_of_labour,business_failure",
    ),
    (
        "skills_training",
        "职业技能培训",
        "Vocational skills training",
        "employment",
        DEVELOPMENTAL,
        "unstable_employment,business_failure,other",
    ),
    (
        "job_placement",
        "就业服务与岗位推荐",
        "Job placement services",
        "employment",
        DEVELOPMENTAL,
        "unstable_employment,business_failure",
    ),
    (
        "entrepreneurship",
        "创业扶持",
        "Support for starting a business",
        "employment",
        DEVELOPMENTAL,
        "business_failure,unstable_employment",
    ),
    # 公益性岗位
    (
        "welfare_post",
        "乡村公益性岗位",
        "Rural public-welfare post",
        "public_welfare_post",
        DEVELOPMENTAL,
        "unstable_employment,lack_of_labour,business_failure,other",
    ),
    (
        "forest_ranger",
        "生态护林员",
        "Ecological forest ranger",
        "public_welfare_post",
        DEVELOPMENTAL,
        "unstable_employment,lack_of_labour",
    ),
    # 小额信贷
    (
        "microcredit",
        "脱贫人口小额信贷",
        "Microcredit for people lifted out of poverty",
        "microcredit",
        DEVELOPMENTAL,
        "business_failure,unstable_employment,other",
    ),
    (
        "loan_interest_subsidy",
        "创业担保贷款贴息",
        "Interest subsidy on business loans",
        "microcredit",
        DEVELOPMENTAL,
        "business_failure",
    ),
    # 健康帮扶
    ("family_doctor", "家庭医生签约服务", "Family doctor contract", "health", OTHER, "illness"),
    ("medical_assistance", "医疗救助", "Medical assistance", "health", OTHER, "illness,accident"),
    (
        "insurance_subsidy",
        "基本医保参保资助、大病保险",
        "Medical insurance premium subsidy and serious-illness insurance",
        "health",
        OTHER,
        "illness,accident",
    ),
    (
        "chronic_disease_card",
        "慢病门诊、特殊病种待遇",
        "Chronic and special disease outpatient cover",
        "health",
        OTHER,
        "illness",
    ),
    (
        "one_stop_settlement",
        "先诊疗后付费、一站式结算",
        "Treatment first, one-stop settlement",
        "health",
        OTHER,
        "illness,accident",
    ),
    # 教育帮扶
    (
        "yulu_plan",
        "雨露计划",
        "Rain-and-dew plan (vocational education subsidy)",
        "education",
        OTHER,
        "schooling",
    ),
    (
        "student_aid",
        "学生资助（助学金、助学贷款）",
        "Student aid (grants, student loans)",
        "education",
        OTHER,
        "schooling",
    ),
    # 义务教育保障
    (
        "dropout_control",
        "义务教育控辍保学",
        "Keeping pupils in compulsory education",
        "compulsory_education",
        OTHER,
        "schooling",
    ),
    (
        "home_teaching",
        "送教上门",
        "Teaching at home for children who cannot attend school",
        "compulsory_education",
        OTHER,
        "schooling",
    ),
    (
        "school_nutrition",
        "义务教育学生营养改善计划",
        "Nutrition programme for pupils",
        "compulsory_education",
        OTHER,
        "schooling",
    ),
    # 住房安全
    (
        "house_renovation",
        "农村危房改造",
        "Renovation of a dangerous rural house",
        "housing",
        OTHER,
        "housing,disaster",
    ),
    (
        "house_repair",
        "灾后农房修缮加固",
        "Repair and strengthening of a house after a disaster",
        "housing",
        OTHER,
        "housing,disaster",
    ),
    # 易地搬迁
    (
        "relocation",
        "易地扶贫搬迁",
        "Relocation from inhospitable areas",
        "relocation",
        OTHER,
        "housing,disaster",
    ),
    (
        "relocation_follow_up",
        "搬迁后续扶持",
        "Follow-up support after relocation",
        "relocation",
        OTHER,
        "housing,unstable_employment",
    ),
    # 饮水安全
    ("water_project", "农村饮水安全工程", "Rural drinking-water safety project", "water", OTHER, "water"),
    (
        "water_purification",
        "分散供水净化设施",
        "Water purification for scattered supply",
        "water",
        OTHER,
        "water",
    ),
    # 综合保障
    (
        "dibao",
        "最低生活保障（低保）",
        "Minimum living allowance (dibao)",
        "comprehensive_security",
        SECURITY,
        "lack_of_labour,disability,accident,disaster,other",
    ),
    (
        "tekun",
        "特困人员救助供养",
        "Support for people in extreme poverty (tekun)",
        "comprehensive_security",
        SECURITY,
        "lack_of_labour,disability,other",
    ),
    (
        "temporary_assistance",
        "临时救助",
        "Temporary assistance",
        "comprehensive_security",
        SECURITY,
        "accident,disaster,disability,business_failure,other",
    ),
    (
        "disability_allowance",
        "残疾人两项补贴",
        "Disability allowances (living and nursing)",
        "comprehensive_security",
        SECURITY,
        "disability",
    ),
    (
        "disaster_relief",
        "受灾人员救助",
        "Relief for people hit by a disaster",
        "comprehensive_security",
        SECURITY,
        "disaster",
    ),
    (
        "pension_subsidy",
        "城乡居民养老保险代缴",
        "Pension insurance contributions paid for the household",
        "comprehensive_security",
        SECURITY,
        "lack_of_labour,other",
    ),
    # 社会帮扶
    (
        "social_twinning",
        "社会帮扶（企业、社会组织结对）",
        "Social assistance (enterprises and organizations)",
        "social",
        OTHER,
        "illness,schooling,disability,disaster,accident,business_failure,unstable_employment,lack_of_labour,other",
    ),
    (
        "consumption_assistance",
        "消费帮扶",
        "Consumption assistance (buying the household's produce)",
        "social",
        OTHER,
        "business_failure,unstable_employment,other",
    ),
    (
        "charity_medical",
        "慈善医疗救助",
        "Charitable medical aid",
        "social",
        OTHER,
        "illness,disability,accident",
    ),
    ("charity_education", "社会助学", "Charitable help with schooling", "social", OTHER, "schooling"),
    (
        "anti_poverty_insurance",
        "防返贫保险",
        "Insurance against returning to poverty",
        "social",
        OTHER,
        "illness,accident,disaster,business_failure",
    ),
    # 生产生活条件
    (
        "living_environment",
        "人居环境与基础设施改善",
        "Better living environment and village infrastructure",
        "living_conditions",
        OTHER,
        "other",
    ),
    (
        "production_facilities",
        "小型生产设施",
        "Small production facilities (irrigation, greenhouses)",
        "living_conditions",
        OTHER,
        "business_failure,disaster,other",
    ),
]


def load(apps, schema_editor):
    MeasureType = apps.get_model("assistance", "MeasureType")
    for code, name_zh, name_en, category, kind, answers in NATIONAL:
        MeasureType.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "category": category,
                "kind": kind,
                "answers": f",{answers},",
                "county": None,
                "active": True,
            },
        )


def unload(apps, schema_editor):
    MeasureType = apps.get_model("assistance", "MeasureType")
    Measure = apps.get_model("assistance", "Measure")
    used = set(Measure.objects.exclude(measure_type=None).values_list("measure_type__code", flat=True))
    MeasureType.objects.filter(county=None, code__in=[row[0] for row in NATIONAL]).exclude(
        code__in=used
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assistance", "0003_plan_fields_and_county_switches")]

    operations = [migrations.RunPython(load, unload)]
