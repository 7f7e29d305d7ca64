"""One program for every task of a cluster: the guide's model, trained with `train_and_evaluate`.

Started once per task with that task's `TF_CONFIG` (by `python -m iris_lib.cluster`, by hand, or by
Kubernetes' TFJob), it becomes the chief, a worker, a parameter server or the evaluator; without
`TF_CONFIG` it trains and evaluates locally. Nothing in it is about clusters: that is the point.

    python -m iris_lib.train_on_a_cluster --model_dir models/cluster --max_steps 2000

With `--wait_for_workers` the chief's first step waits until every worker has taken one, so that every
trainer contributes however fast each process starts (chapter 13, `make cluster` and the tests use it; a
real program does without: on a busy machine its chief may reach max_steps before a worker starts).
"""
from __future__ import annotations

import argparse
import sys

from iris_lib import quiet  # noqa: F401  (before TensorFlow)

import tensorflow as tf
from iris_lib import data
from iris_lib.custom_estimator import feature_columns
from iris_lib.estimator import Estimator, RunConfig
from iris_lib.estimator.training import EvalSpec, TrainSpec, train_and_evaluate
from iris_lib.model import my_model_fn


class WaitForWorkersHook(tf.compat.v1.train.SessionRunHook):
    """The chief takes its first step once each worker has taken one: every worker puts a token in a queue
    on ps 0 after its first step, and the chief, once its session is up, takes them all and puts them back
    (so that a restarted chief finds them there). A queue rather than a variable: it needs no initializing
    and is not saved in the checkpoints."""

    def __init__(self, config):
        self._is_chief, self._workers = config.is_chief, config.num_worker_replicas - 1
        self._device = "/job:ps/task:0" if config.num_ps_replicas else "/job:chief/task:0"

    def begin(self):
        self._active = self._workers > 0
        if not self._active:
            return
        with tf.device(self._device):
            queue = tf.compat.v1.FIFOQueue(2 ** 20, tf.int32, shapes=[], shared_name="workers_have_stepped")
            self._wait_for_all = queue.enqueue_many(queue.dequeue_many(self._workers))
            self._put = queue.enqueue(0)
        self._pending_put = not self._is_chief

    def after_create_session(self, session, coord):
        if self._active and self._is_chief:
            tf.compat.v1.logging.info("Waiting for the %d workers' first steps.", self._workers)
            session.run(self._wait_for_all)

    def after_run(self, run_context, run_values):
        if self._active and self._pending_put:
            run_context.session.run(self._put)
            self._pending_put = False


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--model_dir", default=None, help="shared by every task (or TF_CONFIG's model_dir)")
    parser.add_argument("--max_steps", default=2000, type=int, help="global steps, all trainers together")
    parser.add_argument("--batch_size", default=32, type=int)
    parser.add_argument("--save_checkpoints_steps", default=200, type=int)
    parser.add_argument("--throttle_secs", default=1, type=int, help="at most one evaluation this often")
    parser.add_argument("--max_worker_delay_secs", default=None, type=int,
                        help="cap of a worker's start delay ((index+1) x 5 s by default, at most 60 s)")
    parser.add_argument("--warm_start_from", default=None,
                        help="a checkpoint or model_dir to start from (the chief initializes from it)")
    parser.add_argument("--tf_random_seed", default=None, type=int)
    parser.add_argument("--wait_for_workers", action="store_true",
                        help="the chief's first step waits until every worker has taken one")
    args = parser.parse_args(argv)
    (train_x, train_y), (valid_x, valid_y), _ = data.load_splits()
    estimator = Estimator(
        model_fn=my_model_fn, model_dir=args.model_dir,
        config=RunConfig(save_checkpoints_steps=args.save_checkpoints_steps,
                         experimental_max_worker_delay_secs=args.max_worker_delay_secs,
                         tf_random_seed=args.tf_random_seed),
        params={"feature_columns": feature_columns(), "hidden_units": [10, 10], "n_classes": 3},
        warm_start_from=args.warm_start_from)
    hooks = [WaitForWorkersHook(estimator.config)] if args.wait_for_workers else []
    train_spec = TrainSpec(lambda: data.train_input_fn(train_x, train_y, args.batch_size), max_steps=args.max_steps,
                           hooks=hooks)
    eval_spec = EvalSpec(lambda: data.eval_input_fn(valid_x, valid_y, args.batch_size), steps=None,
                         start_delay_secs=0, throttle_secs=args.throttle_secs)
    train_and_evaluate(estimator, train_spec, eval_spec)


if __name__ == "__main__":
    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.INFO)  # progress, as the real Estimator's programs
    main(sys.argv[1:])
