"""`tf.keras.optimizers.legacy` for Estimator programs: Keras 2's optimizers, run in the Estimator's v1 graph.

TF 2.15's canned Estimators took only these (`DNNClassifier(optimizer=tf.keras.optimizers.legacy.Adam(0.01))`;
a Keras 3-style `tf.keras.optimizers.Adam` was refused), so TF2-era programs wrote them. Keras 3 has none, and
its optimizers cannot run in a tf.compat.v1 graph. `import iris_lib.estimator_shim` puts these classes at
`tf.keras.optimizers.legacy`: Keras 2's arguments, defaults and update arithmetic, each applied by a
tf.compat.v1 optimizer (`as_v1()`, from `canned/optimizers.py`).

- The learning rate is a float, a tensor, a function, or a `tf.keras.optimizers.schedules.LearningRateSchedule`
  called with `iterations`; `decay=` divides it by `1 + decay * iterations`, as Keras 2 did.
- `clipvalue`, `clipnorm` and `global_clipnorm` clip the gradients in `apply_gradients`, in that order.
- `iterations` counts the updates: the optimizer's own variable (`<name>/iter`) unless the program set it, once,
  before the first update, to the global step (`optimizer.iterations = tf.compat.v1.train.get_global_step()`),
  as the real canned Estimators did. So `get_updates` in a model_fn moves the global step only if it was set.

Nadam is Keras 2's too (`NadamV2Optimizer`): its `schedule_decay` (0.004) shapes the momentum schedule, kept in
the variable `training/Nadam/momentum_cache`; it refuses a learning-rate schedule, as Keras 2's did.

The optimizer's state is Keras 2's in the Estimator's graph: slots `training/Adam/<variable>/m`, and each
hyperparameter given as a number a variable `training/Adam/beta_1` that the update reads, so checkpoints cross
with the real Estimator's, optimizer state included. Outside the update, `learning_rate` reads as the value
given, not as a variable.
"""
from __future__ import annotations

import inspect
import logging
import types
import warnings

import tensorflow as tf

from iris_lib.estimator.canned import optimizers

v1 = tf.compat.v1

_ALLOWED_KWARGS = {"clipnorm", "clipvalue", "lr", "decay", "global_clipnorm"}


def _is_schedule(value) -> bool:
    return isinstance(value, tf.keras.optimizers.schedules.LearningRateSchedule)


