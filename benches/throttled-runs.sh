#!/bin/sh
# Node counts of N headless runs against a throttled simulator (issue 12's figure):
#   benches/throttled-runs.sh [N] [BIN]      (default 10 runs, target/debug/ssmdeck)
# Starts `ssmdeck sim --seed 7 $SIM_FLAGS` (default `--throttle-tps 1`), then runs
# `ssmdeck snapshot --no-cache`
# N times; prints per run: exit code, nodes, complete, number of gaps (`missing`), seconds,
# and each gap.
set -eu
N=${1:-10}
BIN=${2:-target/debug/ssmdeck}
tmp=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
# shellcheck disable=SC2086 # the flags are words
"$BIN" sim --seed 7 ${SIM_FLAGS:---throttle-tps 1} >"$tmp/sim.out" 2>/dev/null &
sim=$!
while ! grep -q listening "$tmp/sim.out" 2>/dev/null; do sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$tmp/sim.out")
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL || true
printf 'run exit nodes complete gaps seconds gaps(kind/where/code)\n'
i=1
while [ "$i" -le "$N" ]; do
  start=$(date +%s)
  set +e
  SSMDECK_CACHE_DIR="$tmp/cache" "$BIN" snapshot --no-cache --endpoint-url "$url" \
    --regions us-east-1,eu-west-1,ap-southeast-2 --format json >"$tmp/s.json" 2>"$tmp/s.err"
  code=$?
  set -e
  secs=$(( $(date +%s) - start ))
  if [ ! -s "$tmp/s.json" ]; then
    printf '%s\t%s\t-\t-\t-\t%s\t%s\n' "$i" "$code" "$secs" "$(tail -n 1 "$tmp/s.err")"
    i=$((i + 1))
    continue
  fi
  jq -r --arg i "$i" --arg c "$code" --arg t "$secs" \
    '[$i, $c, (.nodes|length), .complete, (.missing|length), $t,
      (.missing | map([.kind, (.ou_name // .account_id // ""), (.region // ""), (.service // ""), (.operation // ""), .code] | map(select(. != "")) | join("/")) | join("; "))] | @tsv' \
    "$tmp/s.json"
  i=$((i + 1))
done
