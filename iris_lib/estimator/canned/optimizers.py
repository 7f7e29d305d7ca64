"""Optimizers by name, as the canned Estimators take them (`.../canned/optimizers.py`).

V1 classes (`tf.compat.v1.estimator.*`) build `tf.compat.v1.train` optimizers: 'Adagrad', 'Adam', 'Ftrl',
'RMSProp', 'SGD' at the learning rate the Estimator chooses. The V2 classes built Keras 2 optimizers,
which cannot run in a v1 graph under Keras 3; `get_optimizer_instance_v2` gives v1 optimizers with the
Keras defaults instead (Adagrad: learning rate 0.001 and epsilon 1e-7 in the update; Adam: epsilon 1e-7;
RMSProp: rho 0.9, epsilon 1e-7; Ftrl as v1). The arithmetic is Keras's; the slot variables keep v1's
names (`.../kernel/Adagrad`, not Keras's `.../kernel/accumulator`), so V2 checkpoints of the real
Estimator do not restore their optimizer state here.
"""
from __future__ import annotations

import tensorflow as tf

v1 = tf.compat.v1

NAMES = ("Adagrad", "Adam", "Ftrl", "RMSProp", "SGD")
_V1 = {
    "Adagrad": v1.train.AdagradOptimizer,
    "Adam": v1.train.AdamOptimizer,
    "Ftrl": v1.train.FtrlOptimizer,
    "RMSProp": v1.train.RMSPropOptimizer,
    "SGD": v1.train.GradientDescentOptimizer,
}


class AdagradV2Optimizer(v1.train.AdagradOptimizer):
    """Keras's Adagrad (`var -= lr * g / (sqrt(accum) + epsilon)`) as a v1 optimizer."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="Adagrad"):
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value, name=name)
        self._epsilon = epsilon

    def _resource_apply_dense(self, grad, var):
        accumulator = self.get_slot(var, "accumulator")
        return tf.raw_ops.ResourceApplyAdagradV2(
            var=var.handle, accum=accumulator.handle, lr=tf.cast(self._learning_rate_tensor, grad.dtype),
            epsilon=tf.cast(self._epsilon, grad.dtype), grad=grad, use_locking=self._use_locking)

    def _resource_apply_sparse(self, grad, var, indices):
        accumulator = self.get_slot(var, "accumulator")
        return tf.raw_ops.ResourceSparseApplyAdagradV2(
            var=var.handle, accum=accumulator.handle, lr=tf.cast(self._learning_rate_tensor, grad.dtype),
            epsilon=tf.cast(self._epsilon, grad.dtype), grad=grad, indices=indices, use_locking=self._use_locking)

    def _apply_dense(self, grad, var):
        raise NotImplementedError("AdagradV2Optimizer needs resource variables (the TF2 default)")


_V2 = {
    "Adagrad": lambda lr: AdagradV2Optimizer(0.001 if lr is None else lr),
    "Adam": lambda lr: v1.train.AdamOptimizer(0.001 if lr is None else lr, epsilon=1e-7),
    "Ftrl": lambda lr: v1.train.FtrlOptimizer(0.001 if lr is None else lr),
    "RMSProp": lambda lr: v1.train.RMSPropOptimizer(0.001 if lr is None else lr, decay=0.9, epsilon=1e-7),
    "SGD": lambda lr: v1.train.GradientDescentOptimizer(0.01 if lr is None else lr),
}


def _check_learning_rate(learning_rate) -> None:
    if learning_rate is not None and (isinstance(learning_rate, bool) or not learning_rate > 0):
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")


def get_optimizer_instance(opt, learning_rate=None):
    """A v1 optimizer from a name (at `learning_rate`), an optimizer, or a function returning one."""
    if isinstance(opt, str):
        if opt not in _V1:
            raise ValueError(f"optimizer {opt!r} is not one of {sorted(NAMES)}: pass one of those names or an "
                             "optimizer object such as tf.train.AdamOptimizer(0.01)")
        if not learning_rate:
            raise ValueError("learning_rate must be specified when opt is string.")
        _check_learning_rate(learning_rate)
        return _V1[opt](learning_rate=learning_rate)
    return _instance(opt)


def get_optimizer_instance_v2(opt, learning_rate=None):
    """As `get_optimizer_instance`, with the Keras optimizers' defaults (see the module docstring)."""
    if isinstance(opt, str):
        if opt not in _V2:
            raise ValueError(f"optimizer {opt!r} is not one of {sorted(NAMES)}")
        _check_learning_rate(learning_rate)
        return _V2[opt](learning_rate)
    return _instance(opt)


def _instance(opt):
    if callable(opt) and not isinstance(opt, v1.train.Optimizer):
        opt = opt()
    if not isinstance(opt, v1.train.Optimizer):
        raise ValueError(
            f"The given object is not an Optimizer instance. Given: {opt!r}. Pass a name ({', '.join(NAMES)}), "
            "a tf.compat.v1.train optimizer (Keras optimizers cannot run in a tf.compat.v1 graph), or a function "
            "returning one.")
    return opt