class Optimizer:
    """Keras 2's `OptimizerV2` (`tf.keras.optimizers.legacy.Optimizer`): what the optimizers here share."""

    _V1_SLOT_NAMES: dict = {}

    def __init__(self, name, gradient_aggregator=None, gradient_transformers=None, **kwargs):
        for key, value in kwargs.items():
            if key not in _ALLOWED_KWARGS:
                raise TypeError(f"Unexpected keyword argument passed to optimizer: {key}. "
                                f"Allowed kwargs are {_ALLOWED_KWARGS}.")
            if value is not None and value < 0:
                raise ValueError(f"Expected {key} >= 0, received: {value}")
            if key == "lr":
                warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.", stacklevel=3)
        self._name = name
        self._hyper = {}
        self._iterations = None
        self._v1_optimizer = None
        self._initial_decay = kwargs.pop("decay", 0.0)
        self.gradient_aggregator = gradient_aggregator  # one replica: nothing to aggregate
        self.gradient_transformers = list(gradient_transformers or [])
        self.clipnorm = kwargs.pop("clipnorm", None)
        self.global_clipnorm = kwargs.pop("global_clipnorm", None)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("Cannot accept both `clipnorm` and `global_clipnorm`. Received: "
                             f"`clipnorm`={self.clipnorm}, `global_clipnorm`={self.global_clipnorm}.")
        self.clipvalue = kwargs.pop("clipvalue", None)

    # ----- hyperparameters, read as Keras 2's `opt.learning_rate`, `opt.lr`, `opt.beta_1` ... -----

    def _set_hyper(self, name, value):
        self._hyper[name] = value

    def _get_hyper(self, name):
        """The value given, or, while the update is built, the variable Keras 2 kept it in (`training/Adam/beta_1`,
        which a checkpoint restores)."""
        variable = getattr(self.__dict__.get("_v1_optimizer"), "_keras_variables", {}).get(name)
        if variable is not None and variable.graph is v1.get_default_graph():
            return variable
        value = self._hyper[name]
        return value() if callable(value) and not _is_schedule(value) else value

    def _hyper_tensor(self, name):
        return tf.cast(self._get_hyper(name), tf.float32)

    def __getattr__(self, name):
        key = "learning_rate" if name == "lr" else name
        if key in self.__dict__.get("_hyper", {}):
            return self._get_hyper(key)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        key = "learning_rate" if name == "lr" else name
        if key in self.__dict__.get("_hyper", {}):
            self._hyper[key] = value
        else:
            super().__setattr__(name, value)

    def _decayed_lr(self):
        """The rate of this step, a float32 tensor: a schedule's value at `iterations`, then Keras's decay."""
        lr = self._hyper["learning_rate"]
        lr = lr(tf.cast(self.iterations, tf.float32)) if _is_schedule(lr) else self._get_hyper("learning_rate")
        lr = tf.cast(lr, tf.float32)
        if self._initial_decay > 0.0:
            lr = lr / (1.0 + tf.cast(self._initial_decay, tf.float32) * tf.cast(self.iterations, tf.float32))
        return tf.identity(lr)

    # ----- the step counter -----

    @property
    def iterations(self):
        """The updates so far: the optimizer's own variable, or the variable the program set (the global step)."""
        if self._iterations is None:
            self._iterations = v1.Variable(0, dtype=tf.int64, trainable=False, name="iter", use_resource=True)
        return self._iterations

    @iterations.setter
    def iterations(self, variable):
        if self._iterations is not None:
            raise RuntimeError(
                "Cannot set `iterations` to a new Variable after the Optimizer weights have been created. Here it "
                f"is attempting to set `iterations` to {variable}. (An optimizer object serves one graph, as in "
                "Keras 2: to train an Estimator again, give it a function that makes a new optimizer, e.g. "
                f"`optimizer=lambda: tf.keras.optimizers.legacy.{type(self).__name__}(...)`.)")
        self._iterations = variable

    # ----- gradients and updates -----

    def _transform_gradients(self, grads_and_vars):
        if self.clipvalue is not None:
            grads_and_vars = [(tf.clip_by_value(g, -self.clipvalue, self.clipvalue), v) for g, v in grads_and_vars]
        if self.clipnorm is not None:
            grads_and_vars = [(tf.clip_by_norm(g, self.clipnorm), v) for g, v in grads_and_vars]
        if self.global_clipnorm is not None:
            grads, variables = zip(*grads_and_vars)
            grads_and_vars = list(zip(tf.clip_by_global_norm(grads, self.global_clipnorm)[0], variables))
        for transform in self.gradient_transformers:
            grads_and_vars = transform(grads_and_vars)
        return list(grads_and_vars)

    def get_gradients(self, loss, params):
        """`tf.compat.v1.gradients` of `loss`; a variable without one fails with Keras 2's message."""
        params = tf.nest.flatten(params)
        with v1.name_scope(self._name + "/gradients"):
            grads = v1.gradients(loss, params)
        for grad, param in zip(grads, params):
            if grad is None:
                raise ValueError(f"Variable {param} has `None` for gradient. Please make sure that all of your ops "
                                 "have a gradient defined (i.e. are differentiable). Common ops without gradient: "
                                 "K.argmax, K.round, K.eval.")
        return grads

    def get_updates(self, loss, params):
        """`[update_op]`, as the real canned Estimators and heads took it: one step of every variable in `params`."""
        return [self.apply_gradients(list(zip(self.get_gradients(loss, params), tf.nest.flatten(params))))]

    def apply_gradients(self, grads_and_vars, name=None, experimental_aggregate_gradients=True):
        """The op that applies the gradients, then steps `iterations` by one."""
        del experimental_aggregate_gradients  # one replica
        return self.as_v1().apply_gradients(grads_and_vars, name=name)

    def minimize(self, loss, var_list, grad_loss=None, name=None, tape=None):
        """Keras 2's: `loss` a function (differentiated under a GradientTape) or a tensor with its `tape`."""
        if not callable(loss) and tape is None:
            raise ValueError(f"`tape` is required when a `Tensor` loss is passed. Received: loss={loss}, tape={tape}. "
                             "(In a model_fn, `optimizer.get_updates(loss, tf.compat.v1.trainable_variables())[0]` "
                             "is the train_op, as the real canned Estimators made it.)")
        tape = tape if tape is not None else tf.GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(var_list)
                loss = loss()
                if callable(var_list):
                    var_list = var_list()
        var_list = tf.nest.flatten(var_list)
        with v1.name_scope(self._name + "/gradients"):
            grads = tape.gradient(loss, var_list, grad_loss)
        return self.apply_gradients(list(zip(grads, var_list)), name=name)

    def as_v1(self) -> v1.train.Optimizer:
        """This optimizer as a tf.compat.v1 one (the same object each time), for the Estimator's graph."""
        if self._v1_optimizer is None:
            self._v1_optimizer = self._make_v1()
        return self._v1_optimizer

    def _make_v1(self):
        raise NotImplementedError(f"{type(self).__name__} has no tf.compat.v1 form: subclass SGD, Adam, Adagrad, "
                                  "RMSprop or Ftrl from tf.keras.optimizers.legacy instead.")

    def get_slot(self, var, slot_name):
        return self.as_v1().get_slot(var, self._V1_SLOT_NAMES.get(slot_name, slot_name))

    def variables(self):
        """The step counter (unless it is the global step's) and the slots of the current graph."""
        own = [self._iterations] if self._iterations is not None else []
        return own + (self._v1_optimizer.variables() if self._v1_optimizer is not None else [])

    # ----- configuration -----

    def _serialize_hyperparameter(self, name):
        value = self._hyper[name]
        if _is_schedule(value):
            return tf.keras.optimizers.schedules.serialize(value)
        return value() if callable(value) else value

    def get_config(self):
        config = {"name": self._name}
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "lr" in config:
            config["learning_rate"] = config.pop("lr")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = tf.keras.optimizers.schedules.deserialize(
                config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)


