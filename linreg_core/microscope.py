"""One step under the microscope: the last update a trainer took, in numbers, as plain values.

The trainer keeps references to the last step's tensors (the batch, ∂loss/∂ŷ, the gradients, the parameters
before; Trainer.last_step); this reads them, so the numbers are the ones the step used. ŷ and ŷ − y are
computed again from the batch and the parameters before (the step consumed its own copy in place): the same
operations on the same tensors, so the same numbers. Everything is in training units (standardized when the
run standardizes), as the step took it.

    {"step", "epoch", "batch", "batch_rows", "rows_shown", "units", "loss", "lr", "optimizer",
     "rows": [{"x": [...], "y", "y_hat", "residual", "dloss_dyhat"}, ...],       (the first rows_shown rows)
     "parameters": [{"name", "before", "grad", "l1_term", "l2_term", "lr_grad", "after", "change",
                     "state": {...}}, ...]}
lr_grad is lr × (grad + penalties): the step plain SGD takes; "change" is after − before, the step this
optimizer took. "state" holds the optimizer's own numbers after the step (Momentum's v; AdaGrad's and
RMSProp's s; Adam's m, v, m̂ and v̂ with t in the record).
"""
from __future__ import annotations

import torch

ROWS_SHOWN = 8


def parameter_names(feature_names) -> list[str]:
    return [f"w[{n}]" for n in feature_names] + ["b"]


def last_step(trainer, rows: int = ROWS_SHOWN) -> dict | None:
    """The last step the trainer took, or None before the first (or after a reset)."""
    if trainer.last_step is None:
        return None
    step, epoch, batch, x, y, g, grads, (w0, b0), lr = trainer.last_step
    tc = trainer.config.train
    with torch.inference_mode():
        y_hat = x.mm(w0).add_(b0)  # (m, 1): as the step computed it
        residual = y_hat - y
        if g is None:  # autograd computed the gradient: ∂loss/∂ŷ by the analytic rule, on a copy
            g = trainer.loss.value_and_grad(residual.clone(), len(y))[1]
        loss = float(trainer.loss.value(y_hat, y))
        before = [*w0.reshape(-1).tolist(), float(b0)]
        after = [*trainer._w.reshape(-1).tolist(), float(trainer._b)]
        grad = [*grads[0].reshape(-1).tolist(), float(grads[1])]
        d = len(before) - 1
        # the penalties' terms and lr·(gradient + terms) with the trainer's own operations, in its dtype
        zero = torch.zeros_like(w0)
        l2_t = tc.l2 * w0 if tc.l2 else zero
        l1_t = tc.l1 * w0.sign() if tc.l1 else zero
        gw = grads[0] + l2_t if tc.l2 else grads[0]
        gw = gw + l1_t if tc.l1 else gw
        lr_t = torch.tensor(lr, dtype=w0.dtype)
        l2 = [*l2_t.reshape(-1).tolist(), 0.0]
        l1 = [*l1_t.reshape(-1).tolist(), 0.0]
        lr_grad = [*(gw * lr_t).reshape(-1).tolist(), float(grads[1] * lr_t)]
        state = _state(trainer, d, w0.dtype)
        shown = min(rows, len(y))
        table = [{"x": x[i].tolist(), "y": float(y[i]), "y_hat": float(y_hat[i]), "residual": float(residual[i]),
                  "dloss_dyhat": float(g[i])} for i in range(shown)]
    names = parameter_names(trainer.experiment.dataset.feature_names)
    params = [{"name": names[k], "before": before[k], "grad": grad[k], "l1_term": l1[k], "l2_term": l2[k],
               "lr_grad": lr_grad[k], "after": after[k], "change": after[k] - before[k],
               "state": {key: values[k] for key, values in state.items() if key != "t"}}
              for k in range(d + 1)]
    record = {"step": step, "epoch": epoch, "batch": batch, "batch_rows": len(y), "rows_shown": shown,
              "units": "standardized" if trainer.split.standardized else "data", "loss": loss, "lr": lr,
              "optimizer": tc.optimizer, "loss_name": tc.loss, "rows": table, "parameters": params}
    if "t" in state:
        record["t"] = state["t"]
    return record


def _state(trainer, d: int, dtype) -> dict[str, list[float]]:
    """The update rule's state after the step, per parameter (w..., b)."""
    rule = trainer._optimizer

    def values(tensors) -> list[float]:
        if len(tensors) == 1:  # stacked [w; b] (trainer._update)
            return tensors[0].reshape(-1).tolist()
        return [*tensors[0].reshape(-1).tolist(), float(tensors[1])]

    out: dict = {}
    for name in rule.STATE:
        state = getattr(rule, name, None)
        if state is not None:
            out[name] = values(state)
    if hasattr(rule, "t") and rule.t:  # Adam's bias-corrected moments, as its update divides them
        c1, c2 = 1 - rule.b1 ** rule.t, 1 - rule.b2 ** rule.t
        out["m_hat"] = (torch.tensor(out["m"], dtype=dtype) / c1).tolist()
        out["v_hat"] = (torch.tensor(out["v"], dtype=dtype) / c2).tolist()
        out["t"] = rule.t
    return out
