#!/usr/bin/env bash
# Smoke test of the INSTALLED package (/usr/bin/docker-credential-keyring): version, man page,
# and store/get/erase against a real gnome-keyring on a private D-Bus session.
set -euo pipefail
bin=/usr/bin/docker-credential-keyring
[ -x "$bin" ] || { echo "smoke: $bin is not installed" >&2; exit 1; }

"$bin" version | grep -q '^docker-credential-keyring (.*) v' || { echo "smoke: version" >&2; exit 1; }
ls /usr/share/man/man1/docker-credential-keyring.1* >/dev/null || { echo "smoke: no man page" >&2; exit 1; }
ls /usr/share/man/man1/docker-credential-keyring-push.1* >/dev/null 2>&1 || echo "smoke: note: no push man page" >&2
[ -f /usr/share/bash-completion/completions/docker-credential-keyring ] || { echo "smoke: no bash completion" >&2; exit 1; }
[ "$(readlink /usr/bin/kubectl-keyring)" = docker-credential-keyring ] || { echo "smoke: no kubectl-keyring link" >&2; exit 1; }
/usr/bin/kubectl-keyring --help | grep -q '^Usage: kubectl keyring ' || { echo "smoke: kubectl-keyring --help" >&2; exit 1; }
if command -v kubectl >/dev/null; then
  # kubectl exits 1 on its own warnings (e.g. the same plugin seen again through /bin -> /usr/bin
  # on PATH): what it lists is what counts.
  plugins=$(kubectl plugin list 2>/dev/null || true)
  grep -qx /usr/bin/kubectl-keyring <<<"$plugins" || { echo "smoke: kubectl plugin list" >&2; exit 1; }
fi

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config"
unset XDG_RUNTIME_DIR DISPLAY
dbus-run-session -- bash -euo pipefail -c '
  printf "smoke-password" | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
  for _ in $(seq 50); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" && break
    sleep 0.1
  done
  export DOCKER_CREDENTIAL_KEYRING_BACKEND=secret-service
  b=/usr/bin/docker-credential-keyring
  printf "{\"ServerURL\":\"smoke.example.com\",\"Username\":\"smoke\",\"Secret\":\"smoke-secret\"}" | $b store
  got=$(printf smoke.example.com | $b get)
  [ "$got" = "{\"ServerURL\":\"smoke.example.com\",\"Username\":\"smoke\",\"Secret\":\"smoke-secret\"}" ] || { echo "smoke: get: $got" >&2; exit 1; }
  [ "$($b list)" = "{\"smoke.example.com\":\"smoke\"}" ] || { echo "smoke: list" >&2; exit 1; }
  printf smoke.example.com | $b erase
  out=$(printf smoke.example.com | $b get || true)
  [ "$out" = "credentials not found in native keychain" ] || { echo "smoke: erase: $out" >&2; exit 1; }
  pkill -u "$(id -u)" -f "^gnome-keyring-daemon --unlock --components=secrets" || true
'
echo "smoke test of the installed package: 1 passed, 0 failed"
