#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] -- fuzz vu's config reader (json.c + config.c) with
# libFuzzer for SECONDS (default 30); exit 0 when nothing crashed. Crashing
# inputs are left in fuzz/work/ (crash-*, leak-*, timeout-*); the corpus
# grown from fuzz/corpus/ is kept in fuzz/work/corpus between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
bin=$(fuzz/build.sh)
work=fuzz/work/corpus
mkdir -p "$work"
cp -n fuzz/corpus/* "$work"/ 2>/dev/null || true
log=fuzz/work/run.log
# the reader allocates for life at start-up and never frees: no leak check
set +e
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict=fuzz/vu.dict -artifact_prefix=fuzz/work/ -print_final_stats=1 \
  "$work" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$log" | tail -1 || true
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|Done )' "$log" || true
if [ "$rc" -ne 0 ]; then
  grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -20 >&2
  echo "fuzz/run.sh: the fuzzer failed (exit $rc); see $log" >&2
  exit 1
fi
echo "fuzz/run.sh: ${secs}s, no crash"
