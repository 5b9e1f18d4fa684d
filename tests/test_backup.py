"""``fupin backup`` and ``fupin restore``, run as an operator would: the real command in fresh installations.

One source installation (a small demo county, a visit with a photo, a signed audit checkpoint) is backed
up; each restore goes into a new var directory and a new database (an SQLite file, or on PostgreSQL a
database created next to the configured one and dropped afterwards). The round trip compares every
table's count and checksum, every decrypted ID number and phone, every photo's bytes, and the audit
chain. Restores without the keys, with a wrong passphrase, of a changed backup or onto an installation
in use are refused, say why, and leave the target as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PASSPHRASE = "correct horse battery staple"
CONFIGURED = os.environ.get("FUPIN_DATABASE_URL", "")
# One xdist worker runs the whole module: its installations are module-scoped (built once), and on
# PostgreSQL two workers would otherwise create and drop the same databases under each other.
pytestmark = pytest.mark.xdist_group("backup")
# The worker's name in the database names too, so parallel runs of the suite never share them.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
ON_POSTGRES = CONFIGURED.startswith(("postgres://", "postgresql://"))

# Run inside an installation (``fupin shell -c``): what a restore must reproduce, as JSON on stdout.
PROBE = """
import hashlib, json
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import connection
from fupin.backup import tables
from fupin.pii.crypto import get_cipher
from fupin.registry.models import Household, Member
from fupin.twinning.models import Helper, VisitPhoto

present = set(connection.introspection.table_names())
sums = {}
for model in tables.table_models(apps):
    if model._meta.db_table in present:
        total = tables.summarize(model)
        sums[model._meta.db_table] = [total.rows, total.checksum]
cipher = get_cipher()
def digest(pairs):
    return [len(pairs), hashlib.sha256(json.dumps(sorted(pairs)).encode()).hexdigest()]
members = [(m.pk, cipher.decrypt(m.id_number_enc)) for m in Member.objects.exclude(id_number_enc="")]
phones = [(h.pk, cipher.decrypt(h.phone_enc)) for h in Household.objects.exclude(phone_enc="")]
helpers = [(h.pk, cipher.decrypt(h.phone_enc)) for h in Helper.objects.exclude(phone_enc="")]
photos = {}
for photo in VisitPhoto.objects.all():
    with default_storage.open(photo.file.name, "rb") as handle:
        photos[photo.file.name] = hashlib.sha256(handle.read()).hexdigest()
print(json.dumps({"tables": sums, "id_numbers": digest(members), "phones": digest(phones),
                  "helper_phones": digest(helpers), "photos": photos}))
"""

VISIT_WITH_PHOTO = """
import datetime as dt
from django.core.files.uploadedfile import SimpleUploadedFile
from fupin.accounts.models import User
from fupin.registry.models import Household
from fupin.twinning import services
household = Household.objects.order_by("pk").first()
PNG = b"\\x89PNG\\r\\n\\x1a\\n" + bytes(range(256)) * 4
services.record_visit(
    actor=User.objects.get(username="bk-officer"), household=household, visited_on=dt.date.today(),
    findings="家中有病人", risk_present=True,
    photos=[SimpleUploadedFile("门口.png", PNG, content_type="image/png")],
)
"""


def _database(name: str) -> str:
    """The URL of a database next to the configured PostgreSQL one (same server, own name)."""
    parts = urlsplit(CONFIGURED)
    return urlunsplit(parts._replace(path="/" + name))


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(_database("postgres"), autocommit=True) as conn:
        conn.execute(statement)


@dataclass
class Installation:
    var_dir: Path
    database_url: str = ""
    database: str = ""

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
        env.update({"FUPIN_VAR_DIR": str(self.var_dir), "FUPIN_INDICATORS_AUTO_REBUILD": "0"})
        if self.database_url:
            env["FUPIN_DATABASE_URL"] = self.database_url
        return env

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "fupin.cli", *args],
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, f"fupin {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def probe(self) -> dict:
        return json.loads(self.run("shell", "-c", PROBE).stdout.strip().splitlines()[-1])

    def tables(self) -> list[str]:
        """Tables in the installation's database, read without fupin (nothing of it may run there)."""
        if self.database:
            import psycopg

            with psycopg.connect(self.database_url) as conn:
                rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            return [r[0] for r in rows]
        path = self.var_dir / "fupin.sqlite3"
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def nothing_restored(self) -> bool:
        media = self.var_dir / "media"
        return not self.tables() and not (media.exists() and any(media.rglob("*")))


