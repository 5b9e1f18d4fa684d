"""Backing up a whole installation into one file, and restoring it onto an empty one.

A backup is a zip file (docs/decisions/0008-backup-and-restore.md):

- ``db/<table>.jsonl``: every table, a header line (table and columns) then one JSON row per line;
- ``files/media/…``, ``files/exchange/…``, ``files/audit-checkpoints.jsonl``: uploaded photos, the
  import jobs' encrypted files and the audit chain's signed checkpoints;
- ``keys.sealed.json`` (with a passphrase) or nothing (the keys went to a separate key file);
- ``manifest.json``: format, time, version, migrations per app, each table's columns, row count and
  checksum, each member's SHA-256, which keys open the backup, and a MAC under the audit key.

The tables are read in one read-only snapshot (PostgreSQL REPEATABLE READ; an SQLite read transaction,
which WAL keeps consistent while others write). A restore checks everything it can before it changes
anything, loads every table in one transaction, compares each table's count and checksum with the
manifest and verifies the audit chain before it commits, and only then puts the files and the keys in
place. Nothing here writes row values anywhere but into the backup itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps as django_apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

import fupin
from fupin.backup import sealing, tables
from fupin.core.i18n import lazy_format

FORMAT = "fupin-backup/1"
MANIFEST = "manifest.json"
SEALED_KEYS = "keys.sealed.json"
CHUNK = 1024 * 1024
# Tables ``fupin migrate`` fills by itself: an installation whose only rows are these is empty. The
# areas table holds provinces, prefectures and counties then; a township or village means use.
SEEDED_BY_MIGRATE = {"django_content_type", "auth_permission", "areas_area", "assistance_measuretype"}

Say = Callable[[str], None]

# Messages an operator reads (in both languages) when a backup or restore stops.
SAY_HOW_KEYS_ARE_KEPT = _(
    "Say how the keys are kept: --passphrase-stdin seals them in the backup, "
    "--keys-to FILE writes them to a separate file."
)
PASSPHRASE_TOO_SHORT = _("The passphrase is too short: at least %(count)s characters.")
NOT_A_KEY_FILE = _(
    "%(path)s is not a key file of fupin (a keys.json or one written by fupin backup --keys-to)."
)
WRONG_PASSPHRASE = _(
    "The passphrase does not open the keys sealed in this backup (a wrong passphrase, or the backup "
    "was changed). Nothing was restored."
)
KEYS_SEALED_NOT_GIVEN = _(
    "This backup's keys are sealed with a passphrase: give it with --passphrase-stdin (or --keys FILE "
    "with the installation's keys.json). Without the keys the ID numbers and phones cannot be read, so "
    "nothing was restored."
)
KEY_FILE_NOT_GIVEN = _(
    "This backup holds no keys: they were written to a separate key file when it was made. Give that "
    "file with --keys FILE. Without the keys the ID numbers and phones cannot be read, so nothing was "
    "restored."
)
NOT_THESE_KEYS = _(
    "These are not the keys of this backup: the data in it was encrypted with other keys. "
    "Nothing was restored."
)
MANIFEST_CHANGED = _("The backup's manifest was changed after the backup was made. Nothing was restored.")
DAMAGED = _(
    "The backup is damaged or was changed: its contents do not match its manifest. Nothing was restored."
)
NEWER_VERSION = _(
    "The backup was made by a newer version of fupin: this one lacks some of its migrations. "
    "Install that version (or a newer one), then restore."
)
KEYS_IN_ENVIRONMENT = _(
    "Environment variables set other keys than the backup's, and they would win over the restored "
    "keys.json. Unset them (or set them to the backup's keys) and restore again."
)
NOT_EMPTY = _(
    "This installation is not empty: a backup is restored only onto a new one (a new FUPIN_VAR_DIR and "
    "a new, empty database). Nothing was changed."
)
ROWS_REFUSED = _("The database refused the backup's rows; nothing was restored.")
TABLES_DIFFER = _("The restored tables differ from the backup; nothing was restored.")
KEYS_DO_NOT_READ = _("The backup's keys cannot read its ID numbers; nothing was restored.")
AUDIT_BROKEN = _("The backup's audit log does not verify; nothing was restored.")


class BackupRefused(Exception):
    """A backup or restore that cannot go on; ``message`` is translatable, ``details`` plain lines."""

    def __init__(self, message: Promise | str, details: list[str] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.details = details or []


@dataclass
class Summary:
    tables: int = 0
    rows: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    audit_entries: int = 0
    migrated_forward: bool = False
    details: dict[str, int] = field(default_factory=dict)


def _quiet(_line: str) -> None:
    return None


# ---------------------------------------------------------------- what a backup holds


def _file_sources() -> list[tuple[str, Path]]:
    """Archive prefix and place of the files kept outside the database."""
    return [
        ("files/media/", Path(settings.MEDIA_ROOT)),
        ("files/exchange/", Path(settings.VAR_DIR) / "exchange"),
        ("files/audit-checkpoints.jsonl", Path(settings.AUDIT_CHECKPOINT_FILE)),
    ]


def _files_under(prefix: str, place: Path) -> Iterator[tuple[str, Path]]:
    if not prefix.endswith("/"):
        if place.is_file():
            yield prefix, place
        return
    if not place.is_dir():
        return
    for path in sorted(p for p in place.rglob("*") if p.is_file() and not p.is_symlink()):
        yield prefix + path.relative_to(place).as_posix(), path


def _applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


@contextmanager
def _read_snapshot() -> Iterator[None]:
    """Every table read as of one moment while the system goes on working."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor != "sqlite":
        raise BackupRefused(_("Backups work on SQLite and PostgreSQL only."))
    # Django's own transactions on SQLite are BEGIN IMMEDIATE, a write lock that would hold every writer
    # off for the whole dump. A deferred transaction's first read fixes a snapshot (WAL) and locks nobody.
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
        try:
            cursor.execute("SELECT count(*) FROM sqlite_master")
            yield
        finally:
            cursor.execute("ROLLBACK")


