#!/usr/bin/env bash
# Run the Windows build of Deno under Wine (the "Wine test lane").
#   scripts/wine_deno.sh run -A main.ts
# Requires scripts/setup_wine.sh to have been run once.
# exec: signals sent to this script reach wine itself, and wine's exit status
# (the Windows process's exit code, modulo 256) becomes this script's.
set -euo pipefail
LANE_ENV="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.wine-lane/env.sh"
if [[ ! -f "$LANE_ENV" ]]; then
  echo "wine_deno.sh: $LANE_ENV missing; run scripts/setup_wine.sh first" >&2
  exit 127
fi
# shellcheck source=/dev/null
source "$LANE_ENV"
exec "$WINE" "$WINE_DENO" "$@"