@pytest.fixture(scope="module")
def installations(tmp_path_factory) -> Iterator:
    """A factory of fresh installations; their PostgreSQL databases are dropped at the end."""
    created: list[str] = []
    base = (urlsplit(CONFIGURED).path.lstrip("/") or "fupin") if ON_POSTGRES else ""

    def make(label: str) -> Installation:
        var_dir = tmp_path_factory.mktemp(f"bk-{label}")
        if not ON_POSTGRES:
            return Installation(var_dir)
        name = f"{base}_bk_{WORKER}_{label}"
        _admin(f'DROP DATABASE IF EXISTS "{name}"')
        _admin(f'CREATE DATABASE "{name}"')
        created.append(name)
        return Installation(var_dir, _database(name), name)

    yield make
    for name in created:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Source:
    installation: Installation
    sealed: Path  # keys sealed with PASSPHRASE
    apart: Path  # keys in ``key_file``
    key_file: Path
    probe: dict


@pytest.fixture(scope="module")
def source(installations, tmp_path_factory) -> Source:
    county = installations("src")
    county.run("migrate", "--no-input")
    county.run("demo-data", "--households", "12", "--seed", "3")
    county.run(
        "users",
        "add",
        "bk-officer",
        "--role",
        "county_officer",
        "--area",
        "220822",
        "--password-stdin",
        stdin="backup-test-password-7\n",
    )
    county.run("shell", "-c", VISIT_WITH_PHOTO)
    county.run("audit", "checkpoint")
    out = tmp_path_factory.mktemp("bk-files")
    sealed, apart, key_file = out / "county.zip", out / "county-apart.zip", out / "county.keys.json"
    made = county.run("backup", str(sealed), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert "rows" in made.stderr  # one progress line per table
    county.run("backup", str(apart), "--keys-to", str(key_file))
    return Source(county, sealed, apart, key_file, county.probe())


def test_the_backup_holds_a_manifest_and_no_keys_in_the_clear(source):
    with zipfile.ZipFile(source.sealed) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert manifest["format"] == "fupin-backup/1" and manifest["keys"]["kept"] == "sealed"
    assert {t["table"]: [t["rows"], t["checksum"]] for t in manifest["tables"]} == source.probe["tables"]
    assert "audit" in manifest["migrations"] and manifest["fupin_version"]
    assert any(f["member"] == "files/audit-checkpoints.jsonl" for f in manifest["files"])
    assert any(f["member"].startswith("files/media/visits/") for f in manifest["files"])
    keys = json.loads((source.installation.var_dir / "keys.json").read_text())
    for secret in (keys["pii_key"], keys["blind_index_key"], keys["audit_key"], keys["secret_key"]):
        assert secret.encode() not in everything
    assert oct(source.sealed.stat().st_mode & 0o777) == "0o600"
    assert json.loads(source.key_file.read_text())["pii_key"] == keys["pii_key"]
    assert oct(source.key_file.stat().st_mode & 0o777) == "0o600"


def test_a_restore_reproduces_every_table_id_number_phone_photo_and_the_audit_chain(source, installations):
    assert source.probe["id_numbers"][0] > 0 and source.probe["phones"][0] > 0 and source.probe["photos"]
    fresh = installations("restore")
    checked = fresh.run(
        "restore", str(source.sealed), "--check", "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert "密钥" in checked.stdout and fresh.nothing_restored()
    restored = fresh.run("restore", str(source.sealed), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert "audit entries verified" in restored.stdout
    assert fresh.probe() == source.probe
    # The restored installation goes on: new rows get new ids (sequences), the chain goes on with its key
    # (``audit checkpoint`` verifies the whole chain and the restored checkpoints first).
    fresh.run(
        "users",
        "add",
        "after-restore",
        "--role",
        "village_cadre",
        "--area",
        "220822",
        "--password-stdin",
        stdin="another-password-9\n",
    )
    assert "audit log intact" in fresh.run("audit", "checkpoint").stdout
    # And it is in use now: a second restore onto it is refused.
    again = fresh.run(
        "restore", str(source.sealed), "--passphrase-stdin", stdin=PASSPHRASE + "\n", check=False
    )
    assert again.returncode != 0 and "not empty" in again.stderr and "已有数据" in again.stderr


def test_without_the_keys_nothing_is_restored_and_the_key_file_restores(source, installations):
    fresh = installations("apart")
    refused = fresh.run("restore", str(source.apart), check=False)
    assert refused.returncode != 0
    assert "--keys FILE" in refused.stderr and "没有密钥" in refused.stderr
    assert fresh.nothing_restored()
    sealed_without = fresh.run("restore", str(source.sealed), check=False)
    assert sealed_without.returncode != 0 and "--passphrase-stdin" in sealed_without.stderr
    assert fresh.nothing_restored()
    # An operator may have run ``fupin migrate`` first: what it seeds (areas, content types) gives way.
    fresh.run("migrate", "--no-input")
    fresh.run("restore", str(source.apart), "--keys", str(source.key_file))
    assert fresh.probe() == source.probe


def test_a_wrong_passphrase_or_other_keys_restore_nothing(source, installations, tmp_path):
    fresh = installations("wrong")
    wrong = fresh.run(
        "restore", str(source.sealed), "--passphrase-stdin", stdin="not the passphrase\n", check=False
    )
    assert wrong.returncode != 0 and "passphrase" in wrong.stderr and "口令" in wrong.stderr
    other = tmp_path / "other-keys.json"
    other.write_text(
        (fresh.var_dir / "keys.json").read_text()
    )  # the fresh installation's own, unrelated keys
    mismatched = fresh.run("restore", str(source.apart), "--keys", str(other), check=False)
    assert mismatched.returncode != 0 and "not the keys of this backup" in mismatched.stderr
    assert fresh.nothing_restored()


def _rewritten(original: Path, target: Path, change) -> Path:
    """A copy of the backup with one member's content changed (a valid zip: only the manifest can tell)."""
    with zipfile.ZipFile(original) as source_zip, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source_zip.infolist():
            out.writestr(item.filename, change(item.filename, source_zip.read(item.filename)))
    return target


def test_a_changed_backup_is_refused_by_its_checksums(source, installations, tmp_path):
    fresh = installations("tampered")

    def one_byte(name: str, data: bytes) -> bytes:
        if name != "db/registry_member.jsonl":
            return data
        at = data.index(b"\n") + 20  # inside the first row
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]

    changed = _rewritten(source.sealed, tmp_path / "changed.zip", one_byte)
    refused = fresh.run("restore", str(changed), "--passphrase-stdin", stdin=PASSPHRASE + "\n", check=False)
    assert refused.returncode != 0
    assert "db/registry_member.jsonl: checksum differs" in refused.stderr and "备份已损坏" in refused.stderr

    def fewer_rows(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return data.replace(b'"rows": 12,', b'"rows": 11,', 1)

    manifest_edited = _rewritten(source.sealed, tmp_path / "manifest.zip", fewer_rows)
    assert manifest_edited.read_bytes() != source.sealed.read_bytes()
    refused = fresh.run(
        "restore", str(manifest_edited), "--passphrase-stdin", stdin=PASSPHRASE + "\n", check=False
    )
    assert refused.returncode != 0 and "manifest was changed" in refused.stderr

    flipped = tmp_path / "flipped.zip"
    data = bytearray(source.sealed.read_bytes())
    data[len(data) // 3] ^= 0xFF  # a byte of the compressed data, as a bad disk or a copy would
    flipped.write_bytes(bytes(data))
    refused = fresh.run("restore", str(flipped), "--passphrase-stdin", stdin=PASSPHRASE + "\n", check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert fresh.nothing_restored()


def test_a_restore_onto_an_installation_in_use_is_refused_and_changes_nothing(source):
    county = source.installation
    refused = county.run(
        "restore", str(source.sealed), "--passphrase-stdin", stdin=PASSPHRASE + "\n", check=False
    )
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "registry_household" in refused.stderr
    assert county.probe() == source.probe


def test_a_backup_must_say_where_the_keys_go(source, tmp_path):
    """Without a terminal to ask for a passphrase, a backup that names neither way is refused."""
    refused = source.installation.run("backup", str(tmp_path / "x.zip"), check=False)
    assert refused.returncode != 0 and "--keys-to" in refused.stderr and "密钥" in refused.stderr
    assert not list(tmp_path.iterdir())