class _StepsIterations:
    """Mixed into each optimizer's tf.compat.v1 form: Keras 2's gradient filtering and clipping, the update,
    then `iterations` stepped by one. A `global_step` given (v1's way, and the canned Estimators') becomes
    `iterations`, as the real canned Estimators set it, and v1 steps it."""

    def __init__(self, keras_optimizer, **kwargs):
        super().__init__(**kwargs)
        self.keras_optimizer = keras_optimizer
        self.keras_decay = keras_optimizer._initial_decay

    def _keras_hyperparameters(self) -> dict:
        """The Keras optimizer's hyperparameters given as numbers, which Keras 2 made variables of."""
        given = {**self.keras_optimizer._hyper, "decay": self.keras_decay}
        return {name: value for name, value in given.items()
                if name in optimizers.HYPERPARAMETERS[self._KERAS_KIND] and optimizers._a_number(value)}

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        keras = self.keras_optimizer
        grads_and_vars = keras._transform_gradients(_filter_empty_gradients(grads_and_vars))
        if global_step is not None and keras._iterations is not global_step:
            keras.iterations = global_step
        with v1.name_scope(keras._name), tf.init_scope():
            iterations = keras.iterations
        update = super().apply_gradients(grads_and_vars, global_step=global_step, name=name)
        if global_step is not None:
            return update
        with tf.control_dependencies([update]):
            return iterations.assign_add(1, read_value=False)


