"""Independent label checks for the students' corpus (tests/corpus/students/answers.yaml).

Nothing here asks hwcheck's grader, formula reader or solvers for an answer. Each entry of
the corpus carries a hand-written translation (`numpy:`, or the name of a shared one in
`meanings:`) that this module evaluates with plain Python over 0-based numpy arrays, one
element at a time, with explicit loops. That value is compared with a key computed by an
oracle:

- ``torch``: PyTorch autograd (F.conv2d → sigmoid → avg_pool2d for p1, log_softmax cross
  entropy for p4, the RNN step and ``autograd.functional.jacobian`` for p6, one
  ``torch.optim.SGD`` step for p5, ``nn.Sequential`` parameter count for p3);
- ``fd``: numpy only — a forward pass written here and central finite differences (and a
  hand count for p3). It runs where torch is absent.

The only thing taken from hwcheck is the *given* values of the seed instance, read from
``hwcheck solve PID --format json`` (the contract says `given` is there so that anyone can
check a key independently). Each formula is also checked on random instances built here,
with other sizes (p1: n=3, m=2, k=2 and n=1, m=4, k=4).

Rules:
- a formula translation is correct iff it equals the key within 1e-6 relative (to the
  key's largest entry) on every instance; an index outside an array is an error, never a
  wrap-around, and makes the entry wrong;
- a number is correct iff every entry is within half a unit of the third significant
  digit of the key's largest entry (3 significant digits at the scale of the matrix, so
  [[0.9914, -0.0086], [0, -1]] is correct for p5), and p3's count must be exact.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus" / "students" / "answers.yaml"

REL = 1e-6          # formula translations: equal within this, relative to the key's scale
SIGFIGS = 3         # numbers: correctly rounded to 3 significant digits at the matrix's scale
FORMS = ("ascii", "latex", "unicode", "plain", "number")
LABELS = ("correct", "wrong")

# Part → (index names, symbols a translation may use).
PARTS = {
    ("p1", "dL/dS"): ("d", "e"),
    ("p1", "dL/dC"): ("d", "e"),
    ("p1", "dL/dK"): ("u", "v"),
    ("p4", "dE/dz"): ("x",),
    ("p6", "jacobian"): ("a", "b"),
}
NUMERIC = {("p3", "params"), ("p5", "W"), ("p5", "B")}


# ---------------------------------------------------------------------------------------
# The corpus

@lru_cache(maxsize=1)
def load() -> dict:
    with open(CORPUS, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def entries() -> list[dict]:
    return load()["entries"]


def translation(entry: dict) -> str:
    """The entry's hand translation: inline, or the name of a shared meaning."""
    text = str(entry["numpy"])
    table = load().get("meanings", {}).get(f"{entry['problem']}/{entry['part']}", {})
    return table.get(text, text)


def entry_id(entry: dict) -> str:
    return f"{entry['problem']}.{entry['part']}#{entry['n']}"


# ---------------------------------------------------------------------------------------
# Arrays that refuse to wrap around

class Strict:
    """A read-only 0-based array: an index outside it raises IndexError (no wrap-around)."""

    def __init__(self, arr) -> None:
        self.a = np.asarray(arr, dtype=float)
        self.shape = self.a.shape

    def __getitem__(self, idx):
        idx = idx if isinstance(idx, tuple) else (idx,)
        if len(idx) != self.a.ndim:
            raise IndexError(f"{len(idx)} indices for a {self.a.ndim}-d array")
        for i, n in zip(idx, self.a.shape):
            if isinstance(i, float) and i.is_integer():
                i = int(i)
            if not isinstance(i, (int, np.integer)) or not 0 <= i < n:
                raise IndexError(f"index {i} outside 0..{n - 1}")
        return float(self.a[tuple(int(i) for i in idx)])

    def __len__(self):
        return self.a.shape[0]


