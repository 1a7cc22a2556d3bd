#!/usr/bin/env bash
# 1) First usable screen against `python -c "import torch"`; 2) training speed inside the app (flat out,
# read from its status line) against `linreg train` on the same experiment, same machine, same run.
#   bash benchmarks/app_startup_speed.sh      (TRAIN_S=8 seconds of training in the app, EPOCHS=20000 headless)
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
t0=$(date +%s.%N); $py -c "import torch"; t1=$(date +%s.%N)
torch_s=$(echo "$t1 - $t0" | bc)
s=linreg-bench-$$
t0=$(date +%s.%N)
tmux new-session -d -s $s -x 100 -y 30 ".venv/bin/linreg --epochs 100000 --no-save"
until tmux capture-pane -p -t $s | grep -q "LOADING\|IDLE"; do sleep 0.005; done
t1=$(date +%s.%N)
first_s=$(echo "$t1 - $t0" | bc)
until tmux capture-pane -p -t $s | grep -q "IDLE"; do sleep 0.02; done
tmux send-keys -t $s + + + + Space
sleep "${TRAIN_S:-8}"
app_rate=$(tmux capture-pane -p -t $s | grep -o "speed [0-9,]*/s" | tr -dc '0-9')
tmux send-keys -t $s q; sleep 0.5; tmux kill-session -t $s 2>/dev/null
epochs=${EPOCHS:-20000}
t0=$(date +%s.%N); .venv/bin/linreg train --epochs "$epochs" --no-save > /dev/null; t1=$(date +%s.%N)
head_rate=$(echo "32 * $epochs / ($t1 - $t0)" | bc)
echo "import torch: ${torch_s} s; first app frame: ${first_s} s; ratio $(echo "scale=2; $first_s / $torch_s" | bc)"
echo "training flat out in the app: ${app_rate} steps/s; linreg train ($epochs epochs, start-up included): ${head_rate} steps/s;" \
     "ratio $(echo "scale=2; $app_rate / $head_rate" | bc)"
