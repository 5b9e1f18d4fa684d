"""The demo county's benefits: what a new user finds on the benefits pages after `make demo`."""

from __future__ import annotations

from django.db.models import Sum

from fupin.benefits.models import Application, ApplicationStatus, Opening


def test_the_demo_has_approved_benefits_a_waiting_batch_and_explained_refusals(db):
    from fupin.demo import benefits, loader

    loader.load_demo_county(county_code="220822", households=600, seed=5)
    staged = benefits.stage(5)
    assert staged is not None and staged.openings == Opening.objects.count() == 2
    assert Application.objects.filter(status=ApplicationStatus.APPROVED).count() == staged.approved > 10
    waiting = Application.objects.filter(status=ApplicationStatus.ENTERED)
    assert waiting.filter(eligible=True).exists()  # a batch for the reviewer to approve
    refused = waiting.filter(eligible=False).first()
    assert refused is not None and "不足 6 个月" in " ".join(refused.explanation["zh"])
    # Nobody's transport subsidy exceeds the 1,600 yuan cap, whatever the fares.
    per_person = (
        Application.objects.filter(programme="transport_subsidy", status=ApplicationStatus.APPROVED)
        .values("member")
        .annotate(total=Sum("amount_fen"))
    )
    assert per_person and all(row["total"] <= 160_000 for row in per_person)
    # The first batch was paid but for one failed payment, which is payable again.
    paid = Application.objects.filter(paid_fen__gt=0)
    assert paid.count() == staged.paid > 0
    assert all(a.paid_fen == a.amount_fen for a in paid)
    from fupin.payments.models import Payment

    assert Payment.objects.filter(status="failed").count() == 1
    assert benefits.stage(5) is None  # staged once only

    # The paid amounts are in the indicator tables, for the village and every area above it.
    from fupin.core import clock
    from fupin.indicators import services as indicators
    from fupin.indicators.models import AreaFigures

    build = indicators.rebuild(as_of=clock.today())
    figures = {row.code: row.values for row in AreaFigures.objects.filter(build=build)}
    total = sum(a.paid_fen for a in paid) / 100
    assert figures["220822"]["benefits_paid"] == figures["22"]["benefits_paid"] == total
    assert figures["220822"]["benefit_payments"] == paid.count()
    village = paid.first().area.code
    assert 0 < figures[village]["benefits_paid"] <= total