def _sig(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


BUILTINS = {"sum": sum, "range": range, "min": min, "max": max, "abs": abs, "len": len,
            "math": math, "exp": math.exp, "log": math.log, "sig": _sig,
            "ceil": math.ceil, "floor": math.floor}


def evaluate_formula(expr: str, inst: dict, part: tuple) -> np.ndarray | None:
    """The translation, element by element over the part's index grid (0-based).
    None when it reads outside an array (or fails in any other way)."""
    names = PARTS[part]
    shape = inst["shapes"][part]
    env = {k: (Strict(v) if isinstance(v, np.ndarray) else v) for k, v in inst["symbols"].items()}
    code = compile(expr, "<translation>", "eval")
    out = np.empty(shape)
    scope = {"__builtins__": BUILTINS, **env}   # globals, so generator expressions see them
    try:
        for idx in np.ndindex(*shape):
            scope.update(zip(names, (int(i) for i in idx)))
            out[idx] = float(eval(code, scope))  # noqa: S307 (our own text, never a student's)
    except (IndexError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return out


def formula_agrees(value, key) -> bool:
    if value is None:
        return False
    key = np.asarray(key, dtype=float)
    if np.shape(value) != key.shape:
        return False
    scale = float(np.max(np.abs(key))) or 1.0
    return bool(np.all(np.abs(value - key) <= REL * scale))


def evaluate_number(text) -> np.ndarray:
    """A numeric translation: a Python literal or arithmetic (with e, exp, sqrt)."""
    env = {"e": math.e, "exp": math.exp, "sqrt": math.sqrt}
    return np.asarray(eval(str(text), {"__builtins__": {}}, env), dtype=float)  # noqa: S307


def number_agrees(value, key, exact: bool = False) -> bool:
    value, key = np.asarray(value, dtype=float), np.asarray(key, dtype=float)
    if value.shape != key.shape:
        squeezed = tuple(d for d in value.shape if d != 1)
        if value.size != key.size or squeezed != tuple(d for d in key.shape if d != 1):
            return False        # a transposed matrix is not "the same numbers"
        value = value.reshape(key.shape)
    if exact:
        return bool(np.array_equal(value, key))
    scale = float(np.max(np.abs(key)))
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(scale)) - (SIGFIGS - 1))
    return bool(np.all(np.abs(value - key) <= half_unit * (1 + 1e-9)))


# ---------------------------------------------------------------------------------------
# Given values of the seed instances (the only thing read from hwcheck)