def _filter_empty_gradients(grads_and_vars):
    grads_and_vars = list(grads_and_vars)
    kept = [(g, v) for g, v in grads_and_vars if g is not None]
    if grads_and_vars and not kept:
        raise ValueError(f"No gradients provided for any variable: {[v.name for _, v in grads_and_vars]}. "
                         f"Provided `grads_and_vars` is {grads_and_vars}.")
    if len(kept) < len(grads_and_vars):
        logging.getLogger("tensorflow").warning(
            "Gradients do not exist for variables %s when minimizing the loss.",
            [v.name for g, v in grads_and_vars if g is None])
    return kept


class _GradientDescentV1(_StepsIterations, optimizers.SGDV2Optimizer):
    pass


class _MomentumV1(_StepsIterations, optimizers.MomentumV2Optimizer):
    pass


class _AdagradV1(_StepsIterations, optimizers.AdagradV2Optimizer):
    pass


class _AdamV1(_StepsIterations, optimizers.AdamV2Optimizer):
    pass


class _RMSpropV1(_StepsIterations, optimizers.RMSPropV2Optimizer):
    pass


class _FtrlV1(_StepsIterations, optimizers.FtrlV2Optimizer):
    pass


def _check_momentum(momentum) -> bool:
    """Keras 2's test for a momentum slot; a number must be in [0, 1]."""
    if isinstance(momentum, (int, float)) and (momentum < 0 or momentum > 1):
        raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum} "
                         f"(of type {type(momentum)}).")
    return isinstance(momentum, tf.Tensor) or callable(momentum) or momentum > 0


