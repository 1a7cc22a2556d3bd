"""The experiment's settings: frozen dataclasses validated on construction, and the one table of fields
(name, label, range, help) from which the CLI, the app's form and config files are all built.

Text from any source goes through `Config.from_options({name: text})`; values set in code go through the
same checks in `__post_init__`, so both refuse the same things with the same messages.
"""
from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping

from .errors import ConfigError
from .parse import parse_bool, parse_int, parse_names, parse_number, parse_numbers

LOSSES = ("mae", "mse", "huber")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
SCHEDULES = ("constant", "step", "exponential", "inverse", "cosine")
MAX_FEATURES = 1000
SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class Field:
    """One setting: how it is written, shown, parsed and bounded."""

    name: str  # dataclass attribute and CLI flag (--batch-size for batch_size)
    label: str  # what a person calls it, used in every message
    help: str
    kind: str  # number | int | numbers | names | choice | bool | text
    lo: float | None = None  # inclusive lower bound unless lo_open
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False  # None (empty text) allowed

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, text: object) -> Any:
        """Text (or a TOML value) -> checked value; ValueError with the reason, without the field name."""
        if isinstance(text, bool) and self.kind != "bool":
            raise ValueError(f"expected {self.expected()}, got {text!r}")
        if isinstance(text, (list, tuple)) and self.kind in ("numbers", "names"):
            text = ",".join(str(t) for t in text)
        s = "" if text is None else str(text)
        if self.optional and not s.strip():
            return None
        parsers: dict[str, Callable[[str], Any]] = {
            "number": parse_number, "int": parse_int, "bool": parse_bool, "names": parse_names,
            "numbers": lambda t: parse_numbers(t, MAX_FEATURES),
            "choice": self._parse_choice, "text": lambda t: t.strip(),
        }
        try:
            value = parsers[self.kind](s)
        except ValueError as e:
            if self.kind in ("number", "int"):  # say the range too, not only the syntax
                raise ValueError(f"expected {self.expected()}; {e}") from None
            raise
        return self.check(value)

    def _parse_choice(self, text: str) -> str:
        s = text.strip().lower()
        if s not in self.choices:
            raise ValueError(f"expected one of {', '.join(self.choices)}, got {text.strip()!r}")
        return s

    def check(self, value: Any) -> Any:
        """Range and type checks on an already typed value."""
        if value is None and self.optional:
            return None
        if self.kind in ("number", "int"):
            if self.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"expected a whole number, got {value!r}")
            if self.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"expected a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"expected {self.expected()}, got {value!r}")
            low_bad = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
            if low_bad or (self.hi is not None and value > self.hi):
                raise ValueError(f"expected {self.expected()}, got {format_number(value)}")
            return float(value) if self.kind == "number" else value
        if self.kind == "numbers":
            value = tuple(float(v) for v in value)
            if not value or len(value) > MAX_FEATURES:
                raise ValueError(f"expected 1 to {MAX_FEATURES} comma-separated numbers such as 8.1,2,2,4")
            for v in value:
                if not math.isfinite(v) or abs(v) > self.hi:
                    bound = format_number(self.hi)
                    raise ValueError(f"each value must be between -{bound} and {bound}, got {format_number(v)}")
            return value
        if self.kind == "choice" and value not in self.choices:
            raise ValueError(f"expected one of {', '.join(self.choices)}, got {value!r}")
        return value

    def expected(self) -> str:
        what = {"int": "a whole number", "number": "a number"}.get(self.kind, self.kind)
        if self.lo is not None and self.hi is not None:
            low = f"greater than {format_number(self.lo)}" if self.lo_open else f"from {format_number(self.lo)}"
            return f"{what} {low} {'up ' if self.lo_open else ''}to {format_number(self.hi)}"
        if self.lo is not None:
            return f"{what} {'>' if self.lo_open else '≥'} {format_number(self.lo)}"
        if self.hi is not None:
            return f"{what} ≤ {format_number(self.hi)}"
        return what

    def format(self, value: Any) -> str:
        """Value -> the text a person would type for it (inverse of parse)."""
        if value is None:
            return ""
        if self.kind == "numbers":
            return ",".join(format_number(v) for v in value)
        if self.kind == "names":
            return ",".join(value)
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "number":
            return format_number(value)
        return str(value)


