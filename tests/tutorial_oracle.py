"""The classic tutorial's training loop, written the tutorial's way: the oracle every parity test
and the engine benchmark compare against. Deliberately naive (autograd, per-batch python lists).

Its digits depend on the kernels that run it (the CPU's summation order, ATEN_CPU_CAPABILITY, or a GPU's),
so a test compares the engine with this loop run in the same process, on the device the engine trains on
(`device`: the data and the initial weights are drawn on the CPU, as the engine draws them, then moved)."""
import random

import torch


def synthetic_data(w, b, num_examples, generator=None):
    """y = Xw + b + noise. X: (n, d), y: (n, 1)."""
    X = torch.normal(0, 1, (num_examples, len(w)), generator=generator)
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape, generator=generator)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i : min(i + batch_size, num_examples)], device=features.device)
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def mae_loss(y_hat, y):
    return torch.sum(abs(y_hat - y.reshape(y_hat.shape))) / len(y)


def sgd(params, lr):
    with torch.no_grad():
        for param in params:
            param -= param.grad * lr
            param.grad.zero_()


def run_tutorial(seed, epochs=50, batch_size=16, lr=0.03, samples=500,
                 true_w=(8.1, 2, 2, 4), true_b=1.1, max_steps=None, device="cpu"):
    """Returns (logged epoch loss sums, final w list, final b) exactly as the tutorial prints them, trained
    on `device` (a torch.device or its name; the draws stay on the CPU)."""
    torch.manual_seed(seed)
    random.seed(seed)
    features, labels = synthetic_data(torch.tensor(true_w), true_b, samples)
    w = torch.normal(0, 0.01, size=(len(true_w), 1))
    features, labels = features.to(device), labels.to(device)
    w = w.to(device).requires_grad_(True)
    b = torch.tensor(0.01, device=device, requires_grad=True)
    logged, steps = [], 0
    for _epoch in range(epochs):
        total = 0.0
        for X, y in data_iter(batch_size, features, labels):
            l = mae_loss(linreg(X, w, b), y)
            l.backward()
            sgd([w, b], lr)
            total += l.item()
            steps += 1
            if max_steps is not None and steps >= max_steps:
                return logged, w.detach().reshape(-1).tolist(), b.item()
        logged.append(total)
    return logged, w.detach().reshape(-1).tolist(), b.item()
