"""Pure numpy ops, float64, each forward beside its backward.

Convention: ``y, cache = xxx_forward(arrays..., options...)`` and
``grads = xxx_backward(dy, cache)``, where ``grads`` is always a tuple holding the gradient
of each array argument of the forward, in order (``dx, dw, db = conv2d_backward(...)``;
``(dx,) = relu_backward(...)``).  A gradient is None for an optional array that was not given
(a missing bias).  Losses return a float and differentiate only their first argument:
``(dz,) = cross_entropy_logits_backward(1.0, cache)``.  Caches are small tuples; no op keeps
global state.  Layouts follow PyTorch: (N, C, H, W) for conv, pools and batchnorm2d.
"""

import importlib

# Every op by the module that holds it. Loaded on first use (PEP 562), so a solver that
# needs only linear and softmax does not pay for importing conv, pooling and the RNN.
_HOME = {
    "activations": ("log_softmax", "relu_backward", "relu_forward", "sigmoid",
                    "sigmoid_backward", "sigmoid_forward", "softmax", "softmax_backward",
                    "softmax_forward", "tanh_backward", "tanh_forward"),
    "batchnorm": ("batchnorm1d_backward", "batchnorm1d_forward", "batchnorm2d_backward",
                  "batchnorm2d_forward"),
    "conv": ("conv2d_backward", "conv2d_forward", "conv2d_output_size"),
    "linear": ("flatten_backward", "flatten_forward", "linear_backward", "linear_forward"),
    "losses": ("cross_entropy_backward", "cross_entropy_forward",
               "cross_entropy_logits_backward", "cross_entropy_logits_forward",
               "mse_backward", "mse_forward"),
    "pool": ("avgpool2d_backward", "avgpool2d_forward", "maxpool2d_backward",
             "maxpool2d_forward", "pool_output_size"),
    "rnn": ("rnn_backward", "rnn_forward", "rnn_step_jacobians"),
}
_WHERE = {name: module for module, names in _HOME.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _HOME:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE) | set(_HOME))
