#!/usr/bin/env bash
# Interop with Docker's own credential helper on this machine's real keychain, both ways:
#   macOS:   docker-credential-osxkeychain (backend keychain)
#   Windows: docker-credential-wincred     (backend wincred; run from Git Bash)
# usage: tests/interop/docker-helpers.sh OUR_BINARY DOCKER_HELPER BACKEND
#
#   1. Docker stores  -> our get (every spelling our address rules accept), list, erase
#   2. we store       -> Docker's get and list, and Docker's erase is seen by us
#   3. we store over a Docker entry -> Docker's list and get show the new login, one entry
#   4. (wincred) a 2560-byte secret we store is read back by Docker; 2561 bytes are refused
#
# Every entry is under a server name of this run's own (dck-interop-<run>-*.example.com) and is
# erased at the end. Each helper call is bounded (60 s): a keychain dialog nobody can answer
# fails the run instead of hanging it.
set -euo pipefail
ours=$1
docker=$2
backend=$3
export DOCKER_CREDENTIAL_KEYRING_BACKEND=$backend
run="$(date +%s)-$$"
host() { echo "dck-interop-$run-$1.example.com"; }
failures=0

# call BINARY ACTION INPUT: the helper's stdout in $out, its exit status in $status (its
# stderr goes to the log).
call() {
  set +e
  out=$(printf '%s' "$3" | perl -e 'alarm 60; exec @ARGV or die "exec: $!\n"' "$1" "$2")
  status=$?
  set -e
  if [ "$status" -ge 128 ]; then
    echo "  $(basename "$1") $2 did not answer within 60 s (a keychain dialog?)" >&2
  fi
}
store_json() { printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$1" "$2" "$3"; }
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
# check WHAT OUTPUT NEEDLE...: every needle is in the output and the call succeeded.
check() {
  local what=$1 out=$2 needle
  shift 2
  if [ "$status" -ne 0 ]; then fail "$what (exit $status: $out)"; return; fi
  for needle in "$@"; do
    case "$out" in *"$needle"*) ;; *) fail "$what: no $needle in $out"; return ;; esac
  done
  pass "$what"
}
# absent WHAT OUTPUT NEEDLE: the call succeeded and the needle is not in its output.
absent() {
  if [ "$status" -ne 0 ]; then fail "$1 (exit $status: $2)"; return; fi
  case "$2" in *"$3"*) fail "$1: $3 still in $2" ;; *) pass "$1" ;; esac
}
# not_found WHAT OUTPUT: the call failed with the protocol's not-found line.
not_found() {
  if [ "$status" -ne 0 ] && [ "$2" = "credentials not found in native keychain" ]; then
    pass "$1"
  else
    fail "$1 (exit $status: $2)"
  fi
}
cleanup() {
  for h in a b c d w; do
    for url in "https://$(host $h)" "$(host $h):5000/v2"; do
      call "$docker" erase "$url" 2>/dev/null
      call "$ours" erase "$url" 2>/dev/null
    done
  done
}
trap cleanup EXIT

# The key each helper's list shows for a server stored without a scheme: the stored string on
# Windows (the target name), Docker's https:// URL in the macOS keychain.
keyed() { if [ "$backend" = keychain ]; then echo "https://$1"; else echo "$1"; fi; }

echo "== 1. Docker stores, we read, list and erase"
a=$(host a)
call "$docker" store "$(store_json "https://$a" alice from-docker)"; check "docker store https://$a" "$out"
for q in "https://$a" "$a" "https://$a/" "$a/org/repo" "$(echo "$a" | tr '[:lower:]' '[:upper:]')"; do
  call "$ours" get "$q"; check "our get $q" "$out" '"Username":"alice"' '"Secret":"from-docker"'
done
call "$ours" list ""; check "our list shows Docker's entry" "$out" "\"https://$a\":\"alice\""
call "$ours" erase "$a"; check "our erase $a" "$out"
call "$docker" get "https://$a"; not_found "docker get after our erase" "$out"
call "$docker" list ""; absent "docker list after our erase" "$out" "$a"

b=$(host b)
call "$docker" store "$(store_json "$b:5000/v2" bob from-docker-5000)"; check "docker store $b:5000/v2" "$out"
call "$ours" get "$b:5000"; check "our get $b:5000" "$out" '"Username":"bob"' '"Secret":"from-docker-5000"'
call "$ours" list ""; check "our list names it as Docker does" "$out" "\"$(keyed "$b:5000/v2")\":\"bob\""
call "$ours" erase "https://$b:5000"; check "our erase https://$b:5000" "$out"
call "$docker" get "$b:5000/v2"; not_found "docker get after our erase" "$out"

echo "== 2. we store, Docker reads and lists; Docker erases, we see it gone"
c=$(host c)
call "$ours" store "$(store_json "https://$c" carol from-us)"; check "our store https://$c" "$out"
call "$docker" get "https://$c"; check "docker get https://$c" "$out" '"Username":"carol"' '"Secret":"from-us"'
call "$docker" list ""; check "docker list shows our entry" "$out" "\"https://$c\":\"carol\""
call "$docker" erase "https://$c"; check "docker erase https://$c" "$out"
call "$ours" get "https://$c"; not_found "our get after docker erase" "$out"

echo "== 3. we store over Docker's entry, Docker lists the new login"
d=$(host d)
call "$docker" store "$(store_json "https://$d" dan old-secret)"; check "docker store https://$d" "$out"
call "$ours" store "$(store_json "https://$d" dora new-secret)"; check "our store over it" "$out"
call "$docker" list ""; check "docker list shows the new login" "$out" "\"https://$d\":\"dora\""
absent "docker list no longer shows the old login" "$out" '"dan"'
call "$docker" get "https://$d"; check "docker get https://$d" "$out" '"Username":"dora"' '"Secret":"new-secret"'
call "$ours" list ""; check "our list shows the new login" "$out" "\"https://$d\":\"dora\""

if [ "$backend" = wincred ]; then
  echo "== 4. the 2560-byte limit"
  w=$(host w)
  fits=$(printf 'f%.0s' $(seq 2560))
  call "$ours" store "$(store_json "https://$w" wendy "$fits")"; check "our store of 2560 bytes" "$out"
  call "$docker" get "https://$w"; check "docker get of 2560 bytes" "$out" "\"Secret\":\"$fits\""
  call "$ours" store "$(store_json "https://$w" wendy "${fits}x")"
  if [ "$status" -ne 0 ]; then
    case "$out" in *"2561 bytes"*"at most 2560"*) pass "2561 bytes refused" ;; *) fail "2561 bytes: $out" ;; esac
  else
    fail "2561 bytes were accepted"
  fi
  call "$docker" get "https://$w"; check "the 2560-byte login is kept" "$out" "\"Secret\":\"$fits\""
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
