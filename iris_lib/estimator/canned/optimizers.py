"""Optimizers by name, as the canned Estimators take them (`.../canned/optimizers.py`), and Keras 2's arithmetic
and variables as tf.compat.v1 optimizers.

V1 classes (`tf.compat.v1.estimator.*`) build `tf.compat.v1.train` optimizers: 'Adagrad', 'Adam', 'Ftrl',
'RMSProp', 'SGD' at the learning rate the Estimator chooses. The V2 classes built Keras 2 optimizers,
which cannot run in a v1 graph under Keras 3; `get_optimizer_instance_v2` gives the `...V2Optimizer`s here, with
the Keras defaults (Adagrad: learning rate 0.001 and epsilon 1e-7 in the update; Adam: epsilon 1e-7).

The `...V2Optimizer` classes are v1 optimizers doing what Keras 2's legacy optimizers did where v1's differ:
Adagrad's epsilon, RMSprop's zero start and epsilon outside the square root, SGD's Keras momentum, Adam's
bias correction from the Keras step, Ftrl's `beta` with a tensor rate. Their state is Keras 2's in a v1 graph
(`KerasNamedState`): slots as `training/Adam/<variable>/m`, each hyperparameter given as a number a variable
`training/Adam/beta_1` that the update reads, so that V2 checkpoints cross with the real Estimator's, optimizer
state included. `estimator/keras_legacy_optimizers.py` (`tf.keras.optimizers.legacy` after the shim) runs its
optimizers through them; a V2 Estimator given one of those gets its v1 form here.
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


# Keras 2's hyperparameter variables of each optimizer (in the order of their names).
HYPERPARAMETERS = {
    "SGD": ("decay", "learning_rate", "momentum"),
    "Adam": ("beta_1", "beta_2", "decay", "learning_rate"),
    "RMSprop": ("decay", "learning_rate", "momentum", "rho"),
    "Adagrad": ("decay", "learning_rate"),
    "Ftrl": ("beta", "decay", "l1_regularization_strength", "l2_regularization_strength", "learning_rate",
             "learning_rate_power"),
    # with the momentum cache Keras 2's Nadam kept beside them (keras_legacy_optimizers.NadamV2Optimizer)
    "Nadam": ("beta_1", "beta_2", "decay", "learning_rate", "momentum_cache"),
}


def _a_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class KerasNamedState:
    """Mixed into a v1 optimizer that does a Keras 2 optimizer's arithmetic: its state as that optimizer's in the
    real Estimator's graph. Slots are `training/<name>/<variable>/<Keras slot>`; each hyperparameter given as a
    number becomes the variable `training/<name>/<hyperparameter>` (with `decay`, which Keras 2 kept unused),
    made when the update is built, and the update reads it, so a checkpoint restores it, as Keras 2's did."""

    _KERAS_KIND = None  # the Keras 2 class: its hyperparameters (HYPERPARAMETERS)
    _HYPER_ATTRIBUTES: dict = {}  # Keras hyperparameter -> the v1 attribute holding it
    _KERAS_SLOTS: dict = {}  # v1 slot name -> Keras's, where they differ
    keras_decay = 0.0

    def _keras_hyperparameters(self) -> dict:
        """The hyperparameters given as numbers, which Keras 2 made variables of."""
        given = {"decay": self.keras_decay, "momentum": 0.0, **{
            name: getattr(self, attribute) for name, attribute in self._HYPER_ATTRIBUTES.items()}}
        return {name: given[name] for name in HYPERPARAMETERS[self._KERAS_KIND] if _a_number(given.get(name))}

    def _resource_scatter_add(self, x, indices, updates):
        """`x[indices] += updates`, then x's new value, for the sparse updates (v1 Adam's own, shared)."""
        with tf.control_dependencies([tf.raw_ops.ResourceScatterAdd(resource=x.handle, indices=indices,
                                                                     updates=updates)]):
            return x.value()

    def _keras_scope(self):
        return v1.VariableScope(reuse=v1.AUTO_REUSE, name=f"training/{self.get_name()}")

    def _prepare(self):
        self._make_keras_variables()
        super()._prepare()

    def _make_keras_variables(self):
        if not hasattr(self, "_keras_given"):
            self._keras_given = self._keras_hyperparameters()
            # The attributes the update reads that hold a number become the variable (others, a function or a
            # tensor, already read what they should: a Keras legacy optimizer's read its variables).
            self._keras_read = {name: attribute for name, attribute in self._HYPER_ATTRIBUTES.items()
                                if _a_number(getattr(self, attribute))}
        with tf.init_scope(), v1.variable_scope(self._keras_scope()):
            self._keras_variables = {
                name: v1.get_variable(name, initializer=tf.constant(float(value), tf.float32), trainable=False,
                                      use_resource=True)
                for name, value in self._keras_given.items()}
        for name, attribute in self._keras_read.items():
            setattr(self, attribute, self._keras_variables[name])

    def _zeros_slot(self, var, slot_name, op_name):
        with v1.variable_scope(self._keras_scope()):
            return super()._zeros_slot(var, slot_name, self._KERAS_SLOTS.get(slot_name, slot_name))

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        with v1.variable_scope(self._keras_scope()):
            return super()._get_or_make_slot(var, val, slot_name, self._KERAS_SLOTS.get(slot_name, slot_name))

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name, op_name):
        with v1.variable_scope(self._keras_scope()):
            return super()._get_or_make_slot_with_initializer(var, initializer, shape, dtype, slot_name,
                                                              self._KERAS_SLOTS.get(slot_name, slot_name))


