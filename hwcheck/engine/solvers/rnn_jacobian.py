"""RNN Jacobians (p6): ∂hⱼ/∂hⱼ₋₁ = diag(hⱼ ⊙ (1 − hⱼ))·Wʰ for hₜ = σ(Wⁱxₜ + Wʰhₜ₋₁).

The gradient that flows from step t back to step t − l is multiplied by the product of l
such Jacobians; its spectral norm shrinks or grows geometrically with l.
"""

from __future__ import annotations

import numpy as np

from hwcheck.engine.ops import rnn


def product_norms(jacobians: np.ndarray) -> np.ndarray:
    """‖J_T J_{T−1} ⋯ J_{T−l+1}‖₂ for l = 1..T. jacobians: (T, H, H) → (T,)."""
    norms = np.empty(len(jacobians))
    prod = np.eye(jacobians.shape[-1])
    for lag, j in enumerate(jacobians[::-1]):  # T products of H×H: tiny, sequential by nature
        prod = prod @ j
        norms[lag] = np.linalg.norm(prod, 2)
    return norms


def solve(x: np.ndarray, h0: np.ndarray, wi: np.ndarray, settings: dict, *,
          at_setting: str, at_step: int) -> dict:
    """Run the RNN under each Wʰ setting. Shapes: x (T, D), h0 (H,), wi (H, D), Wʰ (H, H).

    Returns ``h`` = h_{at_step} and ``Wh`` of ``at_setting``, ``jacobian`` = ∂h_j/∂h_{j−1}
    there, and per setting ``hs`` (T+1, H), ``jacobians`` (T, H, H) and ``norms`` (T,).
    """
    out: dict = {"x": x, "h0": h0, "Wi": wi, "settings": {}}
    for name, wh in settings.items():
        hs, _ = rnn.rnn_forward(x, h0, wi, wh)
        jac = rnn.rnn_step_jacobians(hs, wh)
        out["settings"][name] = {"Wh": wh, "hs": hs, "jacobians": jac,
                                 "norms": product_norms(jac)}
    chosen = out["settings"][at_setting]
    out["Wh"] = chosen["Wh"]
    out["h"] = chosen["hs"][at_step]
    out["jacobian"] = chosen["jacobians"][at_step - 1]
    return out
