#!/bin/sh
# Peak memory of get, list (1000 entries) and push (50 namespaces) of the release binary on a
# private gnome-keyring and the loopback API-server fake; prints a table, exit 1 when a goal
# (get < 10 MB, list < 20 MB) is missed. Needs the Debian packages of tests/run.sh (incl. `time`).
set -eu
cd "$(dirname "$0")/.."
exec cargo bench --bench memory "$@"
