"""Starting with keys that cannot read the stored ID numbers is refused, and says why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from fupin.pii import crypto
from fupin.pii.keycheck import KeysDoNotFitData, check_keys_fit_data


@pytest.fixture
def other_keys(settings):
    settings.PII_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto.get_cipher.cache_clear()
    yield
    crypto.get_cipher.cache_clear()


@pytest.mark.django_db
def test_the_right_keys_pass(household_factory):
    household_factory()
    check_keys_fit_data()


@pytest.fixture
def stored_household(household_factory):
    return household_factory()  # encrypted with the installation's keys, before other_keys swaps them


@pytest.mark.django_db
def test_new_keys_over_old_data_are_refused(stored_household, other_keys):
    with pytest.raises(KeysDoNotFitData, match="keys.json"):
        check_keys_fit_data()


@pytest.mark.django_db
def test_an_empty_database_needs_no_check(other_keys):
    check_keys_fit_data()


def test_fupin_refuses_to_start_when_keys_json_is_lost(tmp_path):
    """The restore that forgot keys.json: the command stops with the reason and creates nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update({"FUPIN_VAR_DIR": str(tmp_path), "FUPIN_INDICATORS_AUTO_REBUILD": "0"})
    fupin = [sys.executable, "-m", "fupin.cli"]
    subprocess.run([*fupin, "migrate", "--no-input"], env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(
        [*fupin, "demo-data", "--households", "5", "--seed", "1"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    original = (tmp_path / "keys.json").read_text()
    (tmp_path / "keys.json").unlink()
    refused = subprocess.run([*fupin, "check"], env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert "keys.json" in refused.stderr and "密钥" in refused.stderr
    # Put back the installation's own keys and the same command runs.
    assert json.loads((tmp_path / "keys.json").read_text()) != json.loads(original)
    (tmp_path / "keys.json").write_text(original)
    again = subprocess.run([*fupin, "check"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
