"""Load test (issue 21, Build 3): 50 cadres of mixed roles at once against a running ``fupin serve``.

Run (PostgreSQL with the 20,000-household demo, a server of its own on a loopback port)::

    export FUPIN_VAR_DIR=/tmp/fupin-load FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fupin_load
    .venv/bin/fupin migrate --no-input && .venv/bin/fupin demo-data      # 20,000 households
    .venv/bin/fupin serve --port 8601 &
    .venv/bin/python bench/load.py --base http://127.0.0.1:8601 [--users 50] [--duration 300] [--json F]

What it does, and why it is honest:

* Each virtual user is a browser session of a demo account (``fupin.demo.loader.DEMO_ACCOUNTS``, password
  ``DEMO_PASSWORD``): it logs in through the login form (CSRF token and all). The households, cases and
  village names it opens are a seeded sample of its own area read from the database the server uses
  (the same ``FUPIN_DATABASE_URL``), so that pages are spread over the whole area. Neither is measured.
  The tables are ANALYZEd first (``--no-analyze`` to skip), as autovacuum would have done a minute after
  ``fupin demo-data``: a cluster with autovacuum off plans a fresh demo's queries without statistics.
  The mix of the 50 users (``--mix``, default 24 village cadres, 12 township officers, 10 county
  officers, 4 province viewers) shares the four demo accounts: sessions are independent, but a village
  cadre's village is always the demo village.
* Then, until ``--duration`` seconds are over, each user opens one page, reads it whole, and thinks for
  a random ``--think`` seconds (default 1-5, a cadre reading a page before the next click), in a closed
  loop: a slow server slows the users down rather than piling requests up, as with people. ``--think 0``
  is a stress test instead (every user clicks again at once). Users start spread over ``--ramp``
  seconds.
* Pages, by weight: the landing page with its worklist (``/``), my tasks (``/cases/``), a household page,
  a household search (a number prefix, a surname, the village's name, or the last 4 characters of an ID
  number: the page audits that one, so it is a write too), a case page with its steps, and the dashboard
  of the user's area. A page counts as an error unless it answers 200, is not the login page and holds
  what that page must hold; timeouts (``--timeout``) and refused connections are errors too.
* Latency is measured in this process (``perf_counter`` around the request and reading the body), so
  it includes the client's own share of the two CPUs the server also uses: a pessimistic figure.
* Bounded and loopback only: the base URL must resolve to loopback addresses (nothing else is ever
  contacted), at most 200 users and 1,800 seconds.

It prints, per page, requests, errors, p50, p95 and max in milliseconds, the throughput, the machine
(nproc, CPU, load average before and after) and the commit, and checks the target: p95 ≤ 500 ms and no
error on every page.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

TARGET_P95_MS = 500.0
MAX_USERS = 200
MAX_DURATION = 1800.0
PAGES = ("landing", "worklist", "household", "search", "case", "dashboard")
# How often each page is opened (a cadre's day: the worklist and households most of all).
WEIGHTS = {"landing": 15, "worklist": 15, "household": 25, "search": 20, "case": 15, "dashboard": 10}
# demo account → (role, the code of its area in the demo county)
ACCOUNTS = {
    "demo-village": ("village_cadre", "220822107214"),
    "demo-township": ("township_officer", "220822107"),
    "demo-county": ("county_officer", "220822"),
    "demo-province": ("province_viewer", "22"),
}
DEFAULT_MIX = "demo-village:24,demo-township:12,demo-county:10,demo-province:4"
SURNAMES = ("王", "李", "张", "刘", "陈")


def loopback_only(base: str) -> None:
    """Refuse any base URL that is not served on this machine's loopback interface."""
    host = urlsplit(base).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise SystemExit(f"cannot resolve {host!r}: {exc}") from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"{base} is not a loopback address ({', '.join(sorted(addresses))}): refused")


# ---------------------------------------------------------------- one user


@dataclass
class Sample:
    page: str
    seconds: float
    ok: bool
    detail: str = ""
    variant: str = ""  # the kind of search


@dataclass
class Targets:
    """What a user's pages link to: real ids in its own area."""

    households: list[int] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    village_names: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


