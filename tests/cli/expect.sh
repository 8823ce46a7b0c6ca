#!/usr/bin/env bash
# expect.sh EXIT REGEX -- COMMAND...
# Runs COMMAND; passes when it exits with EXIT and its stdout+stderr matches the extended REGEX
# (matched against the whole output as one record, so '.*' spans lines).
set -u
want_exit=$1 regex=$2
shift 2
[ "$1" = "--" ] && shift
output=$("$@" 2>&1)
got_exit=$?
if [ "$got_exit" != "$want_exit" ]; then
  printf 'exit code %s, wanted %s\noutput:\n%s\n' "$got_exit" "$want_exit" "$output"
  exit 1
fi
if ! printf '%s' "$output" | grep -qzE -e "$regex"; then
  printf 'output does not match /%s/:\n%s\n' "$regex" "$output"
  exit 1
fi
printf '%s\n' "$output" | head -20