# ---------------------------------------------------------------- backup


def create_backup(
    path: Path, *, passphrase: str | None = None, keys_to: Path | None = None, say: Say = _quiet
) -> Summary:
    """Write the backup file (whole or not at all); the keys sealed in it or written to ``keys_to``."""
    if (passphrase is None) == (keys_to is None):
        raise BackupRefused(SAY_HOW_KEYS_ARE_KEPT)
    if passphrase is not None and len(passphrase) < sealing.MIN_PASSPHRASE:
        raise BackupRefused(lazy_format(PASSPHRASE_TOO_SHORT, count=sealing.MIN_PASSPHRASE))
    keys = sealing.current_keys()
    started = time.perf_counter()
    summary = Summary()
    path = path.resolve()
    if keys_to is not None and keys_to.resolve() == path:
        raise BackupRefused(_("The key file and the backup must be two different files."))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
                manifest = _write_contents(archive, keys, summary, say)
                manifest["keys"] = {
                    "kept": "sealed" if passphrase is not None else "key_file",
                    "fingerprint": sealing.fingerprint(keys),
                }
                if passphrase is not None:
                    archive.writestr(SEALED_KEYS, sealing.seal(keys, passphrase))
                payload = _manifest_payload(manifest)
                manifest["mac"] = sealing.manifest_mac(keys, payload)
                archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
            handle.flush()
            os.fsync(handle.fileno())
        if keys_to is not None:
            keys_to.parent.mkdir(parents=True, exist_ok=True)
            sealing.write_private(keys_to, json.dumps(sealing.as_keys_json(keys), indent=1).encode())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    summary.bytes = path.stat().st_size
    summary.seconds = time.perf_counter() - started
    return summary