class User:
    def __init__(self, base: str, account: str, password: str, timeout: float, rng: random.Random) -> None:
        self.base = base.rstrip("/")
        self.account = account
        self.role, self.area = ACCOUNTS[account]
        self.password = password
        self.timeout = timeout
        self.rng = rng
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "zh-hans"
        self.targets = Targets()

    def _get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base + path, params=params, timeout=self.timeout, allow_redirects=True)

    def login(self) -> None:
        form = self._get("/login/")
        token = self.session.cookies.get("csrftoken") or ""
        answer = self.session.post(
            self.base + "/login/",
            data={"username": self.account, "password": self.password, "csrfmiddlewaretoken": token},
            headers={"Referer": self.base + "/login/"},
            timeout=self.timeout,
        )
        if answer.status_code != 200 or "/login/" in answer.url or form.status_code != 200:
            raise RuntimeError(f"{self.account} could not log in ({answer.status_code} {answer.url})")

    def discover(self, targets: Targets) -> None:
        self.targets = targets

    # Each page: the request, then what the answer must hold to count as served.
    def page(self, kind: str) -> tuple[str, dict[str, Any], Callable[[str], bool], str]:
        t = self.targets
        if kind == "landing":
            return "/", {}, lambda body: "<main" in body, ""
        if kind == "worklist":
            return "/cases/", {}, lambda body: "<main" in body, ""
        if kind == "household":
            pk = self.rng.choice(t.households)
            return f"/households/{pk}/", {}, lambda body: "<main" in body, ""
        if kind == "search":
            choice = self.rng.random()
            if choice < 0.3 and t.numbers:
                q, variant = self.rng.choice(t.numbers)[:14], "number"
            elif choice < 0.6:
                q, variant = self.rng.choice(SURNAMES), "surname"
            elif choice < 0.8 and t.village_names:
                q, variant = self.rng.choice(t.village_names), "village"
            else:  # the last 4 characters of an ID number (audited)
                q, variant = f"{self.rng.randrange(10000):04d}", "id_tail"
            return "/households/", {"q": q}, lambda body: "<main" in body, variant
        if kind == "case":
            if not t.cases:  # a user with no case in the area reads its case search instead
                return "/cases/all/", {"state": "all"}, lambda body: "<main" in body, ""
            pk = self.rng.choice(t.cases)
            return f"/cases/{pk}/", {}, lambda body: "<main" in body, ""
        if kind == "dashboard":
            return f"/dashboard/{self.area}/", {}, lambda body: "<main" in body, ""
        raise ValueError(kind)

    def open(self, kind: str) -> Sample:
        path, params, holds, variant = self.page(kind)
        started = time.perf_counter()
        try:
            answer = self._get(path, **params)
            body = answer.text
            seconds = time.perf_counter() - started
        except requests.RequestException as exc:
            return Sample(kind, time.perf_counter() - started, False, type(exc).__name__, variant)
        if answer.status_code != 200:
            return Sample(kind, seconds, False, f"HTTP {answer.status_code} {path}", variant)
        if "/login/" in answer.url:
            return Sample(kind, seconds, False, "sent to the login page", variant)
        if not holds(body):
            return Sample(kind, seconds, False, f"unexpected page {path}", variant)
        return Sample(kind, seconds, True, "", variant)


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    django.setup()


