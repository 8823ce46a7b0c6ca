#!/bin/bash
# train_kill_resume.sh CLI OUT -- TRAIN-ARGS…
# Trains OUT/whole uninterrupted; trains OUT/killed with a checkpoint every 2 steps, kills it with
# SIGKILL once a mid-epoch checkpoint exists, resumes it, and compares the final weights and the
# training state byte for byte (the same steps on the same threads give the same bits).
set -u
cli=$1 out=$2
shift 3
here=$(dirname "$0")
rm -rf "$out/whole" "$out/killed"
"$cli" train "$@" --out "$out/whole" >/dev/null 2>&1 || { echo "uninterrupted training failed"; exit 1; }
"$cli" train "$@" --out "$out/killed" --checkpoint-every 2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ -f "$out/killed/checkpoint.pth" ] && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -f "$out/killed/final_state.pth" ] && { echo "the run finished before it could be killed"; exit 1; }
echo "killed: $(/usr/bin/python3 "$here/../python/check_training_checkpoint.py" "$out/killed/checkpoint.pth")"
"$cli" train "$@" --out "$out/killed" --resume | tail -1 || exit 1
cmp "$out/whole/final_state.pth" "$out/killed/final_state.pth" && echo "final weights identical"
/usr/bin/python3 "$here/../python/check_training_checkpoint.py" "$out/killed/checkpoint.pth" "$out/whole/checkpoint.pth"
