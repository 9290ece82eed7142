#!/usr/bin/env bash
# The peer, pretix's check-in redeem, alternated with bench/redeem.py (floor + ours) in one sitting.
#
#   PRETIX_DIR=/path/to/copy-of-shared/peers/pretix ROUNDS=3 bash bench/pretix_side_by_side.sh
#
# PRETIX_DIR is a writable copy of ../shared/peers/pretix, set up, seeded and serving as its
# README says (BASE=$PRETIX_DIR/.work bash setup.sh; .work/venv/bin/python seed.py --orders
# 20000; serve.sh start). Each round: pretix at c=1 and c=16 (its own closed-loop client,
# bench.py, fresh secrets; CPU of its gunicorn tree and of its PostgreSQL, as side_by_side.sh
# counts it), then bench/redeem.py --rounds 1 (the floor and ours, wrk). pretix runs as its
# report found it fastest (2 sync workers); ours and the floor under gunicorn.conf.py. pretix's
# own results land in bench/results/pretix/, ours in bench/results/redeem-side-r<round>.json.
# STRIPPED=1 adds, each round, bench/redeem.py --stripped (the floor again, and the pair without
# the framework's extras: bench/stripped.py), in bench/results/redeem-stripped-r<round>.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PX=${PRETIX_DIR:?a set-up copy of ../shared/peers/pretix}
DUR=${DUR:-15}
OUT=$ROOT/bench/results/pretix
mkdir -p "$OUT"
PXPID=$(cat "$PX/.work/pretix.pid")
PXPG=$(head -1 "$PX/.work/pg/data/postmaster.pid")
cpu() { python3 "$PX/cpu_tree_all.py" "$@"; }

for i in $(seq "${ROUNDS:-3}"); do
  echo "=== round $i $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  for c in 1 16; do
    "$PX/.work/venv/bin/python" "$PX/bench.py" -c "$c" -d 0 --warmup 50 >/dev/null 2>&1
    a0=$(cpu "$PXPID"); p0=$(cpu "$PXPG")
    "$PX/.work/venv/bin/python" "$PX/bench.py" -c "$c" -d "$DUR" --warmup 0 \
      --json-out "$OUT/pretix_r${i}_c$c.json" >/dev/null 2>&1
    a1=$(cpu "$PXPID"); p1=$(cpu "$PXPG")
    python3 - "$OUT/pretix_r${i}_c$c.json" "$a0" "$a1" "$p0" "$p1" <<'PY'
import json, sys
f, a0, a1, p0, p1 = sys.argv[1], *map(float, sys.argv[2:])
d = json.load(open(f)); n = d["requests"]
d["app_cpu_ms_per_req"] = round(1000 * (a1 - a0) / n, 2)
d["db_cpu_ms_per_req"] = round(1000 * (p1 - p0) / n, 2)
json.dump(d, open(f, "w"), indent=2)
lat = d["latency_ms"]
print(f"pretix  {d['concurrency']:>2} {d['throughput_rps']:8.1f} redeems/s  p50 {lat['p50']:6.1f}"
      f"  p95 {lat['p95']:6.1f}  p99 {lat['p99']:6.1f} ms  app {d['app_cpu_ms_per_req']:5.2f}"
      f"  PG {d['db_cpu_ms_per_req']:5.2f} ms CPU  not 201: {n - d['ok_201']}")
PY
  done
  "$ROOT/.venv/bin/python" "$ROOT/bench/redeem.py" --rounds 1 --duration "$DUR" \
    --count-pairs 20 --out "$ROOT/bench/results/redeem-side-r$i.json" \
    | grep -E "^(floor|ours) +[0-9]"
  if [ "${STRIPPED:-0}" = 1 ]; then
    "$ROOT/.venv/bin/python" "$ROOT/bench/redeem.py" --rounds 1 --duration "$DUR" --stripped \
      --count-pairs 20 --out "$ROOT/bench/results/redeem-stripped-r$i.json" \
      | grep -E "^(floor|ours) +[0-9]" | sed 's/^ours    /stripped/'
  fi
done
echo "=== done $(date -u +%T)"