def _analyze() -> None:
    """Table statistics for the planner, as autovacuum gathers them a minute after a bulk load: a
    server with autovacuum off (a test cluster) would otherwise plan every query of a freshly loaded
    demo as if its tables were empty."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def discover(area_code: str, rng: random.Random, sample: int = 400) -> Targets:
    """Households, cases and village names of an area, read from the database the server uses: a
    seeded sample, so that household and case pages are spread over the whole area (not measured)."""
    from fupin.areas.models import Area
    from fupin.cases.models import Case
    from fupin.registry.models import Household

    households = list(
        Household.objects.filter(village__code__startswith=area_code).values_list("pk", "number")
    )
    chosen = rng.sample(households, min(sample, len(households)))
    cases = list(
        Case.objects.filter(household__village__code__startswith=area_code).values_list("pk", flat=True)
    )
    villages = Area.objects.filter(code__startswith=area_code, level=5).order_by("code")
    return Targets(
        households=[pk for pk, _ in chosen],
        cases=rng.sample(cases, min(sample, len(cases))),
        village_names=list(villages.values_list("name", flat=True)[:50]),
        numbers=[number for _, number in chosen],
    )


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from fupin.demo.loader import DEMO_PASSWORD

    loopback_only(args.base)
    rng = random.Random(args.seed)
    accounts = [name for name, count in _mix(args.mix) for _ in range(count)]
    if len(accounts) != args.users:
        raise SystemExit(f"--mix adds up to {len(accounts)} users, not --users {args.users}")
    low, high = _think(args.think)
    users = [
        User(args.base, name, DEMO_PASSWORD, args.timeout, random.Random(rng.random())) for name in accounts
    ]
    if args.analyze:
        _analyze()
    discovered = {name: discover(ACCOUNTS[name][1], rng) for name in dict.fromkeys(accounts)}
    for user in users:  # one login per session (not measured)
        user.login()
        user.discover(discovered[user.account])
        if not user.targets.households:
            raise SystemExit(f"{user.account} has no household in its area: load the demo (fupin demo-data)")

    samples: list[Sample] = []
    lock = threading.Lock()
    kinds = [k for k in PAGES for _ in range(WEIGHTS[k])]
    start = time.monotonic() + 1.0
    stop = start + args.ramp + args.duration
    load_before = os.getloadavg()

    def loop(index: int, user: User) -> None:
        time.sleep(max(0.0, start + args.ramp * index / len(users) - time.monotonic()))
        while time.monotonic() < stop:
            sample = user.open(user.rng.choice(kinds))
            with lock:
                samples.append(sample)
            pause = user.rng.uniform(low, high)
            if pause:
                time.sleep(min(pause, max(0.0, stop - time.monotonic())))

    threads = [threading.Thread(target=loop, args=(i, u), daemon=True) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.ramp + args.duration + args.timeout + 30)
    elapsed = time.monotonic() - start
    return _report(args, samples, elapsed, load_before, os.getloadavg())


def _mix(text: str) -> list[tuple[str, int]]:
    mix = []
    for part in text.split(","):
        name, _, count = part.partition(":")
        if name.strip() not in ACCOUNTS:
            raise SystemExit(f"unknown demo account {name!r} in --mix (known: {', '.join(ACCOUNTS)})")
        mix.append((name.strip(), int(count)))
    return mix


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "commit": commit}


def _figures(mine: list[Sample]) -> dict[str, Any]:
    times = [s.seconds * 1000 for s in mine if s.ok]
    errors = [s.detail for s in mine if not s.ok]
    return {
        "requests": len(mine),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(_percentile(times, 0.95), 1) if times else None,
        "max_ms": round(max(times), 1) if times else None,
    }


def _report(
    args: argparse.Namespace,
    samples: list[Sample],
    elapsed: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> dict[str, Any]:
    pages = {kind: _figures([s for s in samples if s.page == kind]) for kind in PAGES}
    searches = {
        variant: _figures([s for s in samples if s.page == "search" and s.variant == variant])
        for variant in ("number", "surname", "village", "id_tail")
    }
    met = all(
        p["errors"] == 0 and p["p95_ms"] is not None and p["p95_ms"] <= TARGET_P95_MS for p in pages.values()
    )
    return {
        "users": args.users,
        "mix": args.mix,
        "think_s": args.think,
        "duration_s": args.duration,
        "ramp_s": args.ramp,
        "elapsed_s": round(elapsed, 1),
        "requests": len(samples),
        "throughput_rps": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "pages": pages,
        "searches": searches,
        "target_p95_ms": TARGET_P95_MS,
        "target_met": met,
        "machine": {
            **_machine(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
        },
    }


def _print(result: dict[str, Any]) -> None:
    print(
        f"{result['users']} users ({result['mix']}), think {result['think_s']} s, "
        f"{result['duration_s']:g} s after a {result['ramp_s']:g} s ramp: "
        f"{result['requests']} requests, {result['throughput_rps']} req/s"
    )
    print(f"{'page':<10} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    rows = [*result["pages"].items(), *((f"  {k}", v) for k, v in result["searches"].items())]
    for kind, page in rows:
        print(
            f"{kind:<10} {page['requests']:>8} {page['errors']:>6} {page['p50_ms']!s:>8} "
            f"{page['p95_ms']!s:>8} {page['max_ms']!s:>8}"
            + (f"  {page['error_kinds']}" if page["errors"] else "")
        )
    machine = result["machine"]
    print(
        f"machine: nproc {machine['nproc']}, {machine['cpu']}, Python {machine['python']}, "
        f"load {machine['load_before']} → {machine['load_after']}, commit {machine['commit']}"
    )
    verdict = "met" if result["target_met"] else "NOT met"
    print(f"target p95 ≤ {result['target_p95_ms']:g} ms and 0 errors on every page: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8601", help="the running server (loopback only)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--mix", default=DEFAULT_MIX, help="demo account:count,… adding up to --users")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds measured after the ramp")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the users start")
    parser.add_argument("--think", default="1-5", help="seconds between a user's pages: LOW-HIGH, or 0")
    parser.add_argument("--timeout", type=float, default=30.0, help="a page slower than this is an error")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--no-analyze", dest="analyze", action="store_false", help="do not ANALYZE the tables first"
    )
    args = parser.parse_args()
    if not 1 <= args.users <= MAX_USERS or not 0 < args.duration <= MAX_DURATION:
        raise SystemExit(f"at most {MAX_USERS} users and {MAX_DURATION:g} seconds")
    result = run(args)
    _print(result)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    sys.exit(0 if result["target_met"] else 1)


if __name__ == "__main__":
    main()
