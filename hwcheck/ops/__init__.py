"""Pure numpy ops, float64, each forward beside its backward.

Convention: ``y, cache = xxx_forward(arrays..., options...)`` and
``grads = xxx_backward(dy, cache)``, where ``grads`` is always a tuple holding the gradient
of each array argument of the forward, in order (``dx, dw, db = conv2d_backward(...)``;
``(dx,) = relu_backward(...)``).  A gradient is None for an optional array that was not given
(a missing bias).  Losses return a float and differentiate only their first argument:
``(dz,) = cross_entropy_logits_backward(1.0, cache)``.  Caches are small tuples; no op keeps
global state.  Layouts follow PyTorch: (N, C, H, W) for conv, pools and batchnorm2d.
"""

from .activations import (
    log_softmax, relu_backward, relu_forward, sigmoid, sigmoid_backward, sigmoid_forward,
    softmax, softmax_backward, softmax_forward, tanh_backward, tanh_forward,
)
from .batchnorm import (
    batchnorm1d_backward, batchnorm1d_forward, batchnorm2d_backward, batchnorm2d_forward,
)
from .conv import conv2d_backward, conv2d_forward, conv2d_output_size
from .linear import flatten_backward, flatten_forward, linear_backward, linear_forward
from .losses import (
    cross_entropy_backward, cross_entropy_forward, cross_entropy_logits_backward,
    cross_entropy_logits_forward, mse_backward, mse_forward,
)
from .pool import (
    avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward,
    pool_output_size,
)
from .rnn import rnn_backward, rnn_forward, rnn_step_jacobians

__all__ = [
    "conv2d_forward", "conv2d_backward", "conv2d_output_size",
    "maxpool2d_forward", "maxpool2d_backward", "avgpool2d_forward", "avgpool2d_backward",
    "pool_output_size",
    "relu_forward", "relu_backward", "sigmoid", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward", "softmax", "log_softmax", "softmax_forward",
    "softmax_backward",
    "cross_entropy_forward", "cross_entropy_backward",
    "cross_entropy_logits_forward", "cross_entropy_logits_backward",
    "mse_forward", "mse_backward",
    "linear_forward", "linear_backward", "flatten_forward", "flatten_backward",
    "batchnorm2d_forward", "batchnorm2d_backward", "batchnorm1d_forward", "batchnorm1d_backward",
    "rnn_forward", "rnn_backward", "rnn_step_jacobians",
]