class SGDV2Optimizer(KerasNamedState, v1.train.GradientDescentOptimizer):
    """Keras's SGD without momentum: v1's update, Keras 2's variables."""
    _KERAS_KIND = "SGD"
    _HYPER_ATTRIBUTES = {"learning_rate": "_learning_rate"}

    def __init__(self, learning_rate=0.01, name="SGD"):
        super().__init__(learning_rate, name=name)


class AdagradV2Optimizer(KerasNamedState, v1.train.AdagradOptimizer):
    """Keras's Adagrad (`var -= lr * g / (sqrt(accum) + epsilon)`) as a v1 optimizer."""
    _KERAS_KIND = "Adagrad"
    _HYPER_ATTRIBUTES = {"learning_rate": "_learning_rate"}

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


def _cast(tensor, dtype):
    return tf.cast(tensor, dtype.base_dtype)


class MomentumV2Optimizer(KerasNamedState, v1.train.MomentumOptimizer):
    """Keras's SGD with momentum (`accum = momentum * accum - lr * g; var += accum`) as a v1 optimizer.

    v1's Momentum accumulates gradients and scales by the rate at the update; the two agree at a fixed rate,
    not when the rate changes during training (a schedule)."""

    _KERAS_KIND = "SGD"
    _HYPER_ATTRIBUTES = {"learning_rate": "_learning_rate", "momentum": "_momentum"}

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False, name="SGD"):
        super().__init__(learning_rate, momentum, name=name, use_nesterov=nesterov)

    def _resource_apply_dense(self, grad, var):
        return tf.raw_ops.ResourceApplyKerasMomentum(
            var=var.handle, accum=self.get_slot(var, "momentum").handle,
            lr=_cast(self._learning_rate_tensor, grad.dtype), grad=grad,
            momentum=_cast(self._momentum_tensor, grad.dtype), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov)

    def _resource_apply_sparse(self, grad, var, indices):
        return tf.raw_ops.ResourceSparseApplyKerasMomentum(
            var=var.handle, accum=self.get_slot(var, "momentum").handle,
            lr=_cast(self._learning_rate_tensor, grad.dtype), grad=grad, indices=indices,
            momentum=_cast(self._momentum_tensor, grad.dtype), use_locking=self._use_locking,
            use_nesterov=self._use_nesterov)