def format_number(x: float) -> str:
    """Shortest text that reads back as the same number: 8.1 not 8.100000381."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return repr(float(x))


def _fields(*items: Field) -> dict[str, Field]:
    return {f.name: f for f in items}


FIELDS: dict[str, Field] = _fields(
    # data
    Field("weights", "true weights", "true weights w of y = X·w + b + noise, comma-separated", "numbers", hi=1e6),
    Field("bias", "true bias", "true bias b", "number", lo=-1e6, hi=1e6),
    Field("samples", "samples", "number of synthetic samples", "int", lo=2, hi=100_000_000),
    Field("noise", "noise", "standard deviation of the label noise", "number", lo=0, hi=1e6),
    Field("csv", "CSV file", "read data from this CSV file (header row) instead of making it", "text", optional=True),
    Field("target", "target column", "CSV column to predict (default: the last)", "text", optional=True),
    Field("features", "feature columns", "CSV columns to use, comma-separated (default: all others)", "names", optional=True),
    Field("standardize", "standardize", "scale features to mean 0, sd 1 (weights still reported in data units)", "bool"),
    Field("standardize_target", "standardize target",
          "train on the target scaled to mean 0, sd 1 (losses logged in those units; results in data units)", "bool"),
    Field("test_fraction", "test fraction", "share of samples held out for testing", "number", lo=0, hi=0.9),
    # training
    Field("batch_size", "batch size", "samples per mini-batch", "int", lo=1, hi=10_000_000),
    Field("lr", "learning rate", "step size of each update", "number", lo=0, hi=1000, lo_open=True),
    Field("epochs", "epochs", "passes over the training data", "int", lo=1, hi=1_000_000),
    Field("loss", "loss", "mae (the tutorial's), mse or huber", "choice", choices=LOSSES),
    Field("optimizer", "optimizer", "update rule", "choice", choices=OPTIMIZERS),
    Field("schedule", "schedule", "learning-rate schedule over epochs", "choice", choices=SCHEDULES),
    Field("l1", "L1 penalty", "strength of l1·Σ|w|", "number", lo=0, hi=1000),
    Field("l2", "L2 penalty", "strength of (l2/2)·Σw² (torch's weight decay)", "number", lo=0, hi=1000),
    Field("patience", "patience", "stop after this many epochs without improvement (0: never)", "int", lo=0, hi=1_000_000),
    Field("tolerance", "tolerance", "smallest loss decrease that counts as improvement", "number", lo=0, hi=1e9),
    Field("grads", "gradients", "analytic (fast) or autograd", "choice", choices=("analytic", "autograd")),
    Field("shuffle", "shuffle", "python (the tutorial's, exact), torch (fast), auto (python up to 100k samples) "
          "or replace (each batch drawn with replacement: the case `linreg theory` predicts exactly)",
          "choice", choices=("auto", "python", "torch", "replace")),
    # run
    Field("seed", "seed", "drives the data, the initial parameters and the shuffles", "int", lo=0, hi=SEED_MAX),
    Field("dtype", "dtype", "float32 (the tutorial's) or float64", "choice", choices=("float32", "float64")),
    Field("device", "device", "auto picks cuda when available", "choice", choices=("auto", "cpu", "cuda")),
    Field("init_params", "initial parameters",
          "start from saved parameters: a JSON file (--save-params, a run's params.json) or a torch state dict",
          "text", optional=True),
)
LABELS = {name: f"{f.label} ({f.flag})" for name, f in FIELDS.items()}
# What a race's lanes (and a sweep's lists) may differ in: every training setting; the data, seed and
# shuffles are shared (race.py).
MAX_LANES = 16  # a race in the app: what a chart and a table show legibly (linreg sweep: SWEEP_MAX_LANES)
# headless (linreg sweep). Here, not in race.py, so a sweep's lists are counted (and refused) before torch is
# imported, and a signal during that import ends the wait on it (tui/sweep.py)
SWEEP_MAX_LANES = 256
LANE_FIELDS = ("lr", "optimizer", "loss", "batch_size", "schedule", "l1", "l2", "epochs", "patience",
               "tolerance", "standardize", "standardize_target", "init_params", "dtype")


def _validate(obj: Any) -> None:
    """Run each dataclass field through its Field.check; collect every refusal."""
    errors = {}
    for f in fields(obj):
        spec = FIELDS.get(f.name)
        if spec is None:
            continue
        try:
            object.__setattr__(obj, f.name, spec.check(getattr(obj, f.name)))
        except ValueError as e:
            errors[f.name] = str(e)
    if errors:
        raise ConfigError(errors, LABELS)


@dataclass(frozen=True)
class DataConfig:
    """Where the samples come from and how they are prepared."""

    weights: tuple[float, ...] = (8.1, 2.0, 2.0, 4.0)  # true w; its length is the feature count
    bias: float = 1.1  # true b
    samples: int = 500  # rows of synthetic X
    noise: float = 0.01  # sd of the label noise N(0, noise)
    csv: str | None = None  # a CSV file replaces the synthetic data
    target: str | None = None  # CSV target column; None: the last column
    features: tuple[str, ...] | None = None  # CSV feature columns; None: all but the target
    standardize: bool = False  # train on (x - mean) / sd; report weights in data units
    standardize_target: bool = False  # train on (y - mean) / sd; report parameters and metrics in data units
    test_fraction: float = 0.0  # held-out share, 0 for none

    def __post_init__(self) -> None:
        _validate(self)
        errors = {}
        if self.csv is None and self.target is not None:
            errors["target"] = "only applies with a CSV file (--csv)"
        if self.csv is None and self.features is not None:
            errors["features"] = "only applies with a CSV file (--csv)"
        if errors:
            raise ConfigError(errors, LABELS)


@dataclass(frozen=True)
class TrainConfig:
    """How the model is fitted."""

    batch_size: int = 16  # larger than the data: clamped to it, with a notice
    lr: float = 0.03
    epochs: int = 50
    loss: str = "mae"
    optimizer: str = "sgd"
    schedule: str = "constant"
    l1: float = 0.0
    l2: float = 0.0
    patience: int = 0  # 0: no early stopping
    tolerance: float = 0.0
    grads: str = "analytic"
    shuffle: str = "auto"

    def __post_init__(self) -> None:
        _validate(self)


@dataclass(frozen=True)
class Config:
    """A whole experiment. One seed drives every random draw."""

    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0
    dtype: str = "float32"
    device: str = "auto"
    init_params: str | None = None  # a parameter file to start from instead of the seed's draw

    def __post_init__(self) -> None:
        _validate(self)
        if self.data.csv is None:
            check_memory(self.data.samples, len(self.data.weights), self.dtype)

    @classmethod
    def from_options(cls, options: Mapping[str, object], base: "Config | None" = None) -> "Config":
        """Build from {field name: text}; fields not given keep `base`'s values (default: the tutorial's).
        Raises ConfigError naming every refused field."""
        base = base or cls()
        unknown = [k for k in options if k not in FIELDS]
        if unknown:
            raise ConfigError({k: "is not a setting linreg knows" for k in unknown})
        values, errors = {}, {}
        for name, text in options.items():
            try:
                values[name] = FIELDS[name].parse(text)
            except ValueError as e:
                errors[name] = str(e)
        if errors:
            raise ConfigError(errors, LABELS)
        return base.replace(**values)

    def replace(self, **values: Any) -> "Config":
        """A copy with some fields changed, whichever group they belong to."""
        data = {k: v for k, v in values.items() if k in DATA_NAMES}
        train = {k: v for k, v in values.items() if k in TRAIN_NAMES}
        top = {k: v for k, v in values.items() if k not in DATA_NAMES and k not in TRAIN_NAMES}
        return replace(self, data=replace(self.data, **data), train=replace(self.train, **train), **top)

    def to_options(self) -> dict[str, str]:
        """{field name: text} that from_options reads back to an equal Config."""
        return {name: FIELDS[name].format(self.get(name)) for name in FIELDS}

    def to_values(self) -> dict[str, Any]:
        """{field name: value} as JSON holds it (numbers as numbers, lists as lists), only the fields that
        apply: a CSV experiment has no synthetic weights, bias, samples or noise; unset ones are left out."""
        synthetic_only = ("weights", "bias", "samples", "noise")
        out = {}
        for name in FIELDS:
            value = self.get(name)
            if value is None or (self.data.csv is not None and name in synthetic_only):
                continue
            out[name] = list(value) if isinstance(value, tuple) else value
        return out

    def get(self, name: str) -> Any:
        if name in DATA_NAMES:
            return getattr(self.data, name)
        if name in TRAIN_NAMES:
            return getattr(self.train, name)
        return getattr(self, name)


DATA_NAMES = {f.name for f in fields(DataConfig)}
TRAIN_NAMES = {f.name for f in fields(TrainConfig)}


def memory_limit_bytes() -> int:
    """What one experiment may take: half the machine's memory, or less where this process may use less:
    the headroom under its address-space and data limits (ulimit -v, ulimit -d: torch alone maps a GiB or
    two of address space) and under its cgroup's limit (a container's, a systemd slice's)."""
    try:
        limits = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2]
    except (ValueError, OSError, AttributeError):
        limits = [8 * 2**30]
    limits += _rlimit_headroom() + _cgroup_headroom()
    return max(0, min(limits))


