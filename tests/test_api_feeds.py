"""The /api/v1/feeds API: pushing a department list as JSON rows, idempotency keys, reading a batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.api.models import IdempotencyKey
from fupin.feeds.models import FeedBatch, FeedRecord
from fupin.pii.crypto import get_cipher
from tests.conftest import valid_id

API = "/api/v1"
DAY = str(dt.date.today() - dt.timedelta(days=20))
STRANGER = valid_id(area="220821", birth=dt.date(1990, 1, 1), sequence=555)  # registered nowhere


class Api:
    def __init__(self, client: Client, user, language: str = "en") -> None:
        self.client = client
        self.headers = {
            "Authorization": f"Bearer {issue_token(user=user, keep_others=True)}",
            "Accept-Language": language,
        }

    def get(self, path: str, **params):
        return self.client.get(API + path, params, headers=self.headers)

    def push(self, kind: str, body: dict, key: str | None = None):
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(
            API + f"/feeds/{kind}", body, content_type="application/json", headers=headers
        )


@pytest.fixture
def as_user(client):
    def make(user, language: str = "en") -> Api:
        return Api(client, user, language)

    return make


@pytest.fixture
def head(place, household_factory):
    household = household_factory(place.village_a1)
    member = household.members.get()
    return member, get_cipher().decrypt(member.id_number_enc)


def _medical(id_number: str, name: str = "张三", amount: str | float = "12345.60", day: str = DAY) -> dict:
    return {"id_number": id_number, "name": name, "event_date": day, "amount": amount}


def test_a_push_imports_links_and_reads_back(as_user, county_officer, head):
    member, id_number = head
    api = as_user(county_officer)
    response = api.push(
        "medical",
        {"source": "医保局2026年3月", "rows": [_medical(id_number), _medical(STRANGER, "李四", 800)]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["rows"], body["linked"], body["unlinked"]) == ("medical", 2, 1, 1)
    assert body["file_name"] == "医保局2026年3月.csv" and body["kind_label"] == "Medical claims"
    batch = FeedBatch.objects.get(pk=body["id"])
    assert batch.imported_by == county_officer
    record = FeedRecord.objects.get(batch=batch, member=member)
    assert str(record.amount) == "12345.60"

    read = api.get(f"/feeds/batches/{batch.pk}")
    assert read.status_code == 200 and read.json()["linked"] == 1
    records = api.get(f"/feeds/batches/{batch.pk}/records").json()
    assert records["count"] == 1
    item = records["items"][0]
    assert item["member_id"] == member.pk and item["amount"] == "12345.60" and item["row"] == 2
    text = read.content.decode() + str(records)
    assert id_number not in text and STRANGER not in text and "张三" not in text
    assert item["id_number_masked"] != id_number and item["id_number_masked"].endswith(id_number[-4:])


def test_field_level_problems_are_422_and_nothing_is_imported(as_user, county_officer, head):
    _, id_number = head
    rows = [
        _medical(id_number),
        {"id_number": "220822198005171234", "name": "", "event_date": "2099-01-01", "amount": "-5"},
        {"id_number": id_number, "name": "王五", "event_date": "昨天", "code": "flood"},
    ]
    response = as_user(county_officer).push("medical", {"rows": rows})
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert ("body", "rows", 2, "code") in locs  # medical lists have no code
    assert all(item["msg"] for item in response.json()["detail"])
    assert not FeedBatch.objects.exists()

    response = as_user(county_officer).push("medical", {"rows": rows[:2]})
    assert response.status_code == 422
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert {
        ("body", "rows", 1, "id_number"),
        ("body", "rows", 1, "name"),
        ("body", "rows", 1, "event_date"),
        ("body", "rows", 1, "amount"),
    } <= locs
    assert not any(loc[:3] == ("body", "rows", 0) for loc in locs)
    assert "220822198005171234" not in response.content.decode()
    assert not FeedBatch.objects.exists()

    empty = as_user(county_officer).push("medical", {"rows": []})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "rows"]
    unknown = as_user(county_officer).push("weather", {"rows": [_medical(id_number)]})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][:2] == ["path", "kind"]
    nul = as_user(county_officer).push("medical", {"rows": [_medical(id_number, name="张\x00三")]})
    assert nul.status_code == 422 and nul.json()["detail"][0]["loc"] == ["body", "rows", 0, "name"]


def test_messages_follow_the_language(as_user, county_officer):
    response = as_user(county_officer, "zh-hans").push("medical", {"rows": [_medical(STRANGER, name="")]})
    assert response.status_code == 422
    assert "姓名" in response.json()["detail"][0]["msg"] or "缺少" in response.json()["detail"][0]["msg"]


def test_a_person_outside_the_capture_area_refuses_the_push(as_user, make_user, place, head):
    _, id_number = head  # registered in 一村
    other_cadre = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    response = as_user(other_cadre).push("medical", {"rows": [_medical(id_number)]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "rows", 0, "id_number"]
    assert not FeedBatch.objects.exists()


@pytest.mark.parametrize("role", [Role.DEPARTMENT_USER, Role.PROVINCE_VIEWER])
def test_a_role_that_does_not_edit_may_not_push(as_user, make_user, place, head, role):
    _, id_number = head
    user = make_user(role, place.county.code)
    response = as_user(user).push("medical", {"rows": [_medical(id_number)]}, key="k-1")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not FeedBatch.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_retry_with_the_same_key_imports_once(as_user, county_officer, head):
    _, id_number = head
    api = as_user(county_officer)
    body = {"rows": [_medical(id_number)]}
    first = api.push("medical", body, key="push-0001")
    again = api.push("medical", body, key="push-0001")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert FeedBatch.objects.count() == 1 and FeedRecord.objects.count() == 1

    changed = api.push("medical", {"rows": [_medical(id_number, amount="1.00")]}, key="push-0001")
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert "Idempotency-Key" in changed.json()["detail"][0]["msg"]
    assert FeedBatch.objects.count() == 1

    # Another kind under the same key is another request too.
    other_kind = api.push(
        "death", {"rows": [{"id_number": id_number, "name": "张三", "event_date": DAY}]}, "push-0001"
    )
    assert other_kind.status_code == 422 and FeedBatch.objects.count() == 1


def test_two_keys_create_twice_and_keys_belong_to_their_user(as_user, county_officer, make_user, place, head):
    _, id_number = head
    api = as_user(county_officer)
    one = api.push("medical", {"rows": [_medical(id_number, amount="100.00")]}, key="a")
    two = api.push("medical", {"rows": [_medical(id_number, amount="200.00")]}, key="b")
    assert one.status_code == two.status_code == 201 and one.json()["id"] != two.json()["id"]
    assert FeedBatch.objects.count() == 2
    # The same rows under a new key: the service refuses the same list imported twice.
    same = api.push("medical", {"rows": [_medical(id_number, amount="100.00")]}, key="c")
    assert same.status_code == 422 and FeedBatch.objects.count() == 2
    # Another user's key "a" is their own.
    colleague = make_user(Role.COUNTY_OFFICER, place.county.code)
    theirs = as_user(colleague).push("medical", {"rows": [_medical(id_number, amount="300.00")]}, key="a")
    assert theirs.status_code == 201 and FeedBatch.objects.count() == 3


def test_a_failed_push_leaves_the_key_unused(as_user, county_officer, head):
    _, id_number = head
    api = as_user(county_officer)
    bad = api.push("medical", {"rows": [_medical(id_number, amount="-1")]}, key="fix-me")
    assert bad.status_code == 422 and not IdempotencyKey.objects.exists()
    fixed = api.push("medical", {"rows": [_medical(id_number, amount="1.00")]}, key="fix-me")
    assert fixed.status_code == 201 and FeedBatch.objects.count() == 1


def test_a_batch_outside_the_area_is_not_found(as_user, county_officer, make_user, place, head):
    _, id_number = head
    batch_id = as_user(county_officer).push("medical", {"rows": [_medical(id_number)]}).json()["id"]
    inside = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    outside = make_user(Role.VILLAGE_CADRE, place.village_a2.code)
    assert as_user(inside).get(f"/feeds/batches/{batch_id}").status_code == 200
    assert as_user(inside).get(f"/feeds/batches/{batch_id}/records").json()["count"] == 1
    for path in (f"/feeds/batches/{batch_id}", f"/feeds/batches/{batch_id}/records"):
        gone = as_user(outside).get(path)
        assert gone.status_code == 404, path
        assert gone.json() == as_user(outside).get("/feeds/batches/999999").json()