class AdamV2Optimizer(KerasNamedState, v1.train.AdamOptimizer):
    """Keras's Adam as a v1 optimizer: the bias correction `beta ** (iterations + 1)` from the Keras optimizer's
    step (`iterations_fn()`), where v1 keeps `beta1_power` variables of its own; AMSGrad if asked for."""

    _KERAS_KIND = "Adam"
    _HYPER_ATTRIBUTES = {"learning_rate": "_lr", "beta_1": "_beta1", "beta_2": "_beta2"}

    def __init__(self, iterations_fn, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 name="Adam"):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name)
        self._iterations_fn = iterations_fn
        self._amsgrad = amsgrad
        self._beta_powers = None

    def _create_slots(self, var_list):
        for var in var_list:
            self._zeros_slot(var, "m", self._name)
            self._zeros_slot(var, "v", self._name)
            if self._amsgrad:
                self._zeros_slot(var, "vhat", self._name)

    def _prepare(self):
        super()._prepare()
        local_step = tf.cast(self._iterations_fn() + 1, tf.float32)
        self._beta_powers = (tf.pow(self._beta1_t, local_step), tf.pow(self._beta2_t, local_step))

    def _get_beta_accumulators(self):
        return self._beta_powers

    def _finish(self, update_ops, name_scope):
        return tf.group(*update_ops, name=name_scope)

    def _resource_apply_dense(self, grad, var):
        if not self._amsgrad:
            return super()._resource_apply_dense(grad, var)
        beta1_power, beta2_power = self._beta_powers
        return tf.raw_ops.ResourceApplyAdamWithAmsgrad(
            var=var.handle, m=self.get_slot(var, "m").handle, v=self.get_slot(var, "v").handle,
            vhat=self.get_slot(var, "vhat").handle, beta1_power=_cast(beta1_power, grad.dtype),
            beta2_power=_cast(beta2_power, grad.dtype), lr=_cast(self._lr_t, grad.dtype),
            beta1=_cast(self._beta1_t, grad.dtype), beta2=_cast(self._beta2_t, grad.dtype),
            epsilon=_cast(self._epsilon_t, grad.dtype), grad=grad, use_locking=self._use_locking)

    def _resource_apply_sparse(self, grad, var, indices):
        """Keras's sparse Adam: every row's moments decay, the gradient's rows are added, every row moves."""
        dtype = var.dtype.base_dtype
        beta1, beta2 = _cast(self._beta1_t, dtype), _cast(self._beta2_t, dtype)
        beta1_power, beta2_power = (_cast(power, dtype) for power in self._beta_powers)
        lr = _cast(self._lr_t, dtype) * (tf.sqrt(1 - beta2_power) / (1 - beta1_power))
        epsilon = _cast(self._epsilon_t, dtype)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        with tf.control_dependencies([v1.assign(m, m * beta1, use_locking=self._use_locking)]):
            m_t = self._resource_scatter_add(m, indices, grad * (1 - beta1))
        with tf.control_dependencies([v1.assign(v, v * beta2, use_locking=self._use_locking)]):
            v_t = self._resource_scatter_add(v, indices, (grad * grad) * (1 - beta2))
        if not self._amsgrad:
            var_update = v1.assign_sub(var, lr * m_t / (tf.sqrt(v_t) + epsilon), use_locking=self._use_locking)
            return tf.group(var_update, m_t, v_t)
        vhat = self.get_slot(var, "vhat")
        vhat_max = tf.maximum(vhat, v_t)
        with tf.control_dependencies([vhat_max]):
            vhat_t = v1.assign(vhat, vhat_max, use_locking=self._use_locking)
        var_update = v1.assign_sub(var, lr * m_t / (tf.sqrt(vhat_t) + epsilon), use_locking=self._use_locking)
        return tf.group(var_update, m_t, v_t, vhat_t)


