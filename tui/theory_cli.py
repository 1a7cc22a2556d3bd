"""`linreg theory [options]`: the configured run's theory as a table or one JSON object, and the `theory` key
of `linreg train --json` (linreg_core/analysis/theory.py computes it)."""
from __future__ import annotations

import math
import sys

from linreg_core.settings.errors import LinregError
from tui.options import EXIT_OK, build_parser, fail, parse_config, refusal
from tui.text import num

EXIT_PIPE = 141


def theory_record(trainer) -> dict:
    """train --json's `theory`, shaped as `linreg theory --json`'s: {"applies": true, …} without the per-step
    curves, or {"applies": false, "reason": …}."""
    from linreg_core.analysis.theory import NotApplicable, theory

    got = theory(trainer.config, trainer.experiment)
    if isinstance(got, NotApplicable):
        return {"applies": False, "reason": got.reason}
    return {"applies": True, **got.as_dict(steps=False)}


THEORY_PROG = "linreg theory"


def theory_main(argv: list[str]) -> int:
    """`linreg theory [options]`: the table (or --json, one object) of the configured run's theory."""
    args = build_parser(THEORY_PROG, headless=True, theory=True).parse_args(argv)
    try:
        config = parse_config(args)
        if not 1 <= args.epochs_shown <= 1_000_000:
            from linreg_core.settings.errors import ConfigError
            raise ConfigError({"--epochs-shown": f"expected a whole number from 1 to 1000000, got {args.epochs_shown}"})
        from linreg_core.analysis.theory import NotApplicable, theory
        from linreg_core.storage.export import dumps
        got = theory(config)
    except LinregError as e:
        return fail(THEORY_PROG, refusal(e))
    if isinstance(got, NotApplicable):
        text = (dumps({"applies": False, "reason": got.reason}) if args.json
                else f"no theory for this run: {got.reason}")
    else:
        text = dumps({"applies": True, **got.as_dict()}) if args.json else theory_text(got, args.epochs_shown)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        return EXIT_PIPE
    return EXIT_OK


def theory_text(th, shown: int = 6) -> str:
    """The theory as a few plain lines: the spectrum by direction, the rates, the predicted curve."""
    sp, dr, p = th.spectrum, th.directions, th.prediction
    names = [*(f"w[{n}]" for n in th.feature_names), "b"]
    lines = [f"curvature of the training loss (MSE{', L2 ' + num(th.l2) if th.l2 else ''}, training units): "
             f"{len(sp.eigenvalues)} directions, condition number {num(sp.condition)}",
             f"  {'eigenvalue':>12}  {'rate/step':>10}  {'epochs to 1/1000':>16}  {'error now':>10}  mostly"]
    for lam, u, rate, epochs, e0 in zip(sp.eigenvalues, sp.eigenvectors, dr.rate, dr.epochs_to_shrink,
                                        dr.initial_error):
        top = max(range(len(u)), key=lambda i: abs(u[i]))
        lines.append(f"  {num(lam):>12}  {num(rate):>10}  {num(epochs, 1) if epochs != float('inf') else 'never':>16}"
                     f"  {num(e0):>10}  {names[top]} ({u[top]:+.2f})")
    low = "λn" if math.isfinite(sp.condition) else "the smallest λ above 0"  # flat directions never move
    lines += [f"learning rates: best 2/(λ1+{low}) = {num(sp.best_lr)}; stable for full-batch gd 2/λ1 = "
              f"{num(sp.stable_lr)}, heavy ball 2(1+β)/λ1 = {num(sp.stable_lr_momentum)}",
              f"lr {num(th.lr)} ({th.optimizer}) is {num(th.lr / th.stable_lr, 3)}× its stable rate "
              f"{num(th.stable_lr)}: {th.lr_position}"]
    if p is None:
        return "\n".join(lines + [f"no prediction: {th.prediction_reason}"])
    lines.append(f"predicted epoch losses (the log's loss = mean × {p.steps_per_epoch} batches), {p.kind}:")
    count = len(p.epoch_mean)
    picks = sorted({min(count - 1, round(i * (count - 1) / max(1, shown - 1))) for i in range(shown)}) if count else []
    for e in picks:
        sd = f" ± {num(p.epoch_sd[e])}" if p.epoch_sd is not None else ""
        lines.append(f"  epoch {e:03d}: mean batch loss {num(p.epoch_mean[e])}{sd}  "
                     f"(log: {p.epoch_mean[e] * p.steps_per_epoch:f})")
    if p.diverges_at_step is not None:
        lines.append(f"  the expected loss passes the divergence limit at step {p.diverges_at_step}")
    floor = num(p.floor) if p.floor is not None else "none (the run does not settle)"
    lines += [f"noise floor: {floor}; loss at the optimum {num(p.optimum_loss)}", f"note: {p.note}"]
    return "\n".join(lines)
