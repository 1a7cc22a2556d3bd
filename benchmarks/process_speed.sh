#!/usr/bin/env bash
# Whole processes, start-up included, same machine, same run (best of REPS each, run alternately):
#   import torch alone; the tutorial's own loop as a script; `linreg train` (SGD and Adam); `linreg sweep` of
#   64 learning rates. EPOCHS=600 by default (issue 11: train ≥ 5× the script, Adam ≥ 3×, the sweep ≤ 3× train).
#   bash benchmarks/process_speed.sh        (REPS=3 EPOCHS=600)
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python; linreg=.venv/bin/linreg
epochs=${EPOCHS:-600}; reps=${REPS:-3}
script=$(mktemp --suffix .py); trap 'rm -f "$script"' EXIT
cat > "$script" <<PY
import sys
sys.path.insert(0, "$PWD")
from tests.tutorial_oracle import run_tutorial
for i, l in enumerate(run_tutorial(0, epochs=$epochs)[0]):
    print(f"epoch {i:03d}: loss: {l:f}")
PY
lrs=$($py -c "print(','.join(repr(0.03 * 10 ** (-1 + 2 * i / 63)) for i in range(64)))")
declare -A best
run() {  # name, command...
  local name=$1; shift
  local t0 t1 s
  t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N)
  s=$(echo "$t1 - $t0" | bc)
  if [[ -z "${best[$name]:-}" ]] || (( $(echo "$s < ${best[$name]}" | bc) )); then best[$name]=$s; fi
}
for _ in $(seq "$reps"); do
  run torch $py -c "import torch"
  run tutorial $py "$script"
  run train $linreg train --epochs "$epochs" --no-save
  run adam $linreg train --epochs "$epochs" --no-save --optimizer adam
  run sweep64 $linreg sweep --epochs "$epochs" --no-save --lr "$lrs"
done
r() { echo "scale=2; $1 / $2" | bc; }
echo "epochs $epochs, best of $reps (seconds, whole process):"
echo "  import torch ${best[torch]}; tutorial script ${best[tutorial]}; linreg train ${best[train]}; adam ${best[adam]}; sweep of 64 lrs ${best[sweep64]}"
echo "  tutorial / train: $(r "${best[tutorial]}" "${best[train]}")×; tutorial / adam: $(r "${best[tutorial]}" "${best[adam]}")×;" \
     "sweep64 / train: $(r "${best[sweep64]}" "${best[train]}")×"
tt=$(echo "${best[tutorial]} - ${best[torch]}" | bc); tr=$(echo "${best[train]} - ${best[torch]}" | bc)
ta=$(echo "${best[adam]} - ${best[torch]}" | bc)
echo "  beyond import torch: tutorial ${tt}, train ${tr} ($(r "$tt" "$tr")×), adam ${ta} ($(r "$tt" "$ta")×)"
