#!/bin/bash
# kill_resume.sh CLI REFERENCE OUT [COMMAND] -- ARGS…
# Starts `posescope-cli COMMAND … --out OUT` (record, or occlude), kills it with SIGKILL once it
# has flushed a few samples, shows what `inspect` finds in the killed file, resumes it, and
# compares the result with REFERENCE (an uninterrupted run of the same command) sample for sample.
set -u
cli=$1 ref=$2 out=$3 command=record
if [ "$4" != "--" ]; then
  command=$4
  shift
fi
shift 4
here=$(dirname "$0")
rm -f "$out"
"$cli" "$command" "$@" --out "$out" --batch 1 --flush-seconds 0 >/dev/null 2>&1 &
pid=$!
n=0
for _ in $(seq 1 1200); do
  n=$("$cli" inspect "$out" 2>/dev/null | sed -n 's/^samples: *\([0-9]*\) of.*/\1/p')
  [ -n "$n" ] && [ "$n" -ge 4 ] && break
  kill -0 "$pid" 2>/dev/null || { echo "the $command command ended before it could be killed" >&2; exit 1; }
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "killed after $n samples"
"$cli" inspect "$out" | grep -E '^(state|samples):' || exit 1
"$cli" "$command" "$@" --out "$out" --resume 2>/dev/null || exit 1
/usr/bin/python3 "$here/compare_runs.py" "$ref" "$out"
