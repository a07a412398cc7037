#!/bin/sh
# Which year do the tools think it is?
date -u +%Y-%m-%d
python3 -c "import time; print(time.strftime('%Y', time.gmtime()))"
node -e "console.log(new Date().getUTCFullYear())"
