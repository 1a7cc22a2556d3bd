#!/usr/bin/env bash
# Key-to-screen latency while the app trains flat out on the tutorial's experiment (kept running with a
# long run): `*` doubles the learning rate, `/` halves it; tui-latency times each until the status shows it.
#   bash benchmarks/app_latency.sh        (SIZE=160x48, SETUP=Space for 100 steps/s, SETUP=, for idle)
set -euo pipefail
cd "$(dirname "$0")/.."
../shared/tools/tui-latency --size "${SIZE:-100x30}" --reps "${REPS:-30}" --ready IDLE --setup "${SETUP:-+,+,+,+,Space}" --settle 3 \
  --pair '*=lr 0\.06 ' --pair '/=lr 0\.03 ' -- .venv/bin/linreg --epochs 100000 --no-save
