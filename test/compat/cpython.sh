#!/usr/bin/env bash
# test/compat/cpython.sh [MODULE...] -- CPython's own regression tests run
# natively and under vu with a pass-through stack ({"layers": []}, "all"
# mode: SUD armed, every process-model path taken), then compared test by
# test. Prints a table per module and every test whose result differs;
# exits 1 when any differs. Needs a python3 that ships its test package
# (pyenv's does; Debian's needs libpython3.X-testsuite).
#   PYTHON=python3.11 test/compat/cpython.sh test_os test_shutil
#   JOBS=0 (default: -j0, one worker per core)   KEEP=1: keep the work folder
#   STACK=remap: a remap stack (of a file no test touches) instead of {"layers": []}
#   INTERCEPT=libc: "libc" mode (default "all")
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
lib=$root/build/Release/libvu.so
[ -f "$lib" ] || { echo "cpython.sh: build libvu.so first (npx node-gyp rebuild)" >&2; exit 2; }
py=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
"$py" -c 'import test.libregrtest' 2>/dev/null || { echo "cpython.sh: $py has no test package" >&2; exit 2; }
if [ $# -gt 0 ]; then
  mods=("$@")
else
  mods=(test_os test_shutil test_tempfile test_glob test_fileio test_pathlib test_subprocess
        test_threading test_signal test_posix test_io test_stat test_tarfile test_zipfile
        test_mmap test_select test_fcntl test_time)
fi
work=$(mktemp -d /tmp/vu-cpython-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mode=${INTERCEPT:-all}
if [ "${STACK:-pass}" = remap ]; then
  printf '{"intercept": "%s", "layers": [{"type": "remap", "map": {"/vu-compat/never-touched": "/etc/hostname"}}]}\n' "$mode" > "$work/vu.json"
else
  printf '{"intercept": "%s", "layers": []}\n' "$mode" > "$work/vu.json"
fi

run_suite() { # NAME [env...]
  local name=$1; shift
  local t0=$SECONDS
  mkdir -p "$work/$name"
  # each run in its own folder: regrtest writes its temp dirs into the cwd
  # SIGINT back to its default: a shell that started us in the background
  # may have ignored it, and test_signal/test_threading send it
  (cd "$work/$name" && env "$@" "$py" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.executable, [sys.executable] + sys.argv[1:])' -m test -j"${JOBS:-0}" --timeout 900 \
     --junit-xml "$work/$name.xml" "${mods[@]}" > "$work/$name.log" 2>&1) || true
  echo "$name: $((SECONDS - t0)) s, $(grep -E '^(Result|Total tests):' "$work/$name.log" | tr '\n' ' ')" >&2
}

run_suite native -u LD_PRELOAD -u VU_CONFIG
run_suite vu LD_PRELOAD="$lib" VU_CONFIG="$work/vu.json"
"$py" "$root/test/compat/junit_diff.py" "$work/native.xml" "$work/vu.xml"