class SGD(Optimizer):
    """Keras 2's SGD: `var -= lr * g`; with momentum `accum = momentum * accum - lr * g; var += accum`
    (Nesterov: `var += momentum * accum - lr * g`)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._momentum = _check_momentum(momentum)
        self._set_hyper("momentum", momentum)
        self.nesterov = nesterov

    def _make_v1(self):
        if self._momentum:
            return _MomentumV1(self, learning_rate=self._decayed_lr, momentum=lambda: self._hyper_tensor("momentum"),
                               nesterov=self.nesterov, name=self._name)
        return _GradientDescentV1(self, learning_rate=self._decayed_lr, name=self._name)

    def get_config(self):
        return {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay, "momentum": self._serialize_hyperparameter("momentum"),
                "nesterov": self.nesterov}


class Adam(Optimizer):
    """Keras 2's Adam (epsilon 1e-7, added to `sqrt(v)`; bias correction from `iterations`), or AMSGrad."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="Adam",
                 **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or 1e-7
        self.amsgrad = amsgrad

    def _make_v1(self):
        return _AdamV1(self, iterations_fn=lambda: self.iterations, learning_rate=self._decayed_lr,
                       beta_1=lambda: self._hyper_tensor("beta_1"), beta_2=lambda: self._hyper_tensor("beta_2"),
                       epsilon=self.epsilon, amsgrad=self.amsgrad, name=self._name)

    def get_config(self):
        return {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay, "beta_1": self._serialize_hyperparameter("beta_1"),
                "beta_2": self._serialize_hyperparameter("beta_2"), "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class Adagrad(Optimizer):
    """Keras 2's Adagrad: `accum += g**2; var -= lr * g / (sqrt(accum) + epsilon)`, the accumulator from 0.1."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="Adagrad", **kwargs):
        if initial_accumulator_value < 0.0:
            raise ValueError(f"initial_accumulator_value must be non-negative: {initial_accumulator_value}")
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon or 1e-7

    def _make_v1(self):
        return _AdagradV1(self, learning_rate=self._decayed_lr,
                          initial_accumulator_value=self._initial_accumulator_value, epsilon=self.epsilon,
                          name=self._name)

    def get_config(self):
        return {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay, "initial_accumulator_value": self._initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """Keras 2's RMSprop: the mean square from 0, `var -= lr * g / (sqrt(rms) + epsilon)`; with momentum,
    TensorFlow's RMSProp kernel (epsilon inside the square root); `centered` subtracts the mean gradient."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="RMSprop",
                 **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("rho", rho)
        self._momentum = _check_momentum(momentum)
        self._set_hyper("momentum", momentum)
        self.epsilon = epsilon or 1e-7
        self.centered = centered

    def _make_v1(self):
        momentum = (lambda: self._hyper_tensor("momentum")) if self._momentum else 0.0
        return _RMSpropV1(self, learning_rate=self._decayed_lr, rho=lambda: self._hyper_tensor("rho"),
                          momentum=momentum, epsilon=self.epsilon, centered=self.centered, name=self._name)

    def get_config(self):
        return {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay, "rho": self._serialize_hyperparameter("rho"),
                "momentum": self._serialize_hyperparameter("momentum"), "epsilon": self.epsilon,
                "centered": self.centered}


class Ftrl(Optimizer):
    """Keras 2's Ftrl (TensorFlow's FTRL kernels), `beta` added to the L2 strength as `beta / (2 * lr)`."""

    _V1_SLOT_NAMES = {"accumulator": "accum"}

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, name="Ftrl",
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(name, **kwargs)
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{key}` needs to be positive or zero. Received: {key}={value}.")
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("learning_rate_power", learning_rate_power)
        self._set_hyper("l1_regularization_strength", l1_regularization_strength)
        self._set_hyper("l2_regularization_strength", l2_regularization_strength)
        self._set_hyper("beta", beta)
        self._initial_accumulator_value = initial_accumulator_value
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength

    def _make_v1(self):
        def hyper(name):
            return lambda: self._hyper_tensor(name)
        return _FtrlV1(self, learning_rate=self._decayed_lr, learning_rate_power=hyper("learning_rate_power"),
                       initial_accumulator_value=self._initial_accumulator_value,
                       l1_regularization_strength=hyper("l1_regularization_strength"),
                       l2_regularization_strength=hyper("l2_regularization_strength"),
                       l2_shrinkage_regularization_strength=self._l2_shrinkage_regularization_strength,
                       beta=hyper("beta"), name=self._name)

    def get_config(self):
        config = {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                  "decay": self._initial_decay, "initial_accumulator_value": self._initial_accumulator_value}
        for key in ("learning_rate_power", "l1_regularization_strength", "l2_regularization_strength", "beta"):
            config[key] = self._serialize_hyperparameter(key)
        config["l2_shrinkage_regularization_strength"] = self._l2_shrinkage_regularization_strength
        return config


class NadamV2Optimizer(optimizers.KerasNamedState, v1.train.Optimizer):
    """Keras 2's Nadam as a v1 optimizer: Adam with Nesterov momentum, whose momentum schedule
    `beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * step))` is multiplied into the variable
    `training/Nadam/momentum_cache` (from 1) at every update, as Keras 2 did (`optimizer_v2/nadam.py`)."""

    _KERAS_KIND = "Nadam"
    _HYPER_ATTRIBUTES = {"learning_rate": "_lr", "beta_1": "_beta1", "beta_2": "_beta2"}

    def __init__(self, iterations_fn, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 schedule_decay=0.004, name="Nadam"):
        super().__init__(use_locking=False, name=name)
        self._iterations_fn = iterations_fn
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta_1, beta_2, epsilon
        self._schedule_decay = self.keras_decay = schedule_decay
        self._coefficients = None

    def _keras_hyperparameters(self) -> dict:
        """Keras 2's hyperparameter variables and the momentum cache it added with the slots (from 1)."""
        return {**super()._keras_hyperparameters(), "momentum_cache": 1.0}

    def _create_slots(self, var_list):
        for var in var_list:
            self._zeros_slot(var, "m", self._name)
        for var in var_list:
            self._zeros_slot(var, "v", self._name)

    def _prepare(self):
        self._make_keras_variables()

        def tensor(value):
            return tf.identity(tf.cast(self._call_if_callable(value), tf.float32))
        lr, beta_1, beta_2 = tensor(self._lr), tensor(self._beta1), tensor(self._beta2)
        iterations = self._iterations_fn()
        local_step, next_step = tf.cast(iterations + 1, tf.float32), tf.cast(iterations + 2, tf.float32)
        decay_base = tf.constant(0.96, tf.float32)
        m_t = beta_1 * (1.0 - 0.5 * tf.pow(decay_base, self._schedule_decay * local_step))
        m_t_1 = beta_1 * (1.0 - 0.5 * tf.pow(decay_base, self._schedule_decay * next_step))
        cache = self._keras_variables["momentum_cache"]
        m_schedule_new = tf.identity(v1.assign(cache, tf.identity(cache) * m_t, use_locking=self._use_locking))
        m_schedule_next = m_schedule_new * m_t_1
        self._coefficients = dict(
            lr_t=lr, epsilon=tf.constant(self._epsilon, tf.float32), beta_1_t=beta_1, beta_2_t=beta_2, m_t_1=m_t_1,
            one_minus_beta_1_t=1 - beta_1, one_minus_beta_2_t=1 - beta_2, one_minus_m_t=1.0 - m_t,
            one_minus_m_schedule_new=1.0 - m_schedule_new, one_minus_m_schedule_next=1.0 - m_schedule_next,
            v_t_prime_denominator=1.0 - tf.pow(beta_2, local_step))

    def _resource_apply_dense(self, grad, var):
        c, m, v = self._coefficients, self.get_slot(var, "m"), self.get_slot(var, "v")
        g_prime = grad / c["one_minus_m_schedule_new"]
        m_t = v1.assign(m, c["beta_1_t"] * m + c["one_minus_beta_1_t"] * grad, use_locking=self._use_locking)
        m_t_prime = m_t / c["one_minus_m_schedule_next"]
        v_t = v1.assign(v, c["beta_2_t"] * v + c["one_minus_beta_2_t"] * tf.square(grad),
                        use_locking=self._use_locking)
        v_t_prime = v_t / c["v_t_prime_denominator"]
        m_t_bar = c["one_minus_m_t"] * g_prime + c["m_t_1"] * m_t_prime
        var_t = var - c["lr_t"] * m_t_bar / (tf.sqrt(v_t_prime) + c["epsilon"])
        return v1.assign(var, var_t, use_locking=self._use_locking).op

    def _resource_apply_sparse(self, grad, var, indices):
        c, m, v = self._coefficients, self.get_slot(var, "m"), self.get_slot(var, "v")
        g_prime = grad / c["one_minus_m_schedule_new"]
        with tf.control_dependencies([v1.assign(m, m * c["beta_1_t"], use_locking=self._use_locking)]):
            m_t = self._resource_scatter_add(m, indices, grad * c["one_minus_beta_1_t"])
            m_t_slice = tf.gather(m_t, indices)
        m_t_bar = c["one_minus_m_t"] * g_prime + c["m_t_1"] * m_t_slice / c["one_minus_m_schedule_next"]
        with tf.control_dependencies([v1.assign(v, v * c["beta_2_t"], use_locking=self._use_locking)]):
            v_t = self._resource_scatter_add(v, indices, (grad * grad) * c["one_minus_beta_2_t"])
            v_t_slice = tf.gather(v_t, indices)
        denominator = tf.sqrt(v_t_slice / c["v_t_prime_denominator"]) + c["epsilon"]
        var_update = self._resource_scatter_add(var, indices, -c["lr_t"] * m_t_bar / denominator)
        return tf.group(var_update, m_t, v_t)

    def _apply_dense(self, grad, var):
        raise NotImplementedError("NadamV2Optimizer needs resource variables (the TF2 default)")


class _NadamV1(_StepsIterations, NadamV2Optimizer):
    def _keras_hyperparameters(self) -> dict:  # _StepsIterations' (the Keras optimizer's), and the cache
        return {**super()._keras_hyperparameters(), "momentum_cache": 1.0}


class Nadam(Optimizer):
    """Keras 2's Nadam (Adam with Nesterov momentum; epsilon 1e-7). As Keras 2's: `schedule_decay` (0.004) is
    its `decay`, which shapes the momentum schedule and leaves the rate alone, and a learning-rate schedule is
    refused."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="Nadam", **kwargs):
        kwargs["decay"] = kwargs.pop("schedule_decay", 0.004)
        learning_rate = kwargs.get("lr", learning_rate)
        if _is_schedule(learning_rate):
            raise ValueError("The Nadam optimizer does not support tf.keras.optimizers.LearningRateSchedules as the "
                             "learning rate. (Keras 2's Nadam did not either: use Adam with the schedule, or give "
                             "Nadam a number.)")
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", learning_rate)
        self._set_hyper("decay", self._initial_decay)
        self._set_hyper("beta_1", beta_1)
        self._set_hyper("beta_2", beta_2)
        self.epsilon = epsilon or 1e-7

    def _make_v1(self):
        return _NadamV1(self, iterations_fn=lambda: self.iterations,
                        learning_rate=lambda: self._hyper_tensor("learning_rate"),
                        beta_1=lambda: self._hyper_tensor("beta_1"), beta_2=lambda: self._hyper_tensor("beta_2"),
                        epsilon=self.epsilon, schedule_decay=self._initial_decay, name=self._name)

    def get_config(self):
        return {**super().get_config(), "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay, "beta_1": self._serialize_hyperparameter("beta_1"),
                "beta_2": self._serialize_hyperparameter("beta_2"), "epsilon": self.epsilon}


def keras_3_counterpart(optimizer: Optimizer):
    """The Keras 3 optimizer of the same class and settings (`decay`, which Keras 3 has not, left out), holding
    `optimizer` as `keras_2_optimizer`: what `model.compile` gets for one of these, so that a TF 2.15 program's
    `compile(optimizer=tf.keras.optimizers.legacy.Adam(0.01))` compiles, and `model_to_estimator` runs the Keras 2
    optimizer it was given."""
    keras_class = getattr(tf.keras.optimizers, type(optimizer).__name__)
    accepted = inspect.signature(keras_class.__init__).parameters
    settings = {key: value for key, value in optimizer.get_config().items() if key in accepted and key != "name"}
    settings["learning_rate"] = optimizer._hyper["learning_rate"]  # a schedule as itself
    counterpart = keras_class(**settings)
    counterpart.keras_2_optimizer = optimizer
    return counterpart


def accept_in_keras_compile() -> None:
    """Let Keras 3's `optimizers.get` (what `Model.compile` calls) take these optimizers."""
    from keras.src import optimizers as keras_optimizers  # TensorFlow 2.21 imports Keras 3 itself
    keras_get = keras_optimizers.get

    def get(identifier):
        if isinstance(identifier, Optimizer):
            return keras_3_counterpart(identifier)
        return keras_get(identifier)

    if getattr(keras_get, "__wrapped__", None) is None:
        get.__wrapped__ = keras_get
        keras_optimizers.get = get


CLASSES = (Optimizer, SGD, Adam, Adagrad, RMSprop, Ftrl, Nadam)
_NOT_HERE = ("Adadelta", "Adamax")


def namespace() -> types.ModuleType:
    """The module the shim puts at `tf.keras.optimizers.legacy`: these classes, and a clear error for the
    Keras 2 optimizers iris_lib does not have."""
    module = types.ModuleType("tensorflow.keras.optimizers.legacy",
                              "Keras 2's optimizers for Estimator programs (iris_lib's keras_legacy_optimizers).")
    for cls in CLASSES:
        setattr(module, cls.__name__, cls)

    def __getattr__(name):
        if name in _NOT_HERE:
            raise AttributeError(f"tf.keras.optimizers.legacy.{name} is not in iris_lib: use one of "
                                 f"{', '.join(cls.__name__ for cls in CLASSES[1:])}.")
        raise AttributeError(f"module 'tensorflow.keras.optimizers.legacy' has no attribute {name!r}")

    module.__getattr__ = __getattr__
    module.__all__ = [cls.__name__ for cls in CLASSES]
    return module
