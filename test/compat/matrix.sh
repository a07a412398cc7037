#!/usr/bin/env bash
# test/compat/matrix.sh [--quick] -- the compatibility matrix as a table:
# every program natively, under a pass-through stack and under a remap
# stack; exit 1 when any run differs from native.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node --import=tsx test/compat/report.ts "$@"
