"""Exports through /api/v1: each download is the page's export for the same filters (the same file, the
same audit entry), identifiers masked, 403 for roles that may not export, 404 for an area outside the
scope, and 422 naming the query parameter for a value the page would silently ignore."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fupin.accounts.roles import Capability, Role, has_capability
from fupin.accounts.services import issue_token
from fupin.audit.models import AuditEntry
from tests.test_exports import world  # noqa: F401 - the county the page export tests use

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_TOKENS: dict[int, str] = {}


def _token(user) -> str:
    """One token per user and test (issuing one is audited too: it must not land between two reads)."""
    if user.pk not in _TOKENS:
        _TOKENS[user.pk] = issue_token(user=user, keep_others=True)
    return _TOKENS[user.pk]


@pytest.fixture(autouse=True)
def _fresh_tokens():
    _TOKENS.clear()


def _api(client: Client, user, path: str, params: dict[str, Any] | None = None, language: str = "zh-hans"):
    headers = {"Authorization": f"Bearer {_token(user)}", "Accept-Language": language}
    return client.get(API + path, params or {}, headers=headers)


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _cells(response) -> list[list[Any]]:
    """The rows of a CSV or of every sheet of a workbook."""
    raw = _content(response)
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    book = load_workbook(io.BytesIO(raw))
    return [[sheet.title, *row] for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def _entries(since: int) -> list[tuple[Any, ...]]:
    """The audit entries written after ``since``, without their time and hashes."""
    return [
        (e.actor_id, e.action, e.object_type, e.object_id, e.area_code, e.summary, e.changes)
        for e in AuditEntry.objects.filter(id__gt=since).order_by("id")
    ]


def _last_id() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.pk if last else 0


# (API path, API query, page route, page query, who asks): the same export asked both ways.
SAME_EXPORT = [
    ("/exports/households", {}, "web:households_export", {}, "county"),
    ("/exports/households", {"format": "xlsx"}, "web:households_export_xlsx", {}, "county"),
    (
        "/exports/households",
        {"area_code": "220822100", "household_type": "lifted_out"},
        "web:households_export",
        {"area": "220822100", "household_type": "lifted_out"},
        "county",
    ),
    (
        "/exports/households",
        {"monitored_only": "true"},
        "web:households_export",
        {"monitoring_category": "any"},
        "county",
    ),
    ("/exports/risk-clues", {}, "screening:clues_export", {}, "county"),
    ("/exports/risk-clues", {"status": ""}, "screening:clues_export", {"status": "all"}, "county"),
    (
        "/exports/risk-clues",
        {"format": "xlsx", "area_code": "220822100202"},
        "screening:clues_export_xlsx",
        {"area": "220822100202"},
        "county",
    ),
    ("/exports/my-tasks", {}, "cases:tasks_export", {}, "township"),
    ("/exports/my-tasks", {"overdue": "true"}, "cases:tasks_export", {"overdue": "on"}, "township"),
    ("/exports/cases", {"open_only": "false"}, "cases:search_export", {"state": "all"}, "county"),
    (
        "/exports/cases",
        {"format": "xlsx", "area_code": "220822200"},
        "cases:search_export_xlsx",
        {"area": "220822200"},
        "county",
    ),
    ("/exports/helpers", {"show": "all"}, "twinning:helpers_export", {"show": "all"}, "county"),
    ("/exports/helpers", {"q": "李"}, "twinning:helpers_export", {"q": "李"}, "county"),
    ("/exports/twinning-coverage", {}, "twinning:coverage_export", {}, "county"),
    (
        "/exports/checks",
        {"area_code": "220822100", "check": "no_medical_insurance"},
        "checks:export",
        {"area": "220822100", "check": "no_medical_insurance"},
        "county",
    ),
    ("/exports/indicators/220822", {}, "dashboard:export", {}, "county"),
    ("/exports/exit/220822100201", {}, "dashboard:exit_export", {}, "county"),
]


@pytest.fixture
def askers(place, county_officer, make_user):
    return {"county": county_officer, "township": make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)}


@pytest.mark.parametrize(("path", "query", "route", "page_query", "who"), SAME_EXPORT)
def test_the_download_is_the_pages_export(client, world, askers, path, query, route, page_query, who):  # noqa: F811
    user = askers[who]
    client.cookies["django_language"] = "zh-hans"
    client.force_login(user)
    args = [path.rsplit("/", 1)[1]] if route.startswith("dashboard:") else []
    before = _last_id()
    page = client.get(reverse(route, args=args), page_query)
    assert page.status_code == 200
    page_cells, page_audit = _cells(page), _entries(before)
    client.logout()

    _token(user)
    before = _last_id()
    answer = _api(client, user, path, query)
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == page["Content-Type"]
    assert "attachment" in answer["Content-Disposition"]
    assert answer["Content-Disposition"] == page["Content-Disposition"]
    assert _cells(answer) == page_cells
    # One export entry (and, after an ID-tail search, the search's own), exactly as the page writes.
    assert _entries(before) == page_audit
    assert any(entry[1] == "export" for entry in page_audit)


def test_identifiers_stay_masked_and_nothing_outside_is_exported(client, world, county_officer):  # noqa: F811
    for path in ("/exports/households", "/exports/risk-clues", "/exports/cases", "/exports/helpers"):
        for fmt in ("csv", "xlsx"):
            response = _api(client, county_officer, path, {"format": fmt, "status": "", "open_only": "false"})
            assert response.status_code == 200, (path, fmt)
            text = str(_cells(response))
            for secret in (world.outside.number, "外县人", world.outside_helper.name, "13700001111"):
                assert secret not in text, (path, secret)
            for full_id in world.full_ids:
                assert full_id not in text, path
            assert "13812345678" not in text, path
    households = _cells(_api(client, county_officer, "/exports/households"))
    id_column = households[0].index("身份证号")
    assert all("*" in row[id_column] and len(row[id_column]) == 18 for row in households[1:])
    assert len(households) == 1 + len(world.inside)


def test_an_id_tail_search_is_audited_as_on_the_page(client, world, county_officer):  # noqa: F811
    tail = world.full_ids[0][-4:]
    _token(county_officer)
    before = _last_id()
    response = _api(client, county_officer, "/exports/households", {"q": tail})
    assert response.status_code == 200
    [search, export] = AuditEntry.objects.filter(id__gt=before).order_by("id")
    assert search.action == "search" and search.changes["channel"] == "export"
    assert search.changes["characters"] == 4 and tail not in str(search.changes)
    assert export.action == "export" and export.changes["id_tail_search"] is True
    assert _api(client, county_officer, "/exports/households", {"q": "12"}).status_code == 422


ALL_DOWNLOADS = [
    "/exports/households",
    "/exports/risk-clues",
    "/exports/my-tasks",
    "/exports/cases",
    "/exports/helpers",
    "/exports/twinning-coverage",
    "/exports/checks",
    "/exports/indicators/220822",
    "/exports/exit/220822",
]


@pytest.mark.parametrize("role", Role.values)
def test_roles_without_the_export_capability_get_403(client, place, make_user, world, role):  # noqa: F811
    user = make_user(role, place.county.code)
    allowed = has_capability(role, Capability.EXPORT)
    _token(user)
    before = _last_id()
    for path in ALL_DOWNLOADS:
        response = _api(client, user, path, language="en")
        assert response.status_code == (200 if allowed else 403), (role, path, response.content[:200])
        if not allowed:
            assert "download lists" in response.json()["detail"]  # the refusal names what it may not do
    if not allowed:
        assert not AuditEntry.objects.filter(id__gt=before, action="export").exists()


def test_an_area_outside_the_scope_is_not_found(client, place, make_user, world):  # noqa: F811
    officer = make_user(Role.TOWNSHIP_OFFICER, place.township_a.code)
    _token(officer)
    before = _last_id()
    outside = place.village_b1.code  # township B: next door
    for path, params in (
        ("/exports/households", {"area_code": outside}),
        ("/exports/risk-clues", {"area_code": outside}),
        ("/exports/cases", {"area_code": outside}),
        ("/exports/twinning-coverage", {"area_code": outside}),
        ("/exports/checks", {"area_code": outside}),
        ("/exports/households", {"area_code": "220822999999"}),  # no such village
        (f"/exports/indicators/{outside}", {}),
        (f"/exports/exit/{outside}", {}),
        (f"/exports/exit/{place.county.code}", {}),  # the county contains the officer's township
        ("/exports/exit/nation", {}),
    ):
        response = _api(client, officer, path, params)
        assert response.status_code == 404, (path, params, response.content[:200])
        assert response.json() == _api(client, officer, "/exports/exit/999999999999").json()
    assert not AuditEntry.objects.filter(id__gt=before, action="export").exists()


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/exports/households", {"household_type": "nope"}, "household_type"),
        ("/exports/households", {"risk_type": "nope"}, "risk_type"),
        ("/exports/households", {"area_code": "22x"}, "area_code"),
        ("/exports/households", {"format": "pdf"}, "format"),
        (
            "/exports/households",
            {"monitored_only": "true", "monitoring_category": "marginal"},
            "monitored_only",
        ),
        ("/exports/risk-clues", {"status": "nope"}, "status"),
        ("/exports/my-tasks", {"step": "closed"}, "step"),  # My tasks hold open cases only
        ("/exports/cases", {"due_by": "2025-02-30"}, "due_by"),
        ("/exports/helpers", {"rank": "nope"}, "rank"),
        ("/exports/helpers", {"show": "nope"}, "show"),
        ("/exports/checks", {"check": "nope"}, "check"),
        ("/exports/indicators/220822", {"line": "nope"}, "line"),
    ],
)
def test_a_value_the_page_would_ignore_is_refused(client, county_officer, world, path, params, field):  # noqa: F811
    _token(county_officer)
    before = _last_id()
    response = _api(client, county_officer, path, params)
    assert response.status_code == 422, response.content[:300]
    assert ["query", field] in [item["loc"] for item in response.json()["detail"]]
    assert all(item["msg"] for item in response.json()["detail"])
    assert not AuditEntry.objects.filter(id__gt=before, action="export").exists()
