"""The `fupin` operator command, run as an operator would: a real process on a fresh database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("cli")


@pytest.fixture(scope="module")
def fupin_env(tmp_path_factory):
    var = tmp_path_factory.mktemp("cli-var")
    env = dict(os.environ, FUPIN_VAR_DIR=str(var), FUPIN_DATABASE_URL=f"sqlite:///{var / 'cli.sqlite3'}")
    return env


def run(env, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fupin.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parent.parent,
    )


def test_operator_session(fupin_env):
    migrated = run(fupin_env, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr

    added = run(
        fupin_env,
        "users",
        "add",
        "wang",
        "--role",
        "county_officer",
        "--area",
        "220822",
        "--password-stdin",
        stdin="a-long-password-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert "created wang" in added.stdout

    token = run(fupin_env, "users", "token", "wang")
    assert token.returncode == 0 and token.stdout.strip().startswith("fpn_")

    bad_role = run(fupin_env, "users", "add", "li", "--role", "emperor", "--area", "220822")
    assert bad_role.returncode != 0
    assert "Unknown role" in bad_role.stderr and "未知" in bad_role.stderr  # both languages

    bad_area = run(fupin_env, "users", "add", "zhao", "--role", "village_cadre", "--area", "999999999999")
    assert bad_area.returncode != 0 and "999999999999" in bad_area.stderr

    verified = run(fupin_env, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout
