"""One step under the microscope: the last update a trainer took, in numbers, as plain values.

The step publishes the last step's tensors (the batch, ∂loss/∂ŷ, the gradients, the parameters before;
step.StepTrace, read through Trainer.last_step) and its rule's state (Trainer.rule); this reads them, so the numbers are the ones the step used. ŷ and ŷ − y are
computed again from the batch and the parameters before (the step consumed its own copy in place): the same
operations on the same tensors, so the same numbers. Everything is in training units (standardized when the
run standardizes), as the step took it.

    {"step", "epoch", "batch", "batch_rows", "rows_shown", "units", "loss", "lr", "optimizer", "loss_name",
     "residual_is": "y_hat - y",
     "rows": [{"x": [...], "y", "y_hat", "residual", "dloss_dyhat"}, ...],       (the first rows_shown rows)
     "parameters": [{"name", "before", "grad", "l1_term", "l2_term", "terms": {...}, "update", "after",
                     "delta"}, ...]}                                               (and "t" for Adam)
Counted as on screen: "step" and "batch" from 1 (the run's 6th step is step 6; "batch" is its place in the
epoch), "epoch" from 0 (the tutorial's log prints it as 000). A row's residual is ŷ − y (many texts write
y − ŷ). "delta" is Δp = after − before: the step this optimizer took. "update" is what its rule subtracted,
after = before − update bit for bit in the run's dtype: lr·g for SGD (g = grad + the penalties' terms), lr·v
for Momentum, lr·(g + μv) for Nesterov, lr·g / (√s + ε) for AdaGrad and RMSProp, lr·m̂ / (√v̂ + ε) for Adam.
"terms" holds the rule's own numbers after the step, the ones that update is made of: Momentum's velocity v
(Nesterov's direction g + μv too); AdaGrad's sum of g² and RMSProp's running average of g², s, with the
denominator √s + ε; Adam's m, v, m̂, v̂ and √v̂ + ε.
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
        w1, b1 = trainer.parameter_tensors()
        after = [*w1.reshape(-1).tolist(), float(b1)]
        grad = [*grads[0].reshape(-1).tolist(), float(grads[1])]
        # the penalties' terms with the trainer's own operations (Trainer._penalize), in its dtype
        zero = torch.zeros_like(w0)
        l2_t = tc.l2 * w0 if tc.l2 else zero
        l1_t = tc.l1 * w0.sign() if tc.l1 else zero
        gw = grads[0] + l2_t if tc.l2 else grads[0]
        gw = gw + l1_t if tc.l1 else gw
        l2 = [*l2_t.reshape(-1).tolist(), 0.0]
        l1 = [*l1_t.reshape(-1).tolist(), 0.0]
        took = torch.cat([gw, grads[1].reshape(1, 1)])  # (d + 1, 1): the gradient the rule took, [w; b]
        lr_t = torch.tensor(lr, dtype=w0.dtype, device=w0.device)
        terms, update = rule_terms(trainer.rule, tc.optimizer, took, lr_t)
        terms = {key: t.reshape(-1).tolist() for key, t in terms.items()}
        update = update.reshape(-1).tolist()
        shown = min(rows, len(y))
        table = [{"x": x[i].tolist(), "y": float(y[i]), "y_hat": float(y_hat[i]), "residual": float(residual[i]),
                  "dloss_dyhat": float(g[i])} for i in range(shown)]
    names = parameter_names(trainer.experiment.dataset.feature_names)
    params = [{"name": names[k], "before": before[k], "grad": grad[k], "l1_term": l1[k], "l2_term": l2[k],
               "terms": {key: values[k] for key, values in terms.items()}, "update": update[k],
               "after": after[k], "delta": after[k] - before[k]}
              for k in range(len(before))]
    record = {"step": step + 1, "epoch": epoch, "batch": batch + 1, "batch_rows": len(y), "rows_shown": shown,
              "units": "standardized" if trainer.split.standardized else "data", "loss": loss, "lr": lr,
              "optimizer": tc.optimizer, "loss_name": tc.loss, "residual_is": "y_hat - y", "rows": table,
              "parameters": params}
    if tc.optimizer == "adam":
        record["t"] = trainer.rule.t
    return record


def rule_terms(rule, name: str, g: torch.Tensor, lr: torch.Tensor) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The rule's terms and what it subtracted, from its state after the step and the gradient it took (g and
    every result: (d + 1, 1), [w; b]). optim.py's operations in its order on the same tensors, so the update is
    the one the rule subtracted, bit for bit; its state is only read."""
    if name == "sgd":
        return {}, g * lr  # SGD: p − g·lr
    if name in ("momentum", "nesterov"):
        v = _stacked(rule.v)
        if not rule.nesterov:
            return {"v": v}, v * lr  # p − v·lr
        direction = g + v * rule.mu
        return {"v": v, "direction": direction}, direction * lr  # p − (g + μv)·lr
    if name in ("adagrad", "rmsprop"):
        s = _stacked(rule.s)
        denominator = s.sqrt() + rule.eps
        return {"s": s, "denominator": denominator}, lr * g / denominator  # p − lr·g / (√s + ε)
    m, v = _stacked(rule.m), _stacked(rule.v)
    c1, c2 = 1 - rule.b1**rule.t, 1 - rule.b2**rule.t  # Adam's bias corrections
    m_hat, v_hat = m / c1, v / c2
    denominator = v_hat.sqrt() + rule.eps
    return ({"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "denominator": denominator},
            lr * m_hat / denominator)  # p − lr·m̂ / (√v̂ + ε)


def _stacked(state: list[torch.Tensor]) -> torch.Tensor:
    """A rule's state as one (d + 1, 1) tensor: the step runs a rule on [w; b] stacked (step.py)."""
    return state[0] if len(state) == 1 else torch.cat([state[0], state[1].reshape(1, 1)])
