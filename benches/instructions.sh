#!/usr/bin/env bash
# Instructions, not seconds: the client's and the simulator's instruction counts for one
# fleet_refresh shape (its cold and warm refresh), under valgrind's callgrind. Repeatable to
# about 0.3 % whatever else the host does, where wall and CPU seconds on this 2-core shared host
# drift by a third from hour to hour: compare a CPU change with these, confirm it with the
# bench's interleaved wall times.
#
#   cargo build --profile profiling --bench fleet_refresh --bin ssmdeck
#   benches/instructions.sh [shape]        # default 40k-80; about 3 minutes
#
# The client is timed 50× slower under callgrind, so its calls' figures (wall, ratio, retries)
# mean nothing here; only the counts do. The simulator is counted while it serves (its world
# generation is left out) and runs under callgrind in a second pass, so each side is measured
# against a full-speed peer. Needs valgrind (Debian's package).
set -euo pipefail
shape=${1:-40k-80}
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$(ls -t "$root"/target/profiling/deps/fleet_refresh-* | grep -v '\.d$' | head -1)}
sim=${SIM:-$root/target/profiling/ssmdeck}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export FLEET_BENCH_NO_SCHEDULES=1 FLEET_BENCH_ONE=$shape

# 1. the client (the bench process: both refreshes, the SDK, the snapshot) against a plain simulator
FLEET_BENCH_SIM=$sim valgrind --tool=callgrind --callgrind-out-file="$out/client" "$bench" \
    >"$out/client.log" 2>&1
client=$(grep -o 'Collected : [0-9]*' "$out/client.log" | awk '{print $3}')

# 2. the simulator while it serves (under callgrind), the client at full speed. The bench kills
# its simulator when done, which would lose the counts: a wrapper keeps the simulator as its
# child, so the bench kills only the wrapper; the counts are then dumped and the simulator ended.
cat >"$out/sim.sh" <<EOF
#!/usr/bin/env bash
valgrind --tool=callgrind --toggle-collect='*accept_loop*' --callgrind-out-file="$out/sim" \
    "$sim" "\$@" 2>"$out/sim.log" &
echo \$! >"$out/sim.pid"
wait
EOF
chmod +x "$out/sim.sh"
FLEET_BENCH_SIM=$out/sim.sh "$bench" >"$out/bench.log" 2>&1
pid=$(cat "$out/sim.pid")
callgrind_control -d "$pid" >/dev/null 2>&1 || true
sleep 2
kill -TERM "$pid" 2>/dev/null || true
while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
served=$(cat "$out"/sim "$out"/sim.[0-9]* 2>/dev/null | awk '/^summary:/ {s += $2} END {print s + 0}')

printf 'instructions [%s]: client %s (both refreshes); simulator serving %s\n' \
    "$shape" "$client" "$served"