class RMSPropV2Optimizer(KerasNamedState, v1.train.RMSPropOptimizer):
    """Keras's RMSprop as a v1 optimizer. v1's starts the mean square at 1 and puts epsilon inside the square
    root; Keras's starts it at 0 and, without momentum, puts epsilon outside:
    `rms = rho * rms + (1 - rho) * g**2; var -= lr * g / (sqrt(rms) + epsilon)` (centered: `rms - mg**2`)."""

    _KERAS_KIND = "RMSprop"
    _HYPER_ATTRIBUTES = {"learning_rate": "_learning_rate", "rho": "_decay", "momentum": "_momentum"}

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="RMSprop"):
        super().__init__(learning_rate, decay=rho, momentum=momentum, epsilon=epsilon, centered=centered, name=name)
        self._with_momentum = callable(momentum) or tf.is_tensor(momentum) or momentum > 0

    def _create_slots(self, var_list):
        for var in var_list:
            self._zeros_slot(var, "rms", self._name)
            if self._with_momentum:
                self._zeros_slot(var, "momentum", self._name)
            if self._centered:
                self._zeros_slot(var, "mg", self._name)

    def _coefficients(self, dtype):
        return {name: _cast(tensor, dtype) for name, tensor in (
            ("lr", self._learning_rate_tensor), ("rho", self._decay_tensor), ("momentum", self._momentum_tensor),
            ("epsilon", self._epsilon_tensor))}

    def _resource_apply_dense(self, grad, var):
        c, rms = self._coefficients(grad.dtype), self.get_slot(var, "rms")
        if self._with_momentum:
            common = dict(var=var.handle, ms=rms.handle, mom=self.get_slot(var, "momentum").handle, lr=c["lr"],
                          rho=c["rho"], momentum=c["momentum"], epsilon=c["epsilon"], grad=grad,
                          use_locking=self._use_locking)
            if self._centered:
                return tf.raw_ops.ResourceApplyCenteredRMSProp(mg=self.get_slot(var, "mg").handle, **common)
            return tf.raw_ops.ResourceApplyRMSProp(**common)
        one_minus_rho = 1.0 - c["rho"]
        rms_t = v1.assign(rms, c["rho"] * rms + one_minus_rho * tf.square(grad), use_locking=self._use_locking)
        denominator = rms_t
        if self._centered:
            mg = self.get_slot(var, "mg")
            mg_t = v1.assign(mg, c["rho"] * mg + one_minus_rho * grad, use_locking=self._use_locking)
            denominator = rms_t - tf.square(mg_t)
        var_t = var - c["lr"] * grad / (tf.sqrt(denominator) + c["epsilon"])
        return v1.assign(var, var_t, use_locking=self._use_locking).op

    def _resource_apply_sparse(self, grad, var, indices):
        c, rms = self._coefficients(grad.dtype), self.get_slot(var, "rms")
        if self._with_momentum:
            common = dict(var=var.handle, ms=rms.handle, mom=self.get_slot(var, "momentum").handle, lr=c["lr"],
                          rho=c["rho"], momentum=c["momentum"], epsilon=c["epsilon"], grad=grad, indices=indices,
                          use_locking=self._use_locking)
            if self._centered:
                return tf.raw_ops.ResourceSparseApplyCenteredRMSProp(mg=self.get_slot(var, "mg").handle, **common)
            return tf.raw_ops.ResourceSparseApplyRMSProp(**common)
        one_minus_rho = 1.0 - c["rho"]
        with tf.control_dependencies([v1.assign(rms, rms * c["rho"], use_locking=self._use_locking)]):
            rms_t = self._resource_scatter_add(rms, indices, (grad * grad) * one_minus_rho)
            denominator = tf.gather(rms_t, indices)
        updates = [rms_t]
        if self._centered:
            mg = self.get_slot(var, "mg")
            with tf.control_dependencies([v1.assign(mg, mg * c["rho"], use_locking=self._use_locking)]):
                mg_t = self._resource_scatter_add(mg, indices, grad * one_minus_rho)
                denominator = denominator - tf.square(tf.gather(mg_t, indices))
            updates.append(mg_t)
        var_update = self._resource_scatter_add(var, indices,
                                                -c["lr"] * grad / (tf.sqrt(denominator) + c["epsilon"]))
        return tf.group(var_update, *updates)


class FtrlV2Optimizer(KerasNamedState, v1.train.FtrlOptimizer):
    """Keras's Ftrl as a v1 optimizer: any hyperparameter may be a function or a tensor (v1's takes numbers),
    and `beta` enters as `l2 + beta / (2 * lr)` at the current rate."""

    _KERAS_KIND = "Ftrl"
    _HYPER_ATTRIBUTES = {"learning_rate": "_learning_rate", "learning_rate_power": "_learning_rate_power",
                         "l1_regularization_strength": "_l1_regularization_strength",
                         "l2_regularization_strength": "_l2_regularization_strength", "beta": "_beta"}
    _KERAS_SLOTS = {"accum": "accumulator"}

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, name="Ftrl"):
        super().__init__(0.001, initial_accumulator_value=initial_accumulator_value, name=name,
                         l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength)
        self._learning_rate, self._learning_rate_power, self._beta = learning_rate, learning_rate_power, beta
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _prepare(self):
        self._make_keras_variables()

        def tensor(value, name):
            return tf.cast(self._call_if_callable(value), tf.float32, name=name)
        self._learning_rate_tensor = tensor(self._learning_rate, "learning_rate")
        self._learning_rate_power_tensor = tensor(self._learning_rate_power, "learning_rate_power")
        self._l1_regularization_strength_tensor = tensor(self._l1_regularization_strength, "l1")
        self._beta_tensor = tensor(self._beta, "beta")
        self._adjusted_l2_regularization_strength_tensor = (
            tensor(self._l2_regularization_strength, "l2") + self._beta_tensor / (2.0 * self._learning_rate_tensor))
        self._l2_shrinkage_regularization_strength_tensor = tensor(
            self._l2_shrinkage_regularization_strength, "l2_shrinkage")


