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
import pkgutil

# Submodules load on first use (PEP 562), so a solver that needs only linear and softmax does
# not pay for importing conv, pooling and the RNN. The list comes from the folder itself.
_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)))


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    # A bare op name (``ops.relu_forward``) is looked up in each module's own ``__all__``;
    # that loads every module, which only the tests and interactive use do.
    for module in _MODULES:
        found = importlib.import_module(f"{__name__}.{module}")
        if name in getattr(found, "__all__", ()):
            return getattr(found, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_MODULES))
