#!/bin/sh
# Build from /project/src into ./out; show that the sources are read-only
# and the secrets are not there.
set -e
mkdir -p out
cc -o out/hello /project/src/hello.c
./out/hello
{ echo tampered >> /project/src/hello.c; } 2>/dev/null || echo "sources: read-only"
ls ~/.ssh >/dev/null 2>&1 || echo "~/.ssh: not there"