def _manifest_payload(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _write_contents(
    archive: zipfile.ZipFile, keys: dict[str, Any], summary: Summary, say: Say
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
        "fupin_version": fupin.__version__,
        "engine": connection.vendor,
        "tables": [],
        "files": [],
    }
    with _read_snapshot():
        manifest["migrations"] = _applied_migrations()
        present = set(connection.introspection.table_names())
        for model in tables.table_models(django_apps):
            table = model._meta.db_table
            if table not in present:
                continue
            begun = time.perf_counter()
            member = f"db/{table}.jsonl"
            total = tables.TableSum()
            digest = hashlib.sha256()
            names = [f.column for f in tables.columns(model)]
            with archive.open(member, "w", force_zip64=True) as out:
                header = json.dumps({"table": table, "columns": names}).encode() + b"\n"
                out.write(header)
                digest.update(header)
                lines: list[bytes] = []
                for row in tables.read_rows(model):
                    line = tables.canonical(row)
                    total.add(line)
                    lines.append(line)
                    if len(lines) >= tables.BATCH:
                        _write_lines(out, digest, lines)
                _write_lines(out, digest, lines)
            manifest["tables"].append(
                {
                    "table": table,
                    "model": model._meta.label_lower,
                    "columns": names,
                    "rows": total.rows,
                    "checksum": total.checksum,
                    "member": member,
                    "sha256": digest.hexdigest(),
                }
            )
            summary.tables += 1
            summary.rows += total.rows
            say(f"  {table}: {total.rows:,} rows ({time.perf_counter() - begun:.1f} s)")
        # Files are read while the snapshot is open: a photo saved since is kept too, harmlessly.
        for prefix, place in _file_sources():
            for member, source in _files_under(prefix, place):
                digest = hashlib.sha256()
                size = 0
                with source.open("rb") as data, archive.open(member, "w", force_zip64=True) as out:
                    while chunk := data.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                manifest["files"].append({"member": member, "size": size, "sha256": digest.hexdigest()})
                summary.files += 1
        say(f"  files: {summary.files:,}")
    return manifest


def _write_lines(out: IO[bytes], digest: Any, lines: list[bytes]) -> None:
    """Rows go to the archive in blocks: the compressor is slow when called per line."""
    if lines:
        block = b"\n".join(lines) + b"\n"
        out.write(block)
        digest.update(block)
        lines.clear()


# ---------------------------------------------------------------- opening a backup


@dataclass
class OpenedBackup:
    archive: zipfile.ZipFile
    manifest: dict[str, Any]
    keys: dict[str, Any]


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest as written, unchecked (to know how the keys are kept before asking for them)."""
    if not path.is_file():
        raise BackupRefused(lazy_format(_("No such file: %(path)s"), path=str(path)))
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, OSError):
        raise BackupRefused(
            lazy_format(_("%(path)s is not a fupin backup, or it is damaged."), path=str(path))
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(
            lazy_format(
                _("%(path)s is not a backup this version of fupin can read (format %(format)s)."),
                path=str(path),
                format=str(manifest.get("format") if isinstance(manifest, dict) else "?"),
            )
        )
    return manifest


def open_backup(
    path: Path, *, passphrase: str | None = None, key_file: Path | None = None, say: Say = _quiet
) -> OpenedBackup:
    """Check the backup whole (keys, manifest MAC, every member's SHA-256) before anything is changed."""
    manifest = read_manifest(path)
    kept = manifest.get("keys", {}).get("kept")
    archive = zipfile.ZipFile(path)
    try:
        if key_file is not None:
            try:
                keys = sealing.read_key_file(key_file)
            except sealing.KeysUnusable:
                raise BackupRefused(
                    lazy_format(
                        NOT_A_KEY_FILE,
                        path=str(key_file),
                    )
                ) from None
        elif passphrase is not None and kept == "sealed":
            try:
                keys = sealing.unseal(archive.read(SEALED_KEYS), passphrase)
            except (sealing.KeysUnusable, KeyError):
                raise BackupRefused(WRONG_PASSPHRASE) from None
        elif kept == "sealed":
            raise BackupRefused(KEYS_SEALED_NOT_GIVEN)
        else:
            raise BackupRefused(KEY_FILE_NOT_GIVEN)
        if sealing.fingerprint(keys) != manifest.get("keys", {}).get("fingerprint"):
            raise BackupRefused(NOT_THESE_KEYS)
        if manifest.get("mac") != sealing.manifest_mac(keys, _manifest_payload(manifest)):
            raise BackupRefused(MANIFEST_CHANGED)
        _check_members(archive, manifest, say)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        archive.close()
        raise BackupRefused(DAMAGED) from None
    except BaseException:
        archive.close()
        raise
    return OpenedBackup(archive, manifest, keys)


def _check_members(archive: zipfile.ZipFile, manifest: dict[str, Any], say: Say) -> None:
    expected = {t["member"]: t["sha256"] for t in manifest["tables"]}
    expected.update({f["member"]: f["sha256"] for f in manifest["files"]})
    problems = []
    for member in expected:
        if not _safe_member(member):
            problems.append(f"{member}: not a safe name")
    present = set(archive.namelist()) - {MANIFEST, SEALED_KEYS}
    problems += [f"{m}: missing" for m in sorted(set(expected) - present)]
    problems += [f"{m}: not in the manifest" for m in sorted(present - set(expected))]
    for member, sha256 in expected.items():
        if member not in present:
            continue
        digest = hashlib.sha256()
        try:
            with archive.open(member) as data:
                while chunk := data.read(CHUNK):
                    digest.update(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:  # CRC: BadZipFile
            problems.append(f"{member}: unreadable ({exc.__class__.__name__})")
            continue
        if digest.hexdigest() != sha256:
            problems.append(f"{member}: checksum differs")
    if problems:
        raise BackupRefused(
            DAMAGED,
            problems,
        )
    say(f"  checked {len(expected):,} parts of the backup")


def _safe_member(member: str) -> bool:
    parts = PurePosixPath(member).parts
    return bool(parts) and not member.startswith("/") and ".." not in parts and "\\" not in member


# ---------------------------------------------------------------- restore


def _table_has_rows(table: str) -> int:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if table == "areas_area":
            cursor.execute(f"SELECT count(*) FROM {quote(table)} WHERE LENGTH(code) > 6")  # noqa: S608
        else:
            cursor.execute(f"SELECT count(*) FROM {quote(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def in_use() -> list[str]:
    """What makes this installation not empty: tables with rows beyond what migrate puts in, files."""
    found = []
    present = set(connection.introspection.table_names())
    for model in tables.table_models(django_apps):
        table = model._meta.db_table
        if table not in present or (table in SEEDED_BY_MIGRATE and table != "areas_area"):
            continue
        count = _table_has_rows(table)
        if count:
            what = "townships and villages" if table == "areas_area" else "rows"
            found.append(f"{table}: {count:,} {what}")
    for prefix, place in _file_sources():
        count = sum(1 for _member in _files_under(prefix, place))
        if count and not (prefix.endswith(".jsonl") and place.stat().st_size == 0):
            found.append(f"{place}: {count:,} files")
    return found


def _keys_in_environment(keys: dict[str, Any]) -> list[str]:
    """Keys set by environment variables win over keys.json: they must be the backup's own."""
    given = {
        "FUPIN_SECRET_KEY": [os.environ.get("FUPIN_SECRET_KEY", "")],
        "FUPIN_PII_KEYS": [k for k in os.environ.get("FUPIN_PII_KEYS", "").split(",") if k.strip()],
        "FUPIN_BLIND_INDEX_KEY": [os.environ.get("FUPIN_BLIND_INDEX_KEY", "")],
        "FUPIN_AUDIT_KEY": [os.environ.get("FUPIN_AUDIT_KEY", "")],
    }
    wanted = {
        "FUPIN_SECRET_KEY": [keys["secret_key"]],
        "FUPIN_PII_KEYS": list(keys["pii_keys"]),
        "FUPIN_BLIND_INDEX_KEY": [keys["blind_index_key"]],
        "FUPIN_AUDIT_KEY": [keys["audit_key"]],
    }
    return [name for name, values in given.items() if any(values) and values != wanted[name]]


def _migration_targets(manifest: dict[str, Any]) -> tuple[list[tuple[str, str | None]], bool]:
    """Where to migrate an empty database so that it has the backup's schema, and whether the code's
    own migrations go further (a backup made by an older version)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    backed_up = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(f"{app}.{name}" for app, name in backed_up if (app, name) not in loader.disk_migrations)
    if unknown:
        raise BackupRefused(
            NEWER_VERSION,
            unknown[:20],
        )
    targets: list[tuple[str, str | None]] = []
    for app in sorted({app for app, _name in loader.disk_migrations}):
        mine = {node for node in backed_up if node[0] == app}
        leaves = [n for n in mine if not any(c.key in mine for c in loader.graph.node_map[n].children)]
        if not leaves:
            targets.append((app, None))
        targets += [(app, name) for _app, name in sorted(leaves)]
    further = bool(set(loader.disk_migrations) - backed_up)
    return targets, further


def restore_backup(
    path: Path,
    *,
    passphrase: str | None = None,
    key_file: Path | None = None,
    check_only: bool = False,
    say: Say = _quiet,
) -> Summary:
    """Restore the backup onto this empty installation, or change nothing and say why."""
    started = time.perf_counter()
    opened = open_backup(path, passphrase=passphrase, key_file=key_file, say=say)
    try:
        summary = Summary(
            tables=len(opened.manifest["tables"]),
            rows=sum(t["rows"] for t in opened.manifest["tables"]),
            files=len(opened.manifest["files"]),
        )
        if check_only:
            summary.seconds = time.perf_counter() - started
            return summary
        conflicting = _keys_in_environment(opened.keys)
        if conflicting:
            raise BackupRefused(
                KEYS_IN_ENVIRONMENT,
                conflicting,
            )
        targets, further = _migration_targets(opened.manifest)
        found = in_use()
        if found:
            raise BackupRefused(
                NOT_EMPTY,
                found,
            )
        _restore_onto_empty(opened, targets, summary, say)
        summary.migrated_forward = further
    finally:
        opened.archive.close()
    if further:
        from django.core.management import call_command

        say("  applying this version's newer migrations")
        call_command("migrate", interactive=False, verbosity=0)
    from fupin.audit.selectors import verify_chain

    report = verify_chain()
    if not report.ok:  # cannot happen after the check inside the transaction, short of a newer migration
        raise BackupRefused(_("The restored audit log does not verify."), report.problems[:20])
    summary.audit_entries = report.checked
    summary.seconds = time.perf_counter() - started
    return summary


def _restore_onto_empty(
    opened: OpenedBackup, targets: list[tuple[str, str | None]], summary: Summary, say: Say
) -> None:
    var_dir = Path(settings.VAR_DIR)
    staging = var_dir / f".restore-{uuid.uuid4().hex[:12]}"
    staging.mkdir(mode=0o700)
    keys_json = var_dir / "keys.json"
    keys_part = keys_json.with_name("keys.json.restore-part")
    checkpoint_target = Path(settings.AUDIT_CHECKPOINT_FILE)
    try:
        staged = _stage_files(opened, staging)
        say(f"  files staged: {len(staged):,}")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(targets)
        if plan:
            say(f"  migrating the database ({len(plan)} migrations)")
            executor.migrate(targets, plan=plan)
        nodes = [(app, name) for app, name in targets if name is not None]
        state = MigrationLoader(connection).project_state(nodes, at_end=True)
        models_by_table = {m._meta.db_table: m for m in tables.table_models(state.apps)}
        unknown = [t["table"] for t in opened.manifest["tables"] if t["table"] not in models_by_table]
        if unknown:
            raise BackupRefused(_("The backup holds tables this version of fupin does not know."), unknown)
        fd = os.open(keys_part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(sealing.as_keys_json(opened.keys), handle)
        _use_keys(opened.keys)
        checkpoint_staged = staging / "files" / "audit-checkpoints.jsonl"
        try:
            with transaction.atomic():
                _load_tables(opened, models_by_table, say)
                _verify_loaded(opened, models_by_table, checkpoint_staged, summary, say)
        except DatabaseError as exc:
            # The first line only: a database's detail line may quote the row it refused.
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise BackupRefused(ROWS_REFUSED, [first_line]) from None
        # Committed: the files and the keys go in place, each by a rename.
        _move_files_in_place(staging, checkpoint_target)
        os.replace(keys_part, keys_json)
    except BaseException:
        keys_part.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.rows = sum(t["rows"] for t in opened.manifest["tables"])


def _stage_files(opened: OpenedBackup, staging: Path) -> list[Path]:
    staged = []
    for entry in opened.manifest["files"]:
        target = staging / PurePosixPath(entry["member"])
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with opened.archive.open(entry["member"]) as data, target.open("wb") as out:
            while chunk := data.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
        if digest.hexdigest() != entry["sha256"]:
            raise BackupRefused(
                DAMAGED,
                [f"{entry['member']}: checksum differs"],
            )
        staged.append(target)
    return staged


def _use_keys(keys: dict[str, Any]) -> None:
    """This process goes on with the backup's keys (its settings were read with the fresh ones)."""
    from fupin.pii import crypto

    settings.SECRET_KEY = keys["secret_key"]
    settings.PII_ENCRYPTION_KEYS = list(keys["pii_keys"])
    settings.PII_BLIND_INDEX_KEY = keys["blind_index_key"]
    settings.AUDIT_CHAIN_KEY = keys["audit_key"]
    crypto.get_cipher.cache_clear()


def _rows_of(archive: zipfile.ZipFile, member: str) -> tuple[list[str], Iterator[list[Any]]]:
    handle: IO[bytes] = archive.open(member)
    header = json.loads(handle.readline())

    def rows() -> Iterator[list[Any]]:
        with handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    return list(header["columns"]), rows()


def _load_tables(opened: OpenedBackup, models_by_table: dict[str, Any], say: Say) -> None:
    entries = opened.manifest["tables"]
    # The rows ``migrate`` put in (areas, content types, the measure catalogue) give way to the backup's.
    for entry in reversed(entries):
        model = models_by_table[entry["table"]]
        if model._base_manager.exists():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(entry['table'])}")  # noqa: S608
    for entry in entries:
        begun = time.perf_counter()
        model = models_by_table[entry["table"]]
        names, rows = _rows_of(opened.archive, entry["member"])
        count = tables.insert_rows(model, names, rows)
        say(f"  {entry['table']}: {count:,} rows ({time.perf_counter() - begun:.1f} s)")
    connection.check_constraints(table_names=[e["table"] for e in entries])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), list(models_by_table.values())):
                cursor.execute(statement)


def _verify_loaded(
    opened: OpenedBackup,
    models_by_table: dict[str, Any],
    checkpoint_staged: Path,
    summary: Summary,
    say: Say,
) -> None:
    """Inside the loading transaction: each table's count and checksum, the keys, the audit chain."""
    differing = []
    for entry in opened.manifest["tables"]:
        total = tables.summarize(models_by_table[entry["table"]], entry["columns"])
        if (total.rows, total.checksum) != (entry["rows"], entry["checksum"]):
            differing.append(f"{entry['table']}: {total.rows:,} rows loaded, {entry['rows']:,} backed up")
    if differing:
        raise BackupRefused(TABLES_DIFFER, differing)
    say(f"  {len(opened.manifest['tables'])} tables match the manifest's counts and checksums")
    from fupin.pii.keycheck import KeysDoNotFitData, check_keys_fit_data

    try:
        check_keys_fit_data()
    except KeysDoNotFitData:
        raise BackupRefused(KEYS_DO_NOT_READ) from None
    from fupin.audit.selectors import verify_chain

    kept = settings.AUDIT_CHECKPOINT_FILE
    settings.AUDIT_CHECKPOINT_FILE = checkpoint_staged
    try:
        report = verify_chain()
    finally:
        settings.AUDIT_CHECKPOINT_FILE = kept
    if not report.ok:
        raise BackupRefused(AUDIT_BROKEN, report.problems[:20])
    summary.audit_entries = report.checked
    say(f"  audit log intact: {report.checked:,} entries")


def _move_files_in_place(staging: Path, checkpoint_target: Path) -> None:
    places = {
        "media": Path(settings.MEDIA_ROOT),
        "exchange": Path(settings.VAR_DIR) / "exchange",
    }
    for name, place in places.items():
        source = staging / "files" / name
        if not source.is_dir():
            continue
        place.parent.mkdir(parents=True, exist_ok=True)
        if place.is_dir():
            # Empty (checked before), perhaps with empty folders: merge the staged tree into it.
            for item in source.rglob("*"):
                if item.is_file():
                    target = place / item.relative_to(source)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(item, target)
        else:
            os.replace(source, place)
    staged_checkpoints = staging / "files" / "audit-checkpoints.jsonl"
    if staged_checkpoints.is_file():
        checkpoint_target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staged_checkpoints), str(checkpoint_target))
