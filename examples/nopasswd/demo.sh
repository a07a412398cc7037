#!/bin/sh
# Seven ways to read /etc/passwd; under vu each prints /etc/hostname.
cat /etc/passwd
python3 -c "print(open('/etc/passwd').read(), end='')"
sh -c 'cat < /etc/passwd'
env -i /bin/cat /etc/passwd
echo /etc/passwd | xargs cat
node -e "process.stdout.write(require('fs').readFileSync('/etc/passwd','utf8'))"
perl -e 'open(F, "/etc/passwd"); print <F>'
