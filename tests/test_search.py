"""Finding households the way a new clerk tries: by village or township name, by the last digits of
an ID number (masked, audited, at least 4 digits, never outside scope); numbered pages on every
list; and the landing page's search box and worklist."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from fupin.accounts.roles import Role
from fupin.accounts.services import issue_token
from fupin.audit.models import AuditEntry
from fupin.domain.idnumber import make as make_id
from fupin.registry import selectors, services
from fupin.registry.models import Member
from tests.casework import raise_clue

API = "/api/v1"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogs():
    """Compile the .po files as the ``fupin`` command does, and drop any catalogue loaded before."""
    from django.utils.translation.reloader import translation_file_changed

    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    translation_file_changed(sender=None, file_path=Path("django.mo"))


def login(client, user, language: str = "en"):
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def body(response) -> str:
    return response.content.decode()


def link(household) -> str:
    return reverse("web:household", args=[household.pk])


def api_get(client, user, path: str):
    token = issue_token(user=user)
    return client.get(API + path, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def searches(action: str = "search"):
    return list(AuditEntry.objects.filter(action=action, object_type="household").order_by("id"))


# ---------------------------------------------------------------- village and township names


def test_a_village_or_township_name_lists_its_households_and_is_offered_as_a_filter(
    client, county_officer, household_factory, place
):
    in_a1 = household_factory(place.village_a1)
    in_a2 = household_factory(place.village_a2)
    in_b1 = household_factory(place.village_b1)
    login(client, county_officer)
    url = reverse("web:households")

    village = body(client.get(url, {"q": "二村"}))
    assert link(in_a2) in village
    assert link(in_a1) not in village and link(in_b1) not in village
    assert f"?area={place.village_a2.code}" in village  # offered as the area filter

    township = body(client.get(url, {"q": "开通镇"}, HTTP_HX_REQUEST="true"))
    assert link(in_a1) in township and link(in_a2) in township and link(in_b1) not in township
    assert f"?area={place.township_a.code}" in township

    # One character (every village is a 村) matches no area, only names and numbers.
    assert link(in_a1) not in body(client.get(url, {"q": "村"}))
    assert selectors.areas_named(county_officer, "村") == []


def test_area_names_outside_scope_find_nothing(client, make_user, household_factory, place):
    outside = household_factory(place.village_a2)
    inside = household_factory(place.village_a1)
    cadre = make_user(Role.VILLAGE_CADRE, place.village_a1.code)
    login(client, cadre)
    page = body(client.get(reverse("web:households"), {"q": "二村"}))
    assert link(outside) not in page and place.village_a2.code not in page
    assert selectors.areas_named(cadre, "二村") == []
    assert selectors.areas_named(cadre, "一村") == [place.village_a1]
    assert inside in selectors.search_households(cadre, selectors.HouseholdFilters(query="一村"))
    assert not selectors.search_households(cadre, selectors.HouseholdFilters(query="镇赉")).exists()


# ---------------------------------------------------------------- the end of an ID number


def _head_id(county_officer, household) -> str:
    return services.reveal(actor=county_officer, instance=household.members.get(), field="id_number")


def test_the_last_4_or_6_characters_find_the_household_masked_and_audited(
    client, county_officer, household_factory
):
    found = household_factory()
    other = household_factory()
    number = _head_id(county_officer, found)
    masked = found.members.get().id_number_masked
    assert number[-4:] != _head_id(county_officer, other)[-4:]
    login(client, county_officer)
    url = reverse("web:households")

    for tail in (number[-4:], number[-6:], f" {number[-6:-3]} {number[-3:]} "):
        before = len(searches())
        page = body(client.get(url, {"q": tail}))
        assert link(found) in page and link(other) not in page, tail
        assert masked in page and number not in page  # shown masked, never in full
        entries = searches()
        assert len(entries) == before + 1
        entry = entries[-1]
        assert entry.actor == county_officer
        digits = tail.replace(" ", "")
        assert entry.changes["characters"] == len(digits) and entry.changes["found"] == 1
        assert digits not in json.dumps(entry.changes) + entry.summary  # no plain digits kept

    # The export of such a search is audited as both, with no digits either.
    export = client.get(reverse("web:households_export"), {"q": number[-4:]})
    assert export.status_code == 200
    assert searches()[-1].changes["channel"] == "export"
    exported = AuditEntry.objects.filter(action="export").latest("id")
    assert exported.changes["id_tail_search"] is True and number[-4:] not in json.dumps(exported.changes)

    # The API finds it too, and records it.
    response = api_get(client, county_officer, f"/households?q={number[-4:]}")
    assert [item["number"] for item in response.json()["items"]] == [found.number]
    assert searches()[-1].changes["channel"] == "api"
    # The same search with the digits in the body, out of every address and proxy log.
    before = len(searches())
    token = issue_token(user=county_officer)
    posted = client.post(
        f"{API}/households/search?limit=10",
        {"q": number[-4:]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert [item["number"] for item in posted.json()["items"]] == [found.number]
    assert len(searches()) == before + 1 and searches()[-1].changes["channel"] == "api"
    short = client.post(
        f"{API}/households/search",
        {"q": number[-3:]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    assert short.status_code == 422 and "last 4 or 6" in short.content.decode()

    # Ordinary searches are not recorded.
    before = len(searches())
    client.get(url, {"q": found.members.get().name})
    client.get(url, {"q": number})
    assert len(searches()) == before


def test_fewer_than_4_digits_are_refused_with_a_message(client, county_officer, household_factory):
    household = household_factory()
    number = _head_id(county_officer, household)
    login(client, county_officer)
    before = len(searches())
    for short in (number[-3:], number[-1:], "12"):
        page = body(client.get(reverse("web:households"), {"q": short}))
        assert "type its last 4 or 6 characters or all 18" in page, short
        assert link(household) not in page  # not even by household number
        assert not selectors.search_households(county_officer, selectors.HouseholdFilters(query=short))
    response = api_get(client, county_officer, f"/households?q={number[-3:]}")
    assert response.status_code == 422
    assert "last 4 or 6" in response.content.decode()
    assert len(searches()) == before
    # In Chinese too.
    login(client, county_officer, "zh-hans")
    assert "后4位" in body(client.get(reverse("web:households"), {"q": "123"}))


def _same_tail_elsewhere(number: str, area: str) -> str:
    """A valid ID number of another area and birth date ending in the same 4 characters."""
    for days in range(1, 4000):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=days)
        candidate = make_id(area, birth, int(number[-4:-1]))
        if candidate[-4:] == number[-4:]:
            return candidate
    raise AssertionError("no such number")


def _add_head(actor, village, number_in_village: int, id_number: str, name: str):
    household = services.create_household(
        actor=actor,
        number=f"{village.code}{number_in_village:04d}",
        village_code=village.code,
        household_type="ordinary",
        status="normal",
    )
    birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    services.add_member(
        actor=actor,
        household=household,
        values={
            "name": name,
            "sex": "M" if int(id_number[16]) % 2 else "F",
            "birth_date": birth,
            "relation": "head",
            "labour_capacity": "ordinary",
        },
        id_number=id_number,
    )
    return household


@pytest.mark.parametrize("role", Role.values)
def test_an_id_ending_never_finds_a_household_outside_scope(client, make_user, county_officer, place, role):
    """In the spirit of tests/test_access_matrix.py: for every role, granted one village, the end of an
    ID number finds the household inside and never the ones outside with the same ending."""
    inside_id = make_id("220822", dt.date(1975, 6, 1), 321)
    inside = _add_head(county_officer, place.village_a1, 1, inside_id, "尾号内")
    neighbour = _add_head(
        county_officer, place.village_a2, 1, _same_tail_elsewhere(inside_id, "220822"), "尾号邻"
    )
    outsider = make_user(Role.COUNTY_OFFICER, "220821")
    far = _add_head(
        outsider, place.other_county_village, 1, _same_tail_elsewhere(inside_id, "220821"), "尾号外"
    )
    user = make_user(role, place.village_a1.code)
    login(client, user)

    for tail in (inside_id[-4:], inside_id[-6:]):
        found = selectors.search_households(user, selectors.HouseholdFilters(query=tail))
        assert list(found) == [inside], tail
        page = body(client.get(reverse("web:households"), {"q": tail}, HTTP_HX_REQUEST="true"))
        assert link(inside) in page
        assert "尾号内" in page  # the matched member, with the number masked
        for household, name in ((neighbour, "尾号邻"), (far, "尾号外")):
            assert link(household) not in page and household.number not in page and name not in page
        listing = api_get(client, user, f"/households?q={tail}").json()
        assert [item["number"] for item in listing["items"]] == [inside.number]
    # The neighbour's own 6-character ending differs, and finds nothing for this user either.
    neighbour_id = _head_id(county_officer, neighbour)
    assert not selectors.search_households(user, selectors.HouseholdFilters(query=neighbour_id[-6:])).exists()
    # A county officer of 220822 finds both of the county, not the other county's.
    county = selectors.search_households(county_officer, selectors.HouseholdFilters(query=inside_id[-4:]))
    assert set(county) == {inside, neighbour}


def test_every_writer_keeps_the_suffix_indexes(county_officer, household_factory):
    household = household_factory()
    member = household.members.get()
    old = _head_id(county_officer, household)
    new = make_id("220822", member.birth_date, 555 if member.sex == "M" else 554)
    services.update_member(
        actor=county_officer, member=member, expected_version=member.version, values={}, id_number=new
    )
    for tail, expected in ((new[-4:], True), (new[-6:], True), (old[-4:], old[-4:] == new[-4:])):
        found = selectors.search_households(county_officer, selectors.HouseholdFilters(query=tail))
        assert found.exists() is expected, tail

    # The data migration fills members stored before the indexes existed, decrypting each once.
    from django.apps import apps
    from django.db import connection

    fill = __import__(
        "fupin.registry.migrations.0003_member_id_tails", fromlist=["fill_id_tails"]
    ).fill_id_tails
    Member.objects.filter(pk=member.pk).update(id_tail4_bidx="", id_tail6_bidx="")
    assert not selectors.search_households(county_officer, selectors.HouseholdFilters(query=new[-4:]))
    fill(apps, SimpleNamespace(connection=connection))  # the data step reads only the connection
    assert selectors.search_households(county_officer, selectors.HouseholdFilters(query=new[-6:])).exists()
    stored = Member.objects.get(pk=member.pk)
    assert new[-4:] not in stored.id_tail4_bidx + stored.id_tail6_bidx  # keyed hashes, not the digits


def test_imported_members_are_found_by_their_id_ending(county_officer, place):
    from fupin.exchange.importer import import_file

    head = make_id("220822", dt.date(1970, 3, 5), 11)
    import_file(
        "cli",
        "households",
        "户编号,村代码,户类型,户状态\n2208221002010001,220822100201,一般农户,Normal\n".encode(),
        "h.csv",
    )
    members = f"户编号,姓名,身份证号,与户主关系,劳动技能\n2208221002010001,张三,{head},户主,普通劳动力\n"
    import_file("cli", "members", members.encode(), "m.csv")
    for tail in (head[-4:], head[-6:]):
        found = selectors.search_households(county_officer, selectors.HouseholdFilters(query=tail))
        assert [h.number for h in found] == ["2208221002010001"], tail


def test_demo_members_are_found_by_their_id_ending(db, make_user):
    from fupin.demo.loader import load_demo_county
    from fupin.pii.crypto import get_cipher

    load_demo_county(households=20, seed=3, as_of=dt.date(2025, 6, 30))
    stored = Member.objects.exclude(id_number_enc="")
    assert stored.exists() and not stored.filter(Q(id_tail4_bidx="") | Q(id_tail6_bidx="")).exists()
    officer = make_user(Role.COUNTY_OFFICER, "220822")
    member = stored.order_by("id").last()
    tail = get_cipher().decrypt(member.id_number_enc)[-6:]
    assert member.household in selectors.search_households(officer, selectors.HouseholdFilters(query=tail))


# ---------------------------------------------------------------- numbered pages


def _numbers(page: str) -> list[str]:
    nav = re.search(r'<nav class="pager".*?</nav>', page, re.S)
    assert nav, "no pager"
    return re.findall(r'<span class="(?:current|gap)"[^>]*>([^<]+)</span>|>(\d+)</a>', nav.group(0))


def _shown(page: str) -> list[str]:
    return [current or linked for current, linked in _numbers(page)]


def test_the_household_list_has_numbered_pages_and_a_go_to_box(
    client, county_officer, household_factory, monkeypatch
):
    monkeypatch.setattr("fupin.web.views.PAGE_SIZE", 1)
    for _n in range(12):
        household_factory()
    login(client, county_officer)
    url = reverse("web:households")
    page = body(client.get(url, {"household_type": "ordinary", "page": 6}))
    assert _shown(page) == ["1", "…", "4", "5", "6", "7", "8", "…", "12"]
    assert 'aria-current="page">6<' in page
    assert "household_type=ordinary&amp;page=12" in page  # the filters stay on every link
    jump = re.search(r'<form method="get" class="jump">.*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="household_type" value="ordinary">' in jump
    assert 'name="page"' in jump and 'max="12"' in jump
    assert body(client.get(url, {"page": 1})).count("…") == 1  # 1 2 3 … 12
    assert _shown(body(client.get(url, {"page": 1}))) == ["1", "2", "3", "…", "12"]
    assert _shown(body(client.get(url, {"page": 12}))) == ["1", "…", "10", "11", "12"]
    # A page typed in the box past the end shows the last page, not an error.
    assert 'aria-current="page">12<' in body(client.get(url, {"page": 99}))


@pytest.mark.parametrize(
    ("pages", "current", "shown"),
    [
        (2, 1, ["1", "2"]),
        (7, 4, ["1", "2", "3", "4", "5", "6", "7"]),
        (8, 4, ["1", "2", "3", "4", "5", "6", "7", "8"]),  # one page left out is shown, not "…"
        (9, 4, ["1", "2", "3", "4", "5", "6", "…", "9"]),
        (400, 200, ["1", "…", "198", "199", "200", "201", "202", "…", "400"]),
        (400, 4, ["1", "2", "3", "4", "5", "6", "…", "400"]),
    ],
)
def test_the_shared_pager_of_every_list(rf: RequestFactory, pages, current, shown):
    """Every list includes web/_pager.html with its ``page_obj``: numbers, ellipses and the box keep
    whatever query the list has."""
    request = rf.get("/any/list/", {"state": "all", "area": "220822", "page": current})
    page_obj = Paginator(list(range(pages)), 1).get_page(current)
    html = render_to_string("web/_pager.html", {"page_obj": page_obj}, request=request)
    assert _shown(html) == shown
    assert '<input type="hidden" name="state" value="all">' in html
    assert '<input type="hidden" name="area" value="220822">' in html
    assert f"?state=all&amp;area=220822&amp;page={pages}" in html


# ---------------------------------------------------------------- the landing page


def test_the_landing_page_has_the_search_box_and_the_worklist(
    client, village_cadre, county_officer, make_user, household_factory, place
):
    household = household_factory(place.village_a1)
    case = raise_clue(village_cadre, household)
    login(client, village_cadre)
    home = body(client.get(reverse("web:home")))
    search = re.search(r'<form method="post" action="([^"]+)"[^>]*role="search">.*?</form>', home, re.S)
    assert search and search.group(1) == reverse("web:households") and 'name="q"' in search.group(0)
    assert reverse("cases:case", args=[case.pk]) in home and household.number in home
    assert "My tasks" in home and "Notifications" in home
    # The search box leads to the same search: the end of the ID number finds the household.
    number = _head_id(county_officer, household)
    results = client.post(search.group(1), {"q": number[-4:]}, follow=True)
    assert link(household) in body(results) and number[-4:] not in results.redirect_chain[0][0]

    # A county officer has no village step waiting: an empty state, not an empty table.
    login(client, county_officer)
    officer_home = body(client.get(reverse("web:home")))
    assert 'role="search"' in officer_home and "No tasks waiting" in officer_home
    assert reverse("cases:case", args=[case.pk]) not in officer_home

    # A role that takes no step is told where the cases are.
    viewer = make_user(Role.PROVINCE_VIEWER, "22")
    login(client, viewer)
    viewer_home = body(client.get(reverse("web:home")))
    assert 'role="search"' in viewer_home and "Your role takes no step of the procedure." in viewer_home
    assert reverse("cases:search") in viewer_home

    # Someone with no area sees the empty state and no search box that would find nothing.
    nobody = make_user(Role.COUNTY_OFFICER)
    login(client, nobody)
    empty = body(client.get(reverse("web:home")))
    assert "No area is assigned to your account yet" in empty and 'role="search"' not in empty


# ---------------------------------------------------------------- the search text never in an address


def test_a_search_leaves_its_text_out_of_the_address_the_pager_and_the_export_links(
    client, county_officer, household_factory
):
    """What is typed (a name, an ID number's digits) is posted; the address the results leave, and every
    link on them, carry it only sealed, so no history, shared screen or proxy log shows it."""
    found = household_factory()
    household_factory()
    number = _head_id(county_officer, found)
    name = found.members.get().name
    login(client, county_officer)
    url = reverse("web:households")

    for typed in (number[-6:], number, name):
        response = client.post(url, {"q": typed, "household_type": ""})
        assert response.status_code == 302
        address = response["Location"]
        assert typed not in address and "qk=" in address and "household_type" not in address
        page = body(client.get(address))
        assert link(found) in page, typed
        assert not [href for href in re.findall(r'(?:href|action)="([^"]+)"', page) if typed in href]

        live = client.post(url, {"q": typed, "status": "normal"}, HTTP_HX_REQUEST="true")
        assert link(found) in body(live) and typed not in live["HX-Push-Url"]
        hrefs = re.findall(r'href="([^"]+)"', body(live))
        assert hrefs and not [href for href in hrefs if typed in href]
        assert [href for href in hrefs if "export" in href and "qk=" in href and "status=normal" in href]

    sealed_export = client.get(
        reverse("web:households_export"), {"qk": QueryDict(address.partition("?")[2])["qk"]}
    )
    plain_export = client.get(reverse("web:households_export"), {"q": name})
    sealed_rows, plain_rows = (b"".join(e.streaming_content).decode() for e in (sealed_export, plain_export))
    assert sealed_rows == plain_rows and found.number in sealed_rows


def test_an_old_or_altered_search_link_says_so_and_shows_no_text(
    client, county_officer, household_factory, monkeypatch
):
    from fupin.web import searchlinks

    found = household_factory()
    login(client, county_officer)
    address = client.post(reverse("web:households"), {"q": found.number})["Location"]
    token = QueryDict(address.partition("?")[2])["qk"]
    assert searchlinks.unsealed(token) == found.number
    assert link(found) in body(client.get(address))
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (altered, "not-a-token"):
        page = body(client.get(reverse("web:households"), {"qk": bad}))
        assert "This search link has expired" in page and found.number not in page.split('id="results"')[0]
    monkeypatch.setattr(searchlinks, "LIFETIME_SECONDS", -60)  # the working day is over
    assert "This search link has expired" in body(client.get(address))
