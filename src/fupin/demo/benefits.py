"""Benefits in the demo county: two programmes of seed 002 opened for this year, applications entered by
the county clerk, most of them approved by the reviewer and the transport subsidy's first batch paid
(one payment failed), through the real services.

A new user then finds amounts with their caps explained, a batch waiting for approval, refusals with
their reasons and, on the households' pages, the benefits their members received.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass

from fupin.accounts.models import User
from fupin.benefits import services
from fupin.benefits.models import Opening
from fupin.core import clock
from fupin.domain import bankaccount
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Member

BANKS = ("中国农业银行", "中国邮政储蓄银行", "吉林农商银行")


@dataclass(frozen=True)
class DemoBenefits:
    openings: int
    applications: int
    approved: int
    paid: int = 0


def _card(rng: random.Random) -> str:
    stem = "622848" + "".join(rng.choice("0123456789") for _ in range(12))
    return next(stem + d for d in "0123456789" if bankaccount.luhn_valid(stem + d))


def stage(seed: int = 2024) -> DemoBenefits | None:
    """Open, enter and approve; None when the demo accounts are missing or benefits were staged already."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["demo-admin", "demo-county", "demo-reviewer"])
    }
    if len(users) < 3 or Opening.objects.exists():
        return None
    admin, clerk, reviewer = users["demo-admin"], users["demo-county"], users["demo-reviewer"]
    grant = admin.area_grants.select_related("area").first()
    if grant is None:
        return None
    county = grant.area
    today = clock.today()
    year = today.year
    rng = random.Random(seed)
    people = list(
        Member.objects.select_related("household")
        .filter(
            household__village__path__startswith=county.path,
            household__household_type="lifted_out",
            exit_reason="",
            relation="head",
        )
        .exclude(id_number_enc="")
        .order_by("household__number")[:40]
    )
    if len(people) < 10:
        return None
    cipher = get_cipher()
    transport = services.open_programme(
        actor=admin, pack="jilin", programme="transport_subsidy", county=county, year=year
    )
    posts = services.open_programme(
        actor=admin, pack="jilin", programme="temporary_welfare_post", county=county, year=year
    )
    entered = []
    start = dt.date(year, 1, 1)
    span = max((today - start).days, 0)
    for index, member in enumerate(people[:28]):
        fare = rng.choice([420, 680, 950, 1280, 1560, 1880, 2150])
        contract = 5 if index % 9 == 4 else rng.choice([6, 8, 12])
        entered.append(
            services.enter_application(
                actor=clerk,
                opening=transport,
                data=services.ApplicationInput(
                    applied_on=start + dt.timedelta(days=rng.randint(0, span)),
                    id_number=cipher.decrypt(member.id_number_enc),
                    facts={"inter_provincial": True, "contract_months": contract, "fare": fare},
                    bank_name=rng.choice(BANKS),
                    bank_account=_card(rng),
                ),
            )
        )
    months = [dt.date(year, m, 1) for m in range(1, min(today.month, 4) + 1)]
    for member in people[28:34]:
        number = cipher.decrypt(member.id_number_enc)
        for month in months:
            entered.append(
                services.enter_application(
                    actor=clerk,
                    opening=posts,
                    data=services.ApplicationInput(
                        applied_on=month,
                        id_number=number,
                        post_code=f"村级保洁员-{member.household.number[-4:]}",
                        period=month,
                        bank_name=BANKS[0],
                        bank_account=_card(rng),
                    ),
                )
            )
    # The reviewer approves all but the last few of each programme: those wait, as a real batch would.
    approvable = [a.pk for a in entered if a.eligible][:-5]
    result = services.approve(actor=reviewer, application_ids=approvable, note="演示：材料齐全")
    paid = _pay(reviewer, transport, today)
    return DemoBenefits(openings=2, applications=len(entered), approved=len(result.approved), paid=paid)


def _pay(reviewer: User, opening: Opening, today: dt.date) -> int:
    """The transport subsidy's first payment round: one batch, its bank file, the bank's answer with
    every payment made but one (an account closed), which waits for the next batch."""
    from fupin.payments import services as payments

    envelope = payments.create_envelope(actor=reviewer, opening=opening, cycle=f"{today.year}年第一批")
    made = payments.make_batch(actor=reviewer, envelope=envelope)
    sent = payments.bank_file(actor=reviewer, batch=made.batch, fmt="csv")
    rows = list(csv.reader(io.StringIO(sent.content.decode("utf-8-sig"))))
    answer = io.StringIO()
    writer = csv.writer(answer)
    writer.writerow(["付款参考号", "结果", "失败原因", "支付日期"])
    for index, row in enumerate(rows[1:]):
        failed = index == 2
        writer.writerow(
            [row[0], "失败" if failed else "成功", "账户已销户" if failed else "", today.isoformat()]
        )
    made.batch.refresh_from_db()  # the download is recorded on the batch
    loaded = payments.load_return_file(
        actor=reviewer, batch=made.batch, data=answer.getvalue().encode("utf-8-sig"), file_name="回盘.csv"
    )
    return len(loaded.paid)
