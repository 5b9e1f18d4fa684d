"""The ``fupin`` operator command: a thin front on Django's management commands.

``fupin migrate``, ``fupin serve``, ``fupin demo-data``, ``fupin users add|token|deactivate``,
``fupin areas import``, ``fupin audit verify``; any other Django command works too (``fupin shell``).
"""

from __future__ import annotations

import os
import sys

# ``check`` runs the registry's data checks; Django's own system check stays reachable as ``system-check``.
ALIASES = {
    "demo-data": "demo_data",
    "import": "exchange_import",
    "template": "exchange_template",
    "check": "data_checks",
    "system-check": "check",
}

USAGE = """usage: fupin COMMAND [options]

  migrate                         create or upgrade the database
  serve [--port N] [--host H] [--no-worker]
                                  run the web server (default http://127.0.0.1:8000) and a worker
  worker                          carry out the background jobs (screening runs, imports, rebuilds,
                                  text messages); jobs a stopped worker left are tried again
  demo-data [--county CODE] [--households N] [--seed S]
                                  load a generated demo county (default 通榆县 220822)
  users add USERNAME --role ROLE --area CODE [--area CODE …] [--password-stdin]
  users token USERNAME [--days N] [--keep-others]
                                  print a new API token (earlier tokens of the user are revoked)
  users revoke-tokens|deactivate|activate USERNAME
                                  stop a user's tokens; close or reopen an account
  users list                      accounts with role, state and working tokens
  areas import FILE               load townships and villages from CSV or xlsx
  audit verify                    check the audit log's hash chain
  feeds import KIND FILE [--user U]  load a department list (medical, disaster, school, insurance,
                                  returned_migrant, housing, death, assistance_roll); all or nothing
  import KIND FILE [--user U]   import households, members, incomes, areas or a department list
                                  (xlsx or CSV); all or nothing, errors to a marked-up workbook
  template KIND [-o FILE]         write the xlsx import template of a kind
  feeds template KIND             print a CSV template with the bilingual headers
  screen [--policy P] [--as-of DATE] [--area CODE] [--engine duckdb|postgres|spark]
                                  screen households with a policy pack and open risk clues
  policy check|test|explain PACK  check a policy pack, run its test cases, explain one household
  check [--area CODE] [--check CODE] [--xlsx FILE]
                                  data checks over the registry (counts per check; failures to Excel)
  indicators rebuild [--as-of DATE] [--engine duckdb|postgres]
                                  recalculate the indicator tables of every area (dashboard, reports)
  report --area CODE [--month YYYY-MM] [-o FILE]
                                  the monthly report of an area as a PDF (Chinese)
  backup FILE (--passphrase-stdin | --keys-to KEYFILE)
                                  database, uploaded files, audit checkpoints and keys in one file
  restore FILE (--passphrase-stdin | --keys KEYFILE) [--check]
                                  a backup onto an empty installation; all or nothing

Database: FUPIN_DATABASE_URL (default: SQLite file under ./var/).
"""


# Commands that read no personal data, and may run whatever the keys (creating the tables, say).
# ``restore`` brings its own keys, checks them against the backup's data and installs them.
KEYLESS_COMMANDS = {
    "migrate",
    "makemigrations",
    "showmigrations",
    "compilemessages",
    "makemessages",
    "restore",
}


def _refuse_keys_that_do_not_fit() -> None:
    import django

    django.setup()
    from fupin.pii.keycheck import KeysDoNotFitData, check_keys_fit_data

    try:
        check_keys_fit_data()
    except KeysDoNotFitData as refusal:
        print(str(refusal), file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    from fupin.core.i18n import compile_catalogs

    compile_catalogs()
    args[0] = ALIASES.get(args[0], args[0])
    if args[0] not in ("serve", "worker"):
        # A command carries its jobs out itself and waits for them (fupin.jobs); the server queues them.
        os.environ.setdefault("FUPIN_JOBS_RUN_NOW", "1")
    if args[0] not in KEYLESS_COMMANDS:
        _refuse_keys_that_do_not_fit()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fupin", *args])


if __name__ == "__main__":
    main()
