#!/usr/bin/env bash
# test/robust/asan.sh -- build vu (runtime + layers + generated wrappers)
# with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/asan/libvu-asan.so, then run the quick part of the compatibility
# matrix and the hostile-condition probes under it (LD_PRELOAD: libasan
# first, then libvu-asan.so). Every sanitizer report lands in build/asan/log.*;
# exit 1 when there is one (or when a run differs from native).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/asan
rm -rf "$out"
mkdir -p "$out"
CC=${CC:-gcc}
node tools/libc-calls.mjs "$out/vu_fncalls.c"	# (binding.gyp's action)
srcs=(runtime/*/*.c runtime/*/*.S layers/*.c layers/*/*.c generated-c/*.c "$out/vu_fncalls.c")
"$CC" -std=gnu11 -D_GNU_SOURCE -DVU_BUILDING_LIBVU -O1 -g -fPIC -shared -fvisibility=hidden \
  -fno-omit-frame-pointer -fno-stack-protector -fno-builtin \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -Werror -Wno-unused-parameter -Wno-array-parameter \
  -Iruntime/api -Iruntime/core -Iruntime/libc -Iruntime/config -Igenerated-c "${srcs[@]}" \
  -Wl,--version-script=generated-c/vu.map -Wl,-z,now -Wl,-z,noexecstack -ldl \
  -o "$out/libvu-asan.so"
asan=$("$CC" -print-file-name=libasan.so)
lib=$PWD/$out/libvu-asan.so
echo "built $lib (preloaded after $asan)" >&2
log=$PWD/$out/log
# leaks: vu's start-up allocations live as long as the process, and the
# programs' own leaks are not ours; link order: children inherit the list
opts="log_path=$log:detect_leaks=0:verify_asan_link_order=0:handle_segv=0:allow_user_segv_handler=1"
uopts="log_path=$log:print_stacktrace=1:halt_on_error=1"
if ! env LD_PRELOAD="$asan:$lib" ASAN_OPTIONS="$opts" cat /proc/self/maps | grep -q libvu-asan.so; then
  echo "asan.sh: libvu-asan.so is not loaded" >&2
  exit 1
fi
status=0
node --import=tsx test/compat/report.ts --quick --preload "$asan:$lib" \
  --env "ASAN_OPTIONS=$opts" --env "UBSAN_OPTIONS=$uopts" || status=1

# the hostile probes, under a remap stack
cfg=$(mktemp -d /tmp/vu-asan-XXXXXX)
mkfifo "$cfg/fifo"
printf '{"layers":[{"type":"remap","map":{"/etc/passwd":"/etc/hostname","%s":"%s"}}]}\n' \
  "$cfg/alias" "$cfg/fifo" > "$cfg/vu.json"
make -s -C test/probes
p=test/probes/bin
probe() {
  if ! env LD_PRELOAD="$asan:$lib" VU_CONFIG="$cfg/vu.json" ASAN_OPTIONS="$opts" UBSAN_OPTIONS="$uopts" \
      timeout 300 "$@" > "$cfg/out" 2>&1; then
    echo "FAILED under ASan: $*" >&2; tail -5 "$cfg/out" >&2; status=1
  else
    echo "ok under ASan: $*" >&2
  fi
}
probe $p/manyopens 16 2000 /etc/passwd
probe $p/churn 1000 /etc/passwd
probe $p/storm restart
probe $p/storm norestart
probe $p/chain 5 /etc/passwd
probe env VU_DEBUG=1 $p/hostile
probe $p/procs
probe $p/signals
probe $p/smallstack
probe $p/cancel
probe $p/cancel "$cfg/alias"
probe $p/jmpout "$cfg/alias" /etc/passwd 8
probe $p/jmpout "$cfg/alias" /etc/passwd 8 raw
probe $p/spawnmany 20 /etc/passwd
rm -rf "$cfg"
# a WARNING alone (ASan's longjmp hook on vu's signal stack: "ignoring
# requested __asan_handle_no_return") is shown, not counted
if ls "$log".* >/dev/null 2>&1; then
  for f in "$log".*; do
    if grep -qE 'ERROR|runtime error' "$f"; then
      echo "== sanitizer report $f" >&2; head -40 "$f" >&2; status=1
    else
      echo "== sanitizer warning $f: $(head -1 "$f")" >&2
    fi
  done
fi
[ $status -eq 0 ] && echo "no sanitizer error" >&2
exit $status