_V2 = {
    "Adagrad": lambda lr: AdagradV2Optimizer(0.001 if lr is None else lr),
    "Adam": lambda lr: AdamV2Optimizer(v1.train.get_global_step, 0.001 if lr is None else lr),
    "Ftrl": lambda lr: FtrlV2Optimizer(0.001 if lr is None else lr),
    "RMSProp": lambda lr: RMSPropV2Optimizer(0.001 if lr is None else lr),
    "SGD": lambda lr: SGDV2Optimizer(0.01 if lr is None else lr),
}


def save_slots_as_one_part(optimizer, var_list, part: str) -> None:
    """Save each slot of `optimizer` under the key the real V1 DNN and linear Estimators wrote for it:
    `dnn/hiddenlayer_0/kernel/t_0/Adagrad`, `linear/linear_model/x/weights/part_0/Ftrl`.

    Their weights were one-part PartitionedVariables (`.../kernel/part_0`), so slot_creator saved each slot as a
    slice named by cutting the part's op name off the slot's; `minimize` ran inside the model's variable scope,
    which doubles the slot's leading scope (`dnn/dnn/hiddenlayer_0/kernel/part_0/Adagrad`) and shifts that cut
    by its length: 't_0' for `dnn/`, 'part_0' for `linear/`. Ours are whole variables, saved as the one slice
    under the same key, so either engine's optimizer state restores into the other's."""
    if not hasattr(optimizer, "get_slot_names"):
        return
    for variable in var_list:
        for slot_name in optimizer.get_slot_names():
            slot = optimizer.get_slot(variable, slot_name)
            if slot is None or slot.shape.rank == 0 or getattr(slot, "_save_slice_info", None) is not None:
                continue
            suffix = slot.op.name.rsplit("/", 1)[-1]  # 'Adagrad', 'Adam_1', 'Ftrl_1'
            shape = slot.shape.as_list()
            slot._set_save_slice_info(tf.Variable.SaveSliceInfo(
                f"{variable.op.name}/{part}/{suffix}", shape, [0] * len(shape), shape))


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
    return _instance(opt, keras_legacy=False)


def get_optimizer_instance_v2(opt, learning_rate=None):
    """As `get_optimizer_instance`, with the Keras optimizers' defaults (see the module docstring); a
    `tf.keras.optimizers.legacy` optimizer (iris_lib's) comes back in its v1 form."""
    if isinstance(opt, str):
        if opt not in _V2:
            raise ValueError(f"optimizer {opt!r} is not one of {sorted(NAMES)}")
        _check_learning_rate(learning_rate)
        return _V2[opt](learning_rate)
    return _instance(opt, keras_legacy=True)


def _instance(opt, keras_legacy: bool):
    """The v1 optimizer for an optimizer object or a function returning one. A Keras legacy optimizer gives its
    v1 form, whose update steps the global step the Estimator passes it and makes that its `iterations`, as
    the real V2 canned Estimators set `optimizer.iterations` to the global step."""
    if callable(opt) and not isinstance(opt, v1.train.Optimizer):
        opt = opt()
    if isinstance(opt, v1.train.Optimizer):
        return opt
    from iris_lib.estimator import keras_legacy_optimizers  # here: that module imports this one
    if isinstance(opt, keras_legacy_optimizers.Optimizer):
        if keras_legacy:
            return opt.as_v1()
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt!r}. The tf.compat.v1.estimator "
                         "classes take a tf.compat.v1.train optimizer, as the real ones did; a "
                         "tf.keras.optimizers.legacy one goes to tf.estimator's classes.")
    if keras_legacy and isinstance(opt, tf.keras.optimizers.Optimizer):  # the real V2 classes' message
        raise ValueError("Please set your optimizer as an instance of `tf.keras.optimizers.legacy.Optimizer`, e.g., "
                         f"`tf.keras.optimizers.legacy.{type(opt).__name__}` (after `import iris_lib.estimator_shim`). "
                         f"Received optimizer type: {type(opt)}. Keras 3 optimizers cannot run in a tf.compat.v1 "
                         "graph.")
    raise ValueError(
        f"The given object is not an Optimizer instance. Given: {opt!r}. Pass a name ({', '.join(NAMES)}), "
        "a tf.compat.v1.train optimizer, a tf.keras.optimizers.legacy one (V2 classes, after "
        "`import iris_lib.estimator_shim`; Keras 3 optimizers cannot run in a tf.compat.v1 graph), or a "
        "function returning one.")
