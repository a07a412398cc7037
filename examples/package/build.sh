#!/bin/sh
# Stage a tree, give it root and daemon owners and a setuid bit, pack it.
set -e
rm -rf stage pkg.tar
mkdir -p stage/usr/bin stage/var/lib/app
printf '#!/bin/sh\necho app\n' > stage/usr/bin/app
chmod 4755 stage/usr/bin/app
chown -R 0:0 stage
chown 1:1 stage/var/lib/app
id -u
tar --numeric-owner -cf pkg.tar -C stage .
tar --numeric-owner -tvf pkg.tar | awk '{print $1, $2, $6}'