@lru_cache(maxsize=None)
def given(problem: str) -> dict:
    from tests.support.runners import run
    res = run("solve", problem, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["given"]


# ---------------------------------------------------------------------------------------
# Forward passes in numpy (for finite differences) and in torch

def _p1_forward_np(X, K, g):
    k = K.shape[0]
    H, W = X.shape[0] - k + 1, X.shape[1] - k + 1
    C = np.zeros((H, W))
    for i in range(H):
        for j in range(W):
            C[i, j] = np.sum(X[i:i + k, j:j + k] * K)
    S = 1.0 / (1.0 + np.exp(-C))
    return C, S


def _p1_loss_from_S(S, g):
    P = 0.25 * (S[0::2, 0::2] + S[1::2, 0::2] + S[0::2, 1::2] + S[1::2, 1::2])
    return float(np.sum(g * P))


def _fd(f, x0, h=1e-5):
    x0 = np.asarray(x0, dtype=float)
    out = np.zeros(x0.shape)
    for idx in np.ndindex(*x0.shape):
        up, dn = x0.copy(), x0.copy()
        up[idx] += h
        dn[idx] -= h
        out[idx] = (f(up) - f(dn)) / (2 * h)
    return out


def p1_keys(X, K, g, oracle: str) -> dict:
    X, K, g = (np.asarray(a, dtype=float) for a in (X, K, g))
    if oracle == "torch":
        import torch
        import torch.nn.functional as F
        Xt = torch.tensor(X)[None, None]
        Kt = torch.tensor(K, requires_grad=True)
        C = F.conv2d(Xt, Kt[None, None])
        C.retain_grad()
        S = torch.sigmoid(C)
        S.retain_grad()
        P = F.avg_pool2d(S, 2)
        P.backward(torch.tensor(g)[None, None])
        C_np, S_np = C.detach()[0, 0].numpy(), S.detach()[0, 0].numpy()
        keys = {"dL/dS": S.grad[0, 0].numpy(), "dL/dC": C.grad[0, 0].numpy(),
                "dL/dK": Kt.grad.numpy()}
    else:
        C_np, S_np = _p1_forward_np(X, K, g)
        keys = {
            "dL/dS": _fd(lambda S: _p1_loss_from_S(S, g), S_np),
            "dL/dC": _fd(lambda C: _p1_loss_from_S(1 / (1 + np.exp(-C)), g), C_np),
            "dL/dK": _fd(lambda Kv: _p1_loss_from_S(_p1_forward_np(X, Kv, g)[1], g), K),
        }
    n, m, k = g.shape[0], g.shape[1], K.shape[0]
    return {"symbols": {"x": X, "K": K, "g": g, "c": C_np, "s": S_np, "n": n, "m": m, "k": k},
            "keys": {("p1", p): np.asarray(v, dtype=float) for p, v in keys.items()},
            "shapes": {("p1", "dL/dS"): (2 * n, 2 * m), ("p1", "dL/dC"): (2 * n, 2 * m),
                       ("p1", "dL/dK"): (k, k)}}


def _xent_np(z, p):
    z = z - np.max(z)
    return float(-np.sum(p * (z - np.log(np.sum(np.exp(z))))))


def p4_keys(z, p, oracle: str) -> dict:
    z, p = np.asarray(z, dtype=float), np.asarray(p, dtype=float)
    if oracle == "torch":
        import torch
        zt = torch.tensor(z, requires_grad=True)
        E = -(torch.tensor(p) * torch.log_softmax(zt, 0)).sum()
        E.backward()
        key = zt.grad.numpy()
        q = torch.softmax(torch.tensor(z), 0).numpy()
    else:
        key = _fd(lambda v: _xent_np(v, p), z)
        q = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    return {"symbols": {"q": q, "p": p, "z": z, "N": len(z)},
            "keys": {("p4", "dE/dz"): np.asarray(key, dtype=float)},
            "shapes": {("p4", "dE/dz"): (len(z),)}}


def p6_keys(Wh, Wi, x, h0, oracle: str) -> dict:
    Wh, Wi, x, h0 = (np.asarray(a, dtype=float) for a in (Wh, Wi, x, h0))
    h = h0
    for t in range(x.shape[0] - 1):
        h = 1 / (1 + np.exp(-(Wi @ x[t] + Wh @ h)))
    h_prev = h

    def step_np(hp):
        return 1 / (1 + np.exp(-(Wi @ x[-1] + Wh @ hp)))

    if oracle == "torch":
        import torch
        T = {k: torch.tensor(v) for k, v in dict(Wh=Wh, Wi=Wi, x=x, h0=h0).items()}
        ht = T["h0"]
        for t in range(x.shape[0] - 1):
            ht = torch.sigmoid(T["Wi"] @ T["x"][t] + T["Wh"] @ ht)
        J = torch.autograd.functional.jacobian(
            lambda hp: torch.sigmoid(T["Wi"] @ T["x"][-1] + T["Wh"] @ hp), ht).numpy()
        h_T = torch.sigmoid(T["Wi"] @ T["x"][-1] + T["Wh"] @ ht).numpy()
    else:
        H = len(h0)
        J = np.stack([_fd(lambda v, a=a: step_np(v)[a], h_prev) for a in range(H)])
        h_T = step_np(h_prev)
    H = len(h0)
    return {"symbols": {"h": h_T, "Wh": Wh, "H": H},
            "keys": {("p6", "jacobian"): np.asarray(J, dtype=float)},
            "shapes": {("p6", "jacobian"): (H, H)}}


@lru_cache(maxsize=None)
def instances(problem: str, oracle: str) -> tuple:
    """The seed instance (given values from `hwcheck solve`) and random ones built here."""
    rng = np.random.default_rng(20261130)
    out = []
    if problem == "p1":
        gv = given("p1")
        out.append(p1_keys(gv["X"], gv["K"], gv["g"], oracle))
        for n, m, k in ((3, 2, 2), (1, 4, 4)):
            out.append(p1_keys(rng.normal(size=(2 * n + k - 1, 2 * m + k - 1)),
                               rng.normal(size=(k, k)), rng.normal(size=(n, m)), oracle))
    elif problem == "p4":
        gv = given("p4")
        out.append(p4_keys(gv["z"], gv["p"], oracle))
        for N in (6, 3):
            out.append(p4_keys(rng.normal(size=N), rng.dirichlet(np.ones(N)), oracle))
    elif problem == "p6":
        gv = given("p6")
        out.append(p6_keys(gv["Wh"]["vanishing"], gv["Wi"], gv["x"], gv["h0"], oracle))
        for H, D, T in ((4, 2, 5), (2, 3, 3)):
            out.append(p6_keys(rng.normal(size=(H, H)), rng.normal(size=(H, D)),
                               rng.normal(size=(T, D)), rng.uniform(size=H), oracle))
    return tuple(out)


# ---------------------------------------------------------------------------------------
# Numeric keys

P3_LAYERS = [("conv", 3, 32, 5), ("conv", 32, 48, 3), ("conv", 48, 64, 3),
             ("linear", 64 * 4 * 4, 384), ("linear", 384, 192), ("linear", 192, 10)]


def numeric_key(part: tuple, oracle: str) -> np.ndarray:
    if part == ("p3", "params"):
        if oracle == "torch":
            import torch.nn as nn
            net = nn.Sequential(
                nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 48, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(48, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(1024, 384), nn.ReLU(), nn.Linear(384, 192), nn.ReLU(),
                nn.Linear(192, 10))
            return np.asarray(sum(p.numel() for p in net.parameters()), dtype=float)
        total = 0
        for layer in P3_LAYERS:
            if layer[0] == "conv":
                _, cin, cout, k = layer
                total += (k * k * cin + 1) * cout
            else:
                _, fin, fout = layer
                total += (fin + 1) * fout
        return np.asarray(total, dtype=float)
    gv = given("p5")
    W, B, x, p, lr = (np.asarray(gv[k], dtype=float) for k in ("W", "B", "x", "p", "lr"))
    if oracle == "torch":
        import torch
        lin = torch.nn.Linear(2, 2).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W))
            lin.bias.copy_(torch.tensor(B))
        opt = torch.optim.SGD(lin.parameters(), lr=float(lr))
        z = torch.relu(lin(torch.tensor(x)))
        E = -(torch.tensor(p) * torch.log_softmax(z, 0)).sum()
        E.backward()
        opt.step()
        new = {"W": lin.weight.detach().numpy(), "B": lin.bias.detach().numpy()}
    else:
        def loss(Wv, Bv):
            z = np.maximum(Wv @ x + Bv, 0.0)
            return _xent_np(z, p)
        new = {"W": W - lr * _fd(lambda Wv: loss(Wv, B), W),
               "B": B - lr * _fd(lambda Bv: loss(W, Bv), B)}
    return np.asarray(new[part[1]], dtype=float)


# ---------------------------------------------------------------------------------------
# The verdict

def independent_label(entry: dict, oracle: str) -> str:
    """'correct' or 'wrong', decided by the translation and the oracle alone."""
    part = (entry["problem"], entry["part"])
    if part in NUMERIC:
        value = evaluate_number(translation(entry))
        ok = number_agrees(value, numeric_key(part, oracle), exact=part == ("p3", "params"))
        return "correct" if ok else "wrong"
    expr = translation(entry)
    for inst in instances(entry["problem"], oracle):
        if not formula_agrees(evaluate_formula(expr, inst, part), inst["keys"][part]):
            return "wrong"
    return "correct"
