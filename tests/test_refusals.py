"""Refusals say why, and pages offer nobody a button or link their role would be refused."""

from __future__ import annotations

import collections
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from fupin.accounts.roles import ROLE_CAPABILITIES, Capability, Role, refusal
from fupin.core.errors import NotPermitted
from fupin.demo.loader import DEMO_PASSWORD

GENERIC = "Your role does not allow this."


@pytest.mark.parametrize("role", Role.values)
def test_every_refusal_names_the_role_the_action_and_who_may(role):
    for capability in Capability:
        if capability in ROLE_CAPABILITIES[role]:
            continue
        with translation.override("zh-hans"):
            text = str(refusal(role, capability))
            label = str(Role(role).label)
            holders = [str(Role(r).label) for r in Role.values if capability in ROLE_CAPABILITIES[r]]
        assert label in text and "您的角色" in text, text
        assert all(holder in text for holder in holders), (capability, text)
        with translation.override("en"):
            assert str(refusal(role, capability)) != GENERIC


def test_a_refused_page_says_why(client, county_officer):
    client.force_login(county_officer)
    response = client.get(reverse("assistance:catalogue_add"), headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "修改本县帮扶措施目录" in page and "县级管理员" in page
    assert "您的角色无权进行此操作" not in page


def test_a_refused_service_call_says_why(province_viewer_user, household_factory):
    from fupin.registry import services

    household = household_factory()
    with pytest.raises(NotPermitted) as caught:
        services.update_household(
            actor=province_viewer_user, household=household, expected_version=household.version, values={}
        )
    with translation.override("en"):
        assert "register or correct households" in str(caught.value.message)


@pytest.fixture
def province_viewer_user(make_user, place):
    return make_user(Role.PROVINCE_VIEWER, "22")


class _Targets(HTMLParser):
    """Internal links and the targets of POST forms and HTMX posts on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.posts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        if tag == "form" and a.get("method", "get").lower() == "post":
            self.posts.append(a.get("action", ""))
        if a.get("hx-post"):
            self.posts.append(a["hx-post"])


# Not followed: leaving, downloads (checked by the export tests), and posts that start long work.
NOT_FOLLOWED = re.compile(
    r"logout|setlang|export|\.csv|\.xlsx|\.pdf|/static/|/api/|/media/|download"
    r"|screening/start|linkage/run|duplicates/find|indicators/rebuild|dashboard/rebuild"
)


def test_no_page_offers_what_the_role_would_be_refused(db):
    """Walk the demo county as each role: no link answers 403, no form or HTMX button posts to a 403."""
    call_command("demo_data", households=160, seed=7, verbosity=0)
    problems = {}
    for username in ("demo-village", "demo-township", "demo-county", "demo-department", "demo-province"):
        seen, refused = _walk(username)
        assert seen > 30, f"the walk as {username} reached too few pages ({seen}) to mean anything"
        if refused:
            problems[username] = refused
    assert not problems, f"offered what the role would be refused: {problems}"


def _walk(username: str) -> tuple[int, list[str]]:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    seen: set[str] = set()
    shapes: collections.Counter[str] = collections.Counter()
    queue = collections.deque([("/", 0)])
    refused: list[str] = []
    posts: dict[str, str] = {}
    while queue and len(seen) < 100:
        url, depth = queue.popleft()
        shape = re.sub(r"\d+", "N", url.split("?")[0])
        if url in seen or shapes[shape] >= 2:
            continue
        seen.add(url)
        shapes[shape] += 1
        response = client.get(url)
        if response.status_code == 403:
            refused.append(f"link {url}")
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        targets = _Targets()
        targets.feed(response.content.decode())
        for target in targets.posts:
            posts.setdefault(target or url, url)
        if depth < 3:
            queue.extend((link, depth + 1) for link in targets.links if not NOT_FOLLOWED.search(link))
    for target, shown_on in posts.items():
        if not NOT_FOLLOWED.search(target) and client.post(target, {}).status_code == 403:
            refused.append(f"form {target} on {shown_on}")
    return len(seen), refused