TORCH_ADDRESS_SPACE = 2**30  # what importing torch (CPU) adds to a process's address space: 0.6 GiB measured
UNLIMITED = 2**60  # limits at or above this are "none" (cgroup v1 writes 2^63 rounded to a page)


def _rlimit_headroom() -> list[int]:
    try:
        import resource
    except ImportError:  # not on Windows
        return []
    used = _proc_bytes()
    if "torch" not in sys.modules:  # checked before torch loads: leave room for the address space it maps
        used = {k: v + TORCH_ADDRESS_SPACE for k, v in used.items()}
    out = []
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        soft, _ = resource.getrlimit(getattr(resource, name))
        if soft != resource.RLIM_INFINITY and soft < UNLIMITED:
            headroom = soft - used.get(name, 0)
            # the address space runs above the resident peak the estimate measures (allocators reserve):
            # under ulimit -v 9000000, 25M × 4 trains and 30M × 4 fails, where 3/4 of the room says 22M
            out.append(headroom * 3 // 4 if name == "RLIMIT_AS" else headroom)
    return out


def _proc_bytes() -> dict[str, int]:
    """This process's address space (VmSize) and data segment (VmData) now, from /proc (Linux)."""
    fields_ = {"VmSize:": "RLIMIT_AS", "VmData:": "RLIMIT_DATA"}
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                parts = line.split()  # "VmSize:\t  14004 kB"
                if parts and parts[0] in fields_:
                    out[fields_[parts[0]]] = int(parts[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def _cgroup_headroom() -> list[int]:
    """The cgroup's memory limit less what it uses now (v2: memory.max; v1: memory.limit_in_bytes)."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f:
                text = f.read().strip()
            if text == "max" or int(text) >= UNLIMITED:
                return []
            with open(usage_file) as f:
                return [int(text) - int(f.read().strip())]
        except (OSError, ValueError):
            continue
    return []


# Peak bytes per cell (samples × (features + 1)) of an experiment, measured with benchmarks/memory_peak.py
# at 1M × 16 (data built, one epoch, the summary's least squares, its loss's optimum and metrics; above a
# tiny experiment's peak). Since the optimum of the loss in use (optimum.py: a float64 copy of the design
# for MAE's reweighting) the peaks are: synthetic float32 46, float64 43, float32 standardized with a test
# split 47; CSV float32 46, float64 50. The estimate takes 56 for all: above every measured peak.
PEAK_BYTES_PER_CELL = 56


def estimate_bytes(samples: int, features: int, dtype: str, from_csv: bool = False) -> int:
    """The memory an experiment of this size takes at its peak, from measured peaks (see above). dtype and
    from_csv are kept for when they differ enough to matter; today one figure covers them all."""
    return samples * (features + 1) * PEAK_BYTES_PER_CELL


def check_memory(samples: int, features: int, dtype: str, from_csv: bool = False) -> None:
    """Refuse before allocating when the measured-peak estimate exceeds the memory available."""
    need = estimate_bytes(samples, features, dtype, from_csv)
    limit = memory_limit_bytes()
    if need > limit:
        if limit <= 0:  # ulimit -v 900000: the limit is spent before any data (torch alone maps about a GiB)
            raise ConfigError({"samples": "the memory limit (ulimit -v / ulimit -d, or the container's) leaves no "
                                          "room for any experiment once torch is loaded (it maps about a GiB of "
                                          "address space); raise the limit"}, LABELS)
        fit = limit * samples // need
        shown = f"{need / 2**30:.1f} GiB" if need >= 2**30 else f"{need / 2**20:.0f} MiB"
        columns = f"{features} feature{'s' if features != 1 else ''}"
        raise ConfigError({"samples": f"{samples:,} samples × {columns} need about {shown} of memory; "
                                      f"at most about {fit:,} fit here"}, LABELS)
