#!/usr/bin/env bash
# Build the libFuzzer harness of vu's config reader into fuzz/work/config_fuzz
# (clang with -fsanitize=fuzzer,address,undefined). Needs clang and
# libclang-rt-*-dev (Debian: apt-get install clang-14 libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
CC=${CC:-$(command -v clang-14 || command -v clang || true)}
if [ -z "$CC" ]; then
  echo "fuzz/build.sh: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi
out=fuzz/work
mkdir -p "$out"
flags=(-std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
  -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -Wall -Wextra -Werror -Wno-unused-parameter -DVU_BUILDING_LIBVU
  -Iruntime/api -Iruntime/core -Iruntime/libc -Iruntime/config -Igenerated-c)
# the reader never frees (start-up code): its malloc family is renamed to
# the harness's fz_*, which frees everything after each input
objs=()
for src in runtime/config/json.c runtime/config/config.c runtime/config/compiled.c layers/remap.c runtime/api/strmap.c; do
  o="$out/$(basename "$src" .c).o"
  "$CC" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  for f in malloc calloc realloc free strdup strndup; do
    objcopy --redefine-sym "$f=fz_$f" "$o"
  done
  objs+=("$o")
done
"$CC" "${flags[@]}" -fsanitize=fuzzer fuzz/config_fuzz.c "${objs[@]}" runtime/api/path.c runtime/api/util.c \
  runtime/process/fds.c runtime/core/gate.S generated-c/vu_syscall_table.c -o "$out/config_fuzz"
echo "$out/config_fuzz"
