#!/usr/bin/env bash
# The translation cycle: extract every string from the code and templates into messages.pot, merge it into
# the Dutch and French catalogues (new strings arrive empty, for a translator), and compile the .mo files.
# The compiled .mo files are committed (the package data ships them; no build step at install or start).
# tests/test_translations.py fails when a string is missing or empty in nl or fr, or a .mo is stale.
#   scripts/i18n.sh            extract + update + compile
#   scripts/i18n.sh compile    compile only (after editing a .po)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=".venv/bin/pybabel"
TRANSLATIONS="screening/translations"
# Keep in step with KEYWORDS in tests/test_translations.py (the test checks it).
KEYWORDS=(-k lazy_gettext -k _l -k Conflict -k NotAllowed -k InvalidInput -k DomainError -k IdentifierError)

if [ "${1:-}" != "compile" ]; then
  "$PYBABEL" -q extract -F babel.cfg "${KEYWORDS[@]}" --no-location --sort-output \
    --project=screening --copyright-holder="the screening project" -o messages.pot .
  for locale in nl fr; do
    if [ -f "$TRANSLATIONS/$locale/LC_MESSAGES/messages.po" ]; then
      "$PYBABEL" -q update -i messages.pot -d "$TRANSLATIONS" -l "$locale" --no-fuzzy-matching --ignore-obsolete
    else
      "$PYBABEL" -q init -i messages.pot -d "$TRANSLATIONS" -l "$locale"
    fi
  done
fi
"$PYBABEL" compile -d "$TRANSLATIONS" --statistics
