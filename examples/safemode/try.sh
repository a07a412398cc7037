#!/bin/sh
# A script that changes things: under vu none of it reaches the disk.
echo changed > data/file.txt
rm data/old.txt
echo added > data/new.txt
ls data
cat data/file.txt
{ echo hi > ~/vu-safemode-note; } 2>/dev/null || echo "home: read-only"
