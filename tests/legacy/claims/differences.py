"""Where iris_lib differs from tf.estimator (companion/differences.md): what that page says the REAL Estimator did.

Each claim holds on the real Estimator; where iris_lib behaves otherwise on purpose, the page itself says so
(`differs`).

    python tests/legacy/claims/differences.py real|ours WORKDIR
"""
from ledger import (Claim, error_name, eval_input_fn, guide_model_fn, guide_params, load_iris, main, tf2,
                    train_input_fn)

PAGE = "companion/differences.md"

CLAIMS = [
    # ---- It stops where the original went wrong silently ----
    Claim("real-forgotten-global-step-trains-on", PAGE,
          quote="The real Estimator logged a\nwarning and trained forever",
          says="A train_op that never increments global_step: the real train(steps=5) logs 'It seems that global "
               "step ... has not been increased' and keeps running steps (a hook stopped it after 30 runs).",
          shows=("forgetful",),
          holds=lambda f: f["forgetful"] == {"raised": None, "session_runs": 30, "global_step": 0, "warned": True}),
    Claim("real-other-model-deeper-not-found", PAGE,
          quote="The real Estimator failed inside the restore with a\n`NotFoundError` when the model had a variable "
                "the checkpoint lacks (a layer more)",
          says="In the model_dir of a trained [10, 10] model, the real Estimator with [10, 10, 10] fails with "
               "NotFoundError.",
          shows=("other_model",),
          holds=lambda f: f["other_model"]["deeper"] == "NotFoundError",
          differs="iris_lib raises CheckpointMismatchError, listing each variable that does not fit, before "
                  "anything on disk changes."),
    Claim("real-other-model-resized-trains-the-old-weights", PAGE,
          quote="when the layers only\nchanged size, or there was a layer fewer, it raised nothing",
          says="In the model_dir of a trained [10, 10] model, the real Estimator with [20, 20] or [10] trains "
               "without an error, and the checkpoint it saves still has the [4, 10] kernel.",
          shows=("other_model",),
          holds=lambda f: f["other_model"]["wider"] is None and f["other_model"]["fewer"] is None
          and f["other_model"]["kernel_after"] == [4, 10] and f["other_model"]["kernel_after_fewer"] == [4, 10],
          differs="iris_lib raises CheckpointMismatchError, listing each variable that does not fit, before "
                  "anything on disk changes."),
    Claim("real-latest-checkpoint-none-when-damaged", PAGE,
          quote="The real Estimator asked `tf.train.latest_checkpoint`, which answers \"no\ncheckpoint\" when the "
                "`checkpoint` file is garbage or names missing files",
          says="tf.train.latest_checkpoint returns None when the checkpoint file is garbage or names a checkpoint "
               "whose files are gone.",
          shows=("latest_checkpoint_garbage", "latest_checkpoint_missing_files"),
          holds=lambda f: f["latest_checkpoint_garbage"] is None and f["latest_checkpoint_missing_files"] is None),
    Claim("real-damaged-checkpoint-restarts-at-zero", PAGE,
          quote="training then restarted from\nstep 0 and its new checkpoints, under the same names, replaced the "
                "intact old ones",
          says="With a garbage checkpoint file, the real train(steps=10) on a model at step 30 starts again from "
               "step 0, ends at step 10, its model.ckpt-10 replaces the old model.ckpt-10, and the new checkpoint "
               "file lists only the new checkpoints (model.ckpt-30 is left on disk, unlisted).",
          shows=("damaged_restart",),
          holds=lambda f: f["damaged_restart"] == {"raised": None, "step": 10, "old_ckpt_10_replaced": True,
                                                   "old_ckpt_30_on_disk": True, "checkpoint_file_lists": [0, 10]},
          differs="iris_lib reads and verifies the newest checkpoint and raises DamagedCheckpointError."),
    Claim("real-nan-loss-error-and-message", PAGE,
          quote="Both engines stop training with `NanLossDuringTrainingError` when the loss is NaN. The real\n"
                "one's exception said only \"NaN loss during training.\"",
          says="A NaN loss stops train() with NanLossDuringTrainingError, whose message on the real one is just "
               "'NaN loss during training.'",
          shows=("nan_error", "nan_message_is_bare"),
          holds=lambda f: f["nan_error"] == "NanLossDuringTrainingError" and f["nan_message_is_bare"],
          differs="iris_lib's message names the step, the newest good checkpoint and the likely causes."),
    Claim("real-nan-loss-checkpoint-of-diverged-weights", PAGE,
          quote="could already have saved the diverged weights in a checkpoint\ndue at the same step",
          says="When the loss turns NaN at the step a checkpoint is due, the real Estimator saves that "
               "checkpoint, with NaN weights, before it stops.",
          shows=("nan_newest_checkpoint",),
          holds=lambda f: f["nan_newest_checkpoint"] == {"step": 10, "weights_finite": False},
          differs="iris_lib checks the weights before every checkpoint and never saves a diverged state."),
    Claim("real-evaluate-on-no-data-reports-zero", PAGE,
          quote="An input function that yields no batch made the real `evaluate` report loss\n0.0 and accuracy 0.0",
          says="evaluate() on an input function that yields no batch returns loss 0.0 and accuracy 0.0 on the "
               "real one.",
          shows=("evaluate_no_data",),
          holds=lambda f: f["evaluate_no_data"] == {"accuracy": 0.0, "loss": 0.0, "raised": None},
          differs="iris_lib raises a ValueError."),
    Claim("real-two-trainers-overwrite-silently", PAGE,
          quote="two processes training into one `model_dir`\noverwrote each other's steps silently",
          says="A second trainer that trains to step 50 in the model_dir while the first is at step 10: the real "
               "first one goes on from its own step 10 to 20, raising nothing, and its checkpoint replaces the "
               "second's.",
          shows=("two_trainers",),
          holds=lambda f: f["two_trainers"] == {"second_raised": None, "second_reached": 50, "final_step": 20},
          differs="iris_lib's train holds a lock file in model_dir and refuses the second trainer with "
                  "ModelDirBusyError."),
    Claim("real-glob-model-dir-checkpoints-never-found", PAGE,
          quote="the real Estimator wrote checkpoints there that\nit never found again: the next `train()` failed",
          says="With model_dir 'lr[0.1]', the real Estimator writes model.ckpt-5, then its next train() raises "
               "ValueError ('not a valid checkpoint') and evaluate() scores newly initialized weights (global "
               "step 0).",
          shows=("glob_model_dir",),
          holds=lambda f: f["glob_model_dir"] == {"made": None, "checkpoints_written": True,
                                                  "second_train": "ValueError", "evaluate_global_step": 0},
          differs="iris_lib refuses such a model_dir when the Estimator is made."),
    Claim("real-empty-model-dir-temporary-file-model-dir-fails-at-train", PAGE,
          quote="the real one used a\ntemporary folder for `''` and failed only at the first `train()` for a file",
          says="Estimator(model_dir='') gets a temporary folder; Estimator(model_dir=<a file>) is made without "
               "error and its first train() fails.",
          shows=("model_dir_empty", "model_dir_file"),
          holds=lambda f: f["model_dir_empty"] == {"made": None, "temporary_folder": True}
          and f["model_dir_file"] == {"made": None, "train": "FailedPreconditionError"},
          differs="iris_lib refuses both when the Estimator is made."),
    Claim("real-train-on-no-data-silent", PAGE,
          quote="**Training on no data** warns that no step was trained (the real one returned silently).",
          says="train() on an input function that yields no batch logs no warning on the real one.",
          shows=("train_no_data_warnings",),
          holds=lambda f: f["train_no_data_warnings"] == [],
          differs="iris_lib warns that no step was trained."),
    Claim("real-one-device-strategy-trains-locally", PAGE,
          quote="A\nstrategy with one device (`MirroredStrategy` on a one-device machine, `OneDeviceStrategy`) "
                "trains locally,\nas the real one did",
          says="RunConfig(train_distribute=OneDeviceStrategy('/cpu:0')) trains the guide's model to its step.",
          shows=("one_device_strategy_step",),
          holds=lambda f: f["one_device_strategy_step"] == 5),
    # ---- Its seed fixes the whole run ----
    Claim("real-tf-random-seed-leaves-layer-weights-random", PAGE,
          quote="whose default initializer ignored the graph seed that `RunConfig(tf_random_seed=1)`\nsets and drew "
                "its own seed from Python's `random`",
          says="Two real Estimators with RunConfig(tf_random_seed=1) start the guide's model from different "
               "weights; seeding Python's random first (tf.keras.utils.set_random_seed) makes them equal.",
          shows=("same_seed_same_weights", "same_seed_and_python_seed_same_weights"),
          holds=lambda f: not f["same_seed_same_weights"] and f["same_seed_and_python_seed_same_weights"],
          differs="iris_lib's layers take their seeds from the graph seed, so the same tf_random_seed gives the "
                  "same weights."),
    # ---- It keeps more when interrupted ----
    Claim("real-ctrl-c-loses-steps-since-checkpoint", PAGE,
          quote="the real Estimator lost every step since its last checkpoint",
          says="A KeyboardInterrupt at step 30 (checkpoints every 20 steps) leaves the real model_dir's newest "
               "checkpoint at step 20.",
          shows=("ctrl_c",),
          holds=lambda f: f["ctrl_c"] == {"raised": "KeyboardInterrupt", "newest_checkpoint": 20},
          differs="iris_lib saves a checkpoint at the interrupted step (if the weights are finite), then re-raises."),
    Claim("real-evaluate-fails-when-its-checkpoint-is-rotated-away", PAGE,
          quote="retries with the newest checkpoint; the real one failed with a restore error.",
          says="When the checkpoint evaluate() picked is rotated away by a trainer before it is restored, the "
               "real evaluate() raises (Saver.restore's ValueError: not a valid checkpoint).",
          shows=("evaluate_rotated_away",),
          holds=lambda f: f["evaluate_rotated_away"] == {"raised": "ValueError", "global_step": None},
          differs="iris_lib retries with the newest checkpoint."),
    Claim("real-event-file-names-second-and-host", PAGE,
          quote="the real\nnames carried only the second and the host",
          says="The real event files are named events.out.tfevents.<seconds>.<host>, nothing more.",
          shows=("event_file_names_second_and_host",),
          holds=lambda f: f["event_file_names_second_and_host"],
          differs="iris_lib adds the process id and a counter, so two writers never share a file."),
    Claim("real-event-file-records", PAGE,
          quote="(graph and meta graph, SessionLog START and CHECKPOINT, summaries, and in `eval` the graph, the "
                "metrics\nand `checkpoint_path`)",
          says="The training event file holds the graph, the meta graph, SessionLog START and CHECKPOINT and "
               "the summaries; eval's holds the graph (and meta graph), the metrics and checkpoint_path.",
          shows=("event_records",),
          holds=lambda f: f["event_records"] == {
              "eval": ["checkpoint_path", "graph_def", "meta_graph_def", "metric:accuracy", "metric:loss"],
              "train": ["graph_def", "meta_graph_def", "session_log:CHECKPOINT", "session_log:START",
                        "summary:accuracy", "summary:loss"]}),
    Claim("real-evaluate-raises-when-summary-cannot-be-written", PAGE,
          quote="is a warning, and\n`evaluate()` still returns its metrics; the real one raised after the work was "
                "done.",
          says="When the evaluation summary cannot be written (model_dir/eval is a file), the real evaluate() "
               "runs the evaluation to its end and then raises (FailedPreconditionError).",
          shows=("evaluate_unwritable_summary",),
          holds=lambda f: f["evaluate_unwritable_summary"] == {"raised": "FailedPreconditionError",
                                                               "evaluation_ran_to_end": True},
          differs="iris_lib warns and returns the metrics."),
    Claim("real-evaluate-returns-numpy-scalars", PAGE,
          quote="the real one returned NumPy\nscalars (`numpy.float32`, `numpy.int64`)",
          says="The real evaluate() returns numpy.float32 metrics and a numpy.int64 global_step, which "
               "json.dumps refuses.",
          shows=("evaluate_types", "evaluate_json_dumps"),
          holds=lambda f: f["evaluate_types"] == {"accuracy": "float32", "global_step": "int64", "loss": "float32"}
          and f["evaluate_json_dumps"] == "TypeError",
          differs="iris_lib's evaluate() returns Python float and int, which json.dumps takes."),
    # ---- It is lighter ----
    Claim("real-monitored-session-with-its-own-hooks", PAGE,
          quote="The real Estimator ran each call inside a `MonitoredSession` with its own\nhooks for the loss log, "
                "summaries, checkpoints and the step rate.",
          says="The real train() runs a MonitoredSession whose hooks include NanTensorHook, LoggingTensorHook, "
               "SummarySaverHook, CheckpointSaverHook and StepCounterHook.",
          shows=("monitored_session_hooks",),
          holds=lambda f: {"CheckpointSaverHook", "LoggingTensorHook", "NanTensorHook", "StepCounterHook",
                           "SummarySaverHook"} <= set(f["monitored_session_hooks"]),
          differs="iris_lib does those duties in its own loop (one session run per step) and runs your hooks where "
                  "MonitoredSession would."),
    Claim("real-event-writer-stays-open", PAGE,
          quote="the real Estimator kept one open file and one thread\nper directory for the life of the process",
          says="At the end of this program (its Estimators deleted), the real engine still holds an open event "
               "file in every one of the 10+ folders it wrote events to, and a writer thread for each.",
          shows=("event_files_open_at_the_end", "event_writer_threads_alive"),
          holds=lambda f: f["event_files_open_at_the_end"] == {"folders_with_events_at_least_10": True,
                                                               "folders_with_none_open": []}
          and f["event_writer_threads_alive"],
          differs="iris_lib closes a writer once nothing uses it (beyond the four most recently used)."),
    # ---- On a cluster ----
    Claim("real-train-saves-the-restored-step-again", PAGE,
          quote="`CheckpointSaverHook` saves the step it restored as soon as its session exists",
          says="Two train(steps=5) calls in one model_dir write checkpoints at steps 0, 5, then 5 again (the "
               "second call saves the step it restored before its first step), then 10.",
          shows=("checkpoint_logs_of_two_trains",),
          holds=lambda f: f["checkpoint_logs_of_two_trains"] == [0, 5, 5, 10]),
    Claim("real-evaluator-fails-on-an-in-place-save", PAGE,
          quote="or when a restarted chief saved its newest checkpoint again in place",
          says="An evaluator task (train_and_evaluate) whose newest checkpoint is being saved again (the saver's "
               "_temp folder present, the index half-written) fails on the real one.",
          shows=("evaluator_during_an_in_place_save",),
          holds=lambda f: f["evaluator_during_an_in_place_save"]["raised"] is not None,
          differs="iris_lib's evaluator skips that round and evaluates the checkpoint once its save is complete."),
    Claim("real-worker-waits-30-s-between-looks", PAGE,
          quote="waited 30 s between looks in the real one (`SessionManager`'s `recovery_wait_secs`)",
          says="The real worker's session creator (WorkerSessionCreator) waits for the chief's model with a "
               "SessionManager whose recovery_wait_secs is 30.",
          shows=("worker_recheck_secs",),
          holds=lambda f: f["worker_recheck_secs"] == 30,
          differs="iris_lib's workers look again every second."),
    Claim("real-worker-start-delay", PAGE,
          quote="The\nstart delay (`(index+1)×5 s`, at most 60 s or `experimental_max_worker_delay_secs`) is the "
                "real one's.",
          says="train_and_evaluate delays worker i's start by (i+1) x 5 s, at most 60 s "
               "(tensorflow_estimator's training module; iris_lib's has the same constants).",
          shows=("worker_start_delay",),
          holds=lambda f: f["worker_start_delay"] == {"per_worker_secs": 5, "max_secs": 60}),
    Claim("real-has-no-evaluate-and-predict", PAGE,
          quote="**Evaluate and predict in one go** (an addition: the real Estimator has no such call).",
          says="Neither the Estimator class nor the tf.estimator namespace has an evaluate_and_predict.",
          shows=("evaluate_and_predict_in_estimator",),
          holds=lambda f: f["evaluate_and_predict_in_estimator"] is False),
    # ---- The pre-made DNNClassifier ----
    Claim("real-v1-dnn-learning-rate", PAGE,
          quote="**Its default learning rate is 0.05**, the TensorFlow 1 class's (Adagrad, loss summed over the "
                "batch).",
          says="The V1 DNNClassifier's default optimizer is Adagrad at 0.05, and its evaluate() loss is the sum "
               "over a batch (10 x average_loss for batches of 10).",
          shows=("v1_dnn",),
          holds=lambda f: f["v1_dnn"]["optimizer"] == ["Adagrad", 0.05] and f["v1_dnn"]["loss_over_average"] == 10),
    Claim("real-v2-dnn-learning-rate", PAGE,
          quote="TensorFlow 2's `tf.estimator.DNNClassifier` was the V2 class, whose Keras Adagrad defaults to 0.001",
          says="The V2 DNNClassifier (tf.estimator.DNNClassifier) trains with Adagrad at 0.001.",
          shows=("v2_dnn_optimizer",),
          holds=lambda f: f["v2_dnn_optimizer"] == ["Adagrad", 0.001]),
    Claim("real-dnn-no-learning-rate-params-empty", PAGE,
          quote="The real class's learning rate could only be changed by passing a whole\noptimizer",
          says="The real DNNClassifier takes no learning_rate argument; its params is {} and its model_fn takes "
               "(features, labels, mode, config).",
          shows=("dnn_signature",),
          holds=lambda f: f["dnn_signature"] == {"learning_rate_argument": False, "params": {},
                                                 "model_fn_arguments": ["features", "labels", "mode", "config"]},
          differs="iris_lib's canned classes add learning_rate=, the rate of their default optimizer."),
    Claim("real-v1-dnn-per-layer-summaries", PAGE,
          quote="**It writes the same per-layer summaries** as the TensorFlow 1 class "
                "(`dnn/dnn/hiddenlayer_N/fraction_of_zero_values`\nand `.../activation`)",
          says="The V1 DNNClassifier's training events hold dnn/dnn/hiddenlayer_N/fraction_of_zero_values and "
               "dnn/dnn/hiddenlayer_N/activation for each hidden layer.",
          shows=("v1_dnn_layer_summaries",),
          holds=lambda f: f["v1_dnn_layer_summaries"] == [
              "dnn/dnn/hiddenlayer_0/activation", "dnn/dnn/hiddenlayer_0/fraction_of_zero_values",
              "dnn/dnn/hiddenlayer_1/activation", "dnn/dnn/hiddenlayer_1/fraction_of_zero_values"]),
    Claim("real-v1-canned-slot-names", PAGE,
          quote="The real V1 linear models stored their weights\npartitioned (`.../weights/part_0/Ftrl`) and the V1 "
                "DNN's Adagrad slots had a `t_0` piece",
          says="The real V1 LinearClassifier's checkpoint has .../weights/part_0/Ftrl slots and the V1 "
               "DNNClassifier's has .../kernel/t_0/Adagrad; the weights themselves are dnn/hiddenlayer_0/kernel "
               "and linear/linear_model/SepalLength/weights.",
          shows=("canned_variable_names",),
          holds=lambda f: f["canned_variable_names"] == {"dnn_slot_t_0": True, "dnn_weights": True,
                                                         "linear_slot_part_0": True, "linear_weights": True}),
    Claim("real-v2-canned-keras-optimizer-state", PAGE,
          quote="their optimizer state is under `training/Adagrad/...` as in the real checkpoint",
          says="The real V2 DNNClassifier's checkpoint keeps its Adagrad state under training/Adagrad/....",
          shows=("v2_dnn_optimizer_state_under_training",),
          holds=lambda f: f["v2_dnn_optimizer_state_under_training"]),
    Claim("real-head-wants-keras-optimizer-and-metric-objects", PAGE,
          quote="`create_estimator_spec(optimizer=...)` takes a `tf.compat.v1.train` optimizer (with "
                "`trainable_variables=`), not a\ntf_keras one",
          says="The real MultiClassHead.create_estimator_spec refuses a tf.compat.v1.train optimizer (ValueError) "
               "and its metrics() are Keras metric objects.",
          shows=("head_v1_optimizer", "head_metrics_are_keras"),
          holds=lambda f: f["head_v1_optimizer"] == "ValueError" and f["head_metrics_are_keras"],
          differs="iris_lib's public heads take a tf.compat.v1.train optimizer and build their metrics in the "
                  "model_fn's graph (Keras 3 cannot run in a TF1 graph)."),
    Claim("real-numpy-input-fn-queue-runners", PAGE,
          quote="**`numpy_input_fn` and `pandas_input_fn` use `tf.data`**, not queue runners: the same batches, "
                "epochs,\ndtypes and shapes",
          says="The real numpy_input_fn feeds its batches through queue runners; unshuffled, 10 examples in "
               "batches of 4 for one epoch come as 4, 4 and 2 rows in order, float64 features and int64 labels.",
          shows=("numpy_input_fn",),
          holds=lambda f: f["numpy_input_fn"]["real_queue_runners"] in (True, None)
          and f["numpy_input_fn"]["batches"] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
          and f["numpy_input_fn"]["dtypes"] == ["float64", "int64"]),
    Claim("real-v2-baseline-fails-with-several-features", PAGE,
          quote="so with two or more features its initializer read the input before the iterator was initialized\n"
                "and training failed",
          says="The real tf.estimator.BaselineClassifier fails to train on two features (FailedPreconditionError); "
               "given a lone Tensor as the features it fails too (AttributeError).",
          shows=("v2_baseline",),
          holds=lambda f: f["v2_baseline"] == {"two_features": "FailedPreconditionError",
                                               "lone_tensor": "AttributeError"},
          differs="iris_lib creates the bias as the V1 classes did, so it trains on several features and on a lone "
                  "Tensor."),
    Claim("real-v1-dnn-estimator-refuses-public-head", PAGE,
          quote="given a public one\n(`tf.estimator.MultiClassHead`...) they failed at `train` because it wanted a "
                "Keras optimizer",
          says="The real tf.compat.v1.estimator.DNNEstimator given tf.estimator.MultiClassHead fails at train().",
          shows=("v1_dnn_estimator_public_head",),
          holds=lambda f: f["v1_dnn_estimator_public_head"] == "ValueError",
          differs="iris_lib's public heads take the V1 classes' tf.compat.v1.train optimizer, so either head trains."),
    Claim("real-keras-2-names-layers-per-graph", PAGE,
          quote="The real Estimator ran them with Keras 2, which\nnumbered layer names (`dense`, `dense_1`, ...) per "
                "graph, so the train, eval, predict and export graphs named\ntheir variables alike",
          says="A model_fn of tf.keras.layers.Dense layers and a tf.keras.Sequential trains, evaluates, trains on "
               "and predicts on the real Estimator; its checkpoint names are dense/kernel, "
               "sequential/dense_1/kernel, sequential/named/kernel and dense_2/kernel.",
          shows=("keras_layers",),
          holds=lambda f: f["keras_layers"]["steps"] == [3, 3, 6, 3]
          and f["keras_layers"]["kernels"] == ["dense/kernel", "dense_2/kernel", "sequential/dense_1/kernel",
                                               "sequential/named/kernel"]),
    Claim("real-keras-2-dropout-has-no-variable", PAGE,
          quote="Keras 2's Dropout had no variable",
          says="The real checkpoint of a model_fn with a tf.keras.layers.Dropout holds no variable of the Dropout.",
          shows=("keras_dropout_variables",),
          holds=lambda f: f["keras_dropout_variables"] == [],
          differs="Keras 3's Dropout saves seed_generator/seed_generator_state in the checkpoint."),
    Claim("real-keras-2-dropout-new-mask-each-step-from-graph-seed", PAGE,
          quote="Keras 2's Dropout drew a new mask at every step, from the graph's seed",
          says="In a TF1 graph with seed 3, a tf.keras.layers.Dropout(0.5) gives a different mask at each of "
               "three session runs, and a second graph with seed 3 gives the same three masks.",
          shows=("keras_dropout_masks",),
          holds=lambda f: f["keras_dropout_masks"] == {"each_run_new": True, "same_seed_same_masks": True}),
    Claim("real-keras-2-initial-weights-ignore-graph-seed", PAGE,
          quote="the real Estimator's Keras layers started from other weights at every run",
          says="Two TF1 graphs with seed 3 give a tf.keras.layers.Dense different initial kernels on the real "
               "engine.",
          shows=("keras_dense_same_start_under_one_seed",),
          holds=lambda f: f["keras_dense_same_start_under_one_seed"] is False,
          differs="iris_lib takes Keras's default seeds from the graph's seed: the same kernels."),
    Claim("real-keras-batch-norm-moving-mean-not-updated", PAGE,
          quote="neither Keras adds them to the train_op (after training, both\ncheckpoints hold zero moving means)",
          says="After 3 training steps of a model_fn with tf.keras.layers.BatchNormalization()(x, training=True), "
               "the real checkpoint's moving_mean is all zeros, and UPDATE_OPS is empty.",
          shows=("keras_batch_norm",),
          holds=lambda f: f["keras_batch_norm"] == {"moving_mean_all_zero": True, "update_ops": 0}),
]


def _keras_layer_facts(tf, tf2_, workdir, train_x, train_y):
    """A TF2-era model_fn of Keras layers: its variable names, and what Dropout and BatchNormalization keep."""
    import numpy as np

    keras, v1 = tf2_.keras, tf2_.compat.v1
    update_ops = []

    def model_fn(features, labels, mode, params):
        x = v1.feature_column.input_layer(features, [v1.feature_column.numeric_column(k) for k in sorted(features)])
        training = mode == tf2_.estimator.ModeKeys.TRAIN
        hidden = keras.layers.Dense(8, activation="relu")(x)
        hidden = keras.Sequential([keras.layers.Dense(8), keras.layers.Dense(6, name="named")])(hidden)
        if params.get("dropout"):
            hidden = keras.layers.Dropout(0.3)(hidden, training=training)
        if params.get("batch_norm"):
            hidden = keras.layers.BatchNormalization()(hidden, training=training)
            update_ops.append(len(v1.get_collection(v1.GraphKeys.UPDATE_OPS)))
        logits = keras.layers.Dense(3)(hidden)
        if mode == tf2_.estimator.ModeKeys.PREDICT:
            return tf2_.estimator.EstimatorSpec(mode, predictions={"logits": logits})
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        train_op = v1.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=v1.train.get_global_step())
        return tf2_.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    def train_in():
        return train_input_fn(tf, train_x, train_y, batch_size=10)

    def trained(name, **params):
        estimator = tf2_.estimator.Estimator(model_fn, model_dir=str(workdir / name), params=params)
        estimator.train(train_in, steps=3)
        return estimator

    plain = trained("keras_layers")
    steps = [int(plain.get_variable_value("global_step")), int(plain.evaluate(train_in, steps=1)["global_step"])]
    plain.train(train_in, steps=3)
    steps += [int(plain.get_variable_value("global_step")), len(list(plain.predict(
        lambda: eval_input_fn(tf, train_x[:3], None, 3))))]
    with_dropout = trained("keras_dropout", dropout=True)

    def draws_under_seed_3():
        """Three Dropout masks and a Dense's initial kernel, in a fresh TF1 graph with seed 3."""
        with tf2_.Graph().as_default():
            v1.set_random_seed(3)
            masked = keras.layers.Dropout(0.5)(tf2_.ones([1, 64]), training=True)
            dense = keras.layers.Dense(2)
            dense(tf2_.ones([1, 3]))
            with v1.Session() as session:
                session.run(v1.global_variables_initializer())
                kernel = session.run(tf2_.convert_to_tensor(dense.kernel)).tolist()
                return [session.run(masked).tolist() for _ in range(3)], kernel

    (masks, kernel), (masks_again, kernel_again) = draws_under_seed_3(), draws_under_seed_3()
    with_batch_norm = trained("keras_batch_norm", batch_norm=True)
    moving_mean = [n for n in with_batch_norm.get_variable_names() if n.endswith("moving_mean")]
    return {
        "keras_layers": {"steps": steps, "kernels": sorted(n for n in plain.get_variable_names()
                                                           if n.endswith("kernel"))},
        "keras_dropout_variables": sorted(set(with_dropout.get_variable_names()) - set(plain.get_variable_names())),
        "keras_dropout_masks": {"each_run_new": masks[0] != masks[1] != masks[2], "same_seed_same_masks":
                                masks == masks_again},
        "keras_dense_same_start_under_one_seed": kernel == kernel_again,
        "keras_batch_norm": {"moving_mean_all_zero": len(moving_mean) == 1 and not np.any(
            with_batch_norm.get_variable_value(moving_mean[0])), "update_ops": max(update_ops)},
    }


def _event_records(directory):
    """Kinds of record in a directory's event files, and the scalar and other summary tags."""
    import glob
    import os
    import tensorflow
    kinds = set()
    tags = set()
    for path in sorted(glob.glob(os.path.join(directory, "events.out.tfevents.*"))):
        for event in tensorflow.compat.v1.train.summary_iterator(path):
            what = event.WhichOneof("what")
            if what == "session_log":
                kinds.add("session_log:" + tensorflow.compat.v1.SessionLog.SessionStatus.Name(
                    event.session_log.status))
            elif what == "summary":
                for value in event.summary.value:
                    tags.add(value.tag)
            elif what in ("graph_def", "meta_graph_def"):
                kinds.add(what)
    return kinds, tags


def _checkpoint_log_steps(model_dir):
    """The steps of the SessionLog CHECKPOINT records in a model_dir's event files, in the order written."""
    import glob
    import os
    import tensorflow
    steps = []
    for path in sorted(glob.glob(os.path.join(model_dir, "events.out.tfevents.*"))):
        for event in tensorflow.compat.v1.train.summary_iterator(path):
            if event.WhichOneof("what") == "session_log" and \
                    event.session_log.status == tensorflow.compat.v1.SessionLog.CHECKPOINT:
                steps.append(event.step)
    return steps


def _newest_step(tf, model_dir):
    path = tf.train.latest_checkpoint(model_dir)
    return None if path is None else int(path.rsplit("-", 1)[1])


def _checkpoint_steps_on_disk(model_dir):
    import os
    return sorted({int(n.split("-")[1].split(".")[0]) for n in os.listdir(model_dir)
                   if n.startswith("model.ckpt-") and n.endswith(".index")})


def facts(tf, workdir):
    import gc
    import glob
    import json
    import logging
    import os
    import re
    import shutil
    import socket
    import threading

    import numpy as np

    (train_x, train_y), (test_x, test_y) = load_iris()
    params = guide_params(tf)
    guide = guide_model_fn(tf)
    config = tf.estimator.RunConfig(tf_random_seed=7)
    out = {}

    def train_in(features=train_x, labels=train_y):
        return lambda: train_input_fn(tf, features, labels)

    def estimator(name, model_fn=guide, run_config=config, **kwargs):
        kwargs.setdefault("params", params)
        return tf.estimator.Estimator(model_fn, model_dir=str(workdir / name), config=run_config, **kwargs)

    class Warnings(logging.Handler):
        """Collects the WARNING records of TensorFlow's logger while it is attached."""
        def __init__(self):
            super().__init__(logging.WARNING)
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

        def __enter__(self):
            self.logger = logging.getLogger("tensorflow")
            self.saved_level = self.logger.level
            self.logger.setLevel(logging.WARNING)
            self.logger.addHandler(self)
            return self

        def __exit__(self, *exc):
            self.logger.removeHandler(self)
            self.logger.setLevel(self.saved_level)

    # -- a train_op that forgets the global step, on a repeating input: a hook stops it after 30 runs
    def forgetful_model_fn(features, labels, mode, params):
        loss = guide(features, labels, tf.estimator.ModeKeys.EVAL, params).loss
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.train.AdagradOptimizer(0.1).minimize(loss))

    class StopAfter(tf.train.SessionRunHook):
        def __init__(self, runs):
            self.limit, self.runs = runs, 0

        def after_run(self, run_context, run_values):
            self.runs += 1
            if self.runs >= self.limit:
                run_context.request_stop()

    stopper = StopAfter(30)
    forgetful = estimator("forgetful", forgetful_model_fn)
    with Warnings() as warnings:
        raised = error_name(lambda: forgetful.train(train_in(), steps=5, hooks=[stopper]))
    out["forgetful"] = {"raised": raised, "session_runs": stopper.runs,
                        "global_step": int(forgetful.get_variable_value("global_step")) if raised is None else None,
                        "warned": any("global step" in m and "has not been increased" in m
                                      for m in warnings.messages)}

    # -- another model in a trained model's model_dir
    trained = estimator("trained")
    trained.train(train_in(), steps=10)
    deeper = estimator("trained", params=guide_params(tf, (10, 10, 10)))
    wider = estimator("trained", params=guide_params(tf, (20, 20)))
    shutil.copytree(workdir / "trained", workdir / "trained_copy")  # a layer fewer drops dense_2 from it
    fewer = estimator("trained_copy", params=guide_params(tf, (10,)))
    out["other_model"] = {"deeper": error_name(lambda: deeper.train(train_in(), steps=1)),
                          "wider": error_name(lambda: wider.train(train_in(), steps=1)),
                          "fewer": error_name(lambda: fewer.train(train_in(), steps=1)),
                          "kernel_after": dict(tf.train.list_variables(str(workdir / "trained")))["dense/kernel"],
                          "kernel_after_fewer": dict(tf.train.list_variables(
                              str(workdir / "trained_copy")))["dense/kernel"]}

    # -- a damaged checkpoint file
    damaged_dir = str(workdir / "damaged")
    damaged_config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=10)
    damaged = estimator("damaged", run_config=damaged_config)
    damaged.train(train_in(), steps=30)
    old_10 = tf.train.load_variable(os.path.join(damaged_dir, "model.ckpt-10"), "dense/kernel")
    with open(os.path.join(damaged_dir, "checkpoint"), "w") as handle:
        handle.write('model_checkpoint_path: "model.ckpt-99"\n')
    out["latest_checkpoint_missing_files"] = tf.train.latest_checkpoint(damaged_dir)
    with open(os.path.join(damaged_dir, "checkpoint"), "w") as handle:
        handle.write("\x00garbage{{{\n")
    out["latest_checkpoint_garbage"] = tf.train.latest_checkpoint(damaged_dir)
    raised = error_name(lambda: damaged.train(train_in(), steps=10))
    new_10 = tf.train.load_variable(os.path.join(damaged_dir, "model.ckpt-10"), "dense/kernel")
    state = tf.train.get_checkpoint_state(damaged_dir)
    out["damaged_restart"] = {
        "raised": raised, "step": int(damaged.get_variable_value("global_step")) if raised is None else None,
        "old_ckpt_10_replaced": not np.array_equal(old_10, new_10),
        "old_ckpt_30_on_disk": os.path.exists(os.path.join(damaged_dir, "model.ckpt-30.index")),
        "checkpoint_file_lists": None if state is None or raised else [
            int(p.rsplit("-", 1)[1]) for p in state.all_model_checkpoint_paths]}

    # -- a NaN loss from step 9 on, checkpoints every 10 steps
    def nan_model_fn(features, labels, mode, params):
        spec = guide(features, labels, tf.estimator.ModeKeys.EVAL, params)
        step = tf.train.get_global_step()
        factor = tf.where(step >= 9, tf.constant(float("nan")), tf.constant(1.0))
        loss = spec.loss * factor
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=step)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    nan_dir = str(workdir / "nan")
    nan_estimator = estimator("nan", nan_model_fn, run_config=damaged_config)
    try:
        nan_estimator.train(train_in(), steps=50)
        nan_error, nan_message = None, None
    except Exception as error:  # noqa: BLE001
        nan_error, nan_message = type(error).__name__, str(error)
    out["nan_error"] = nan_error
    out["nan_message_is_bare"] = nan_message == "NaN loss during training."
    newest = _newest_step(tf, nan_dir)
    out["nan_newest_checkpoint"] = {
        "step": newest,
        "weights_finite": bool(np.isfinite(tf.train.load_variable(nan_dir, "dense/kernel")).all())}

    # -- evaluate on no data
    empty_x, empty_y = test_x.iloc[:0], test_y.iloc[:0]
    try:
        metrics = trained.evaluate(lambda: eval_input_fn(tf, empty_x, empty_y))
        out["evaluate_no_data"] = {"raised": None, "loss": float(metrics["loss"]),
                                   "accuracy": float(metrics["accuracy"])}
    except Exception as error:  # noqa: BLE001
        out["evaluate_no_data"] = {"raised": type(error).__name__}

    # -- train on no data
    with Warnings() as warnings:
        estimator("no_data").train(lambda: eval_input_fn(tf, empty_x, empty_y), steps=5)
    out["train_no_data_warnings"] = [m for m in warnings.messages if "deprecated" not in m]

    # -- a second trainer in the same model_dir while the first is at step 10
    second_result = {}

    class SecondTrainer(tf.train.SessionRunHook):
        def begin(self):
            self.step = tf.train.get_global_step()

        def after_run(self, run_context, run_values):
            if not second_result and run_context.session.run(self.step) >= 10:
                second = estimator("shared")
                second_result["raised"] = error_name(lambda: second.train(train_in(), max_steps=50))
                second_result["reached"] = _newest_step(tf, str(workdir / "shared"))
    first = estimator("shared")
    first.train(train_in(), steps=20, hooks=[SecondTrainer()])
    out["two_trainers"] = {"second_raised": second_result.get("raised"), "second_reached": second_result.get("reached"),
                           "final_step": _newest_step(tf, str(workdir / "shared"))}

    # -- a model_dir with glob characters
    glob_dir = workdir / "lr[0.1]"
    made = error_name(lambda: estimator("lr[0.1]"))
    glob_result = {"made": made}
    if made is None:
        import faulthandler
        globbed = estimator("lr[0.1]")
        globbed.train(train_in(), steps=5)
        glob_result["checkpoints_written"] = os.path.exists(glob_dir / "model.ckpt-5.index")
        glob_result["second_train"] = error_name(lambda: globbed.train(train_in(), steps=5))
        glob_result["evaluate_global_step"] = int(globbed.evaluate(
            lambda: eval_input_fn(tf, test_x, test_y))["global_step"])
    out["glob_model_dir"] = glob_result

    # -- model_dir '' and a file
    result = {}
    try:
        empty_dir = tf.estimator.Estimator(guide, model_dir="", config=config, params=params)
        result = {"made": None, "temporary_folder": bool(empty_dir.model_dir) and os.path.isdir(empty_dir.model_dir)}
    except Exception as error:  # noqa: BLE001
        result = {"made": type(error).__name__}
    out["model_dir_empty"] = result
    a_file = workdir / "a_file"
    a_file.write_text("not a folder")
    try:
        file_dir = tf.estimator.Estimator(guide, model_dir=str(a_file), config=config, params=params)
        result = {"made": None, "train": error_name(lambda: file_dir.train(train_in(), steps=1))}
    except Exception as error:  # noqa: BLE001
        result = {"made": type(error).__name__}
    out["model_dir_file"] = result

    # -- a distribution strategy with one device
    one_device = tf.estimator.RunConfig(tf_random_seed=7,
                                        train_distribute=tf2().distribute.OneDeviceStrategy("/cpu:0"))
    strategy_estimator = estimator("one_device", run_config=one_device)
    strategy_estimator.train(lambda: train_input_fn(tf, train_x, train_y), steps=5)
    out["one_device_strategy_step"] = int(strategy_estimator.get_variable_value("global_step"))

    # -- the same tf_random_seed, twice; then with Python's random seeded too
    def first_kernel(name, seed_python):
        if seed_python:
            tf2().keras.utils.set_random_seed(3)
        seeded = estimator(name, run_config=tf.estimator.RunConfig(tf_random_seed=1))
        seeded.train(train_in(), max_steps=1)
        return seeded.get_variable_value("dense/kernel")
    out["same_seed_same_weights"] = bool(np.array_equal(first_kernel("seed_a", False), first_kernel("seed_b", False)))
    out["same_seed_and_python_seed_same_weights"] = bool(np.array_equal(first_kernel("seed_c", True),
                                                                        first_kernel("seed_d", True)))

    # -- Ctrl-C at step 30, checkpoints every 20 steps
    class Interrupt(tf.train.SessionRunHook):
        def begin(self):
            self.step = tf.train.get_global_step()

        def after_run(self, run_context, run_values):
            if run_context.session.run(self.step) >= 30:
                raise KeyboardInterrupt
    interrupted = estimator("ctrl_c", run_config=tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=20))
    try:
        interrupted.train(train_in(), steps=100, hooks=[Interrupt()])
        raised = None
    except BaseException as error:  # noqa: BLE001
        raised = type(error).__name__
    out["ctrl_c"] = {"raised": raised, "newest_checkpoint": _newest_step(tf, str(workdir / "ctrl_c"))}

    # -- evaluate's checkpoint rotated away by a trainer while it builds its graph
    rotate_config = tf.estimator.RunConfig(tf_random_seed=7, save_checkpoints_steps=10, keep_checkpoint_max=1)
    estimator("rotated", run_config=rotate_config).train(train_in(), steps=20)
    rotated_calls = []

    def rotating_input_fn():
        if not rotated_calls:
            estimator("rotated", run_config=rotate_config).train(train_in(), steps=20)
        rotated_calls.append(1)
        return eval_input_fn(tf, test_x, test_y)
    try:
        metrics = estimator("rotated", run_config=rotate_config).evaluate(rotating_input_fn)
        out["evaluate_rotated_away"] = {"raised": None, "global_step": int(metrics["global_step"])}
    except Exception as error:  # noqa: BLE001
        out["evaluate_rotated_away"] = {"raised": type(error).__name__, "global_step": None}

    # -- event files: names and records (the model trained above, then evaluated)
    trained_dir = str(workdir / "trained")
    metrics = trained.evaluate(lambda: eval_input_fn(tf, test_x, test_y))
    host = re.escape(socket.gethostname())
    names = [os.path.basename(p) for p in glob.glob(os.path.join(trained_dir, "events.out.tfevents.*"))
             + glob.glob(os.path.join(trained_dir, "eval", "events.out.tfevents.*"))]
    out["event_file_names_second_and_host"] = bool(names) and all(
        re.fullmatch(r"events\.out\.tfevents\.\d+\." + host, n) for n in names)
    train_kinds, train_tags = _event_records(trained_dir)
    eval_kinds, eval_tags = _event_records(os.path.join(trained_dir, "eval"))
    out["event_records"] = {
        "train": sorted(train_kinds | {f"summary:{t}" for t in train_tags if t in ("loss", "accuracy")}),
        "eval": sorted(eval_kinds | {f"metric:{t}" for t in eval_tags if t in ("loss", "accuracy")}
                       | ({"checkpoint_path"} if "checkpoint_path" in eval_tags else set()))}
    out["evaluate_types"] = {k: type(v).__name__ for k, v in metrics.items()}
    out["evaluate_json_dumps"] = error_name(lambda: json.dumps(metrics))

    # -- evaluation summary that cannot be written: model_dir/eval is a file
    unwritable_dir = workdir / "unwritable"
    shutil.copytree(trained_dir, unwritable_dir)
    shutil.rmtree(unwritable_dir / "eval")
    (unwritable_dir / "eval").write_text("a file where the eval folder should be")

    class Ends(tf.train.SessionRunHook):
        ended = False

        def end(self, session):
            Ends.ended = True
    unwritable = estimator("unwritable")
    raised = error_name(lambda: unwritable.evaluate(lambda: eval_input_fn(tf, test_x, test_y), hooks=[Ends()]))
    out["evaluate_unwritable_summary"] = {"raised": raised, "evaluation_ran_to_end": Ends.ended}

    # -- the hooks of the MonitoredSession that train() runs
    from tensorflow.python.training import monitored_session
    hooks_seen = []
    original_init = monitored_session.MonitoredSession.__init__

    def recording_init(self, *args, **kwargs):
        hooks_seen.extend(type(h).__name__ for h in kwargs.get("hooks") or [])
        return original_init(self, *args, **kwargs)
    monitored_session.MonitoredSession.__init__ = recording_init
    try:
        estimator("monitored").train(train_in(), steps=1)
    finally:
        monitored_session.MonitoredSession.__init__ = original_init
    out["monitored_session_hooks"] = sorted(set(hooks_seen))

    # -- train() saves the step it restored as soon as its session exists (the real CheckpointSaverHook)
    twice = estimator("trained_twice")
    twice.train(train_in(), steps=5)
    twice.train(train_in(), steps=5)
    out["checkpoint_logs_of_two_trains"] = _checkpoint_log_steps(twice.model_dir)

    # -- an evaluator task reading the newest checkpoint while a restarted chief saves it again in place: the
    # saver's `_temp` folder is there and the index half-written. The evaluator's first wait finishes that save.
    import time
    resaved = str(workdir / "resaved")
    shutil.copytree(workdir / "trained_twice", resaved, ignore=shutil.ignore_patterns("events.out.tfevents.*"))
    index = os.path.join(resaved, "model.ckpt-10.index")
    with open(index, "rb") as handle:
        whole_index = handle.read()
    os.makedirs(os.path.join(resaved, "model.ckpt-10_temp"))
    with open(index, "wb") as handle:
        handle.write(whole_index[:len(whole_index) // 2])
    evaluated = []

    def save_completes(secs):
        with open(index, "wb") as handle:
            handle.write(whole_index)
        shutil.rmtree(os.path.join(resaved, "model.ckpt-10_temp"), ignore_errors=True)

    os.environ["TF_CONFIG"] = json.dumps({"cluster": {"chief": ["127.0.0.1:2222"]},
                                          "task": {"type": "evaluator", "index": 0}})
    try:
        evaluator = tf.estimator.Estimator(guide, model_dir=resaved, params=params, config=tf.estimator.RunConfig())
    finally:
        del os.environ["TF_CONFIG"]
    evaluate = evaluator.evaluate

    def recording_evaluate(*args, **kwargs):
        result = evaluate(*args, **kwargs)
        evaluated.append(int(result["global_step"]))
        return result
    evaluator.evaluate = recording_evaluate
    real_sleep, time.sleep = time.sleep, save_completes
    try:
        raised = error_name(lambda: tf.estimator.train_and_evaluate(
            evaluator, tf.estimator.TrainSpec(train_in(), max_steps=10),
            tf.estimator.EvalSpec(lambda: eval_input_fn(tf, test_x, test_y), steps=None, start_delay_secs=0,
                                  throttle_secs=0)))
    finally:
        time.sleep = real_sleep
    out["evaluator_during_an_in_place_save"] = {"raised": raised, "evaluated_steps": evaluated}

    # -- a cluster worker's wait for the chief, and its start delay (no cluster needed to read them)
    import ledger
    if ledger.ENGINE == "real":
        from tensorflow_estimator.python.estimator import training as training_module
        with tf.Graph().as_default():
            tf.train.get_or_create_global_step()
            creator = tf.train.WorkerSessionCreator(scaffold=tf.train.Scaffold())
            out["worker_recheck_secs"] = creator._get_session_manager()._recovery_wait_secs
    else:
        from iris_lib.estimator import monitored_training
        from iris_lib.estimator import training as training_module
        out["worker_recheck_secs"] = monitored_training._WORKER_RECHECK_SECS
    out["worker_start_delay"] = {"per_worker_secs": training_module._DELAY_SECS_PER_WORKER,
                                 "max_secs": training_module._MAX_DELAY_SECS}

    tf2_ = tf2()
    out["evaluate_and_predict_in_estimator"] = (hasattr(tf.estimator.Estimator, "evaluate_and_predict")
                                                or hasattr(tf.estimator, "evaluate_and_predict")
                                                or hasattr(tf2_.estimator, "evaluate_and_predict"))

    out.update(_canned_facts(tf, tf2_, workdir, train_x, train_y, test_x, test_y))
    out.update(_keras_layer_facts(tf, tf2_, workdir, train_x, train_y))

    # -- at the end: event files still open, against the folders that have one, once the Estimators are gone
    del trained, deeper, wider, fewer, forgetful, damaged, nan_estimator, first, interrupted, unwritable
    gc.collect()
    fds = "/proc/self/fd"
    open_files = set()
    for fd in os.listdir(fds):
        try:
            open_files.add(os.path.realpath(os.path.join(fds, fd)))
        except OSError:
            pass
    root = os.path.realpath(workdir)
    open_dirs = {os.path.dirname(p) for p in open_files
                 if p.startswith(root) and os.path.basename(p).startswith("events.out.tfevents.")}
    event_dirs = {os.path.dirname(os.path.realpath(p)) for p in glob.glob(str(workdir / "**" / "events.out.tfevents.*"),
                                                                             recursive=True)
                  if "unwritable" not in p}  # (its event files were copied there, not written)
    out["event_files_open_at_the_end"] = {"folders_with_events_at_least_10": len(event_dirs) >= 10,
                                          "folders_with_none_open": sorted(os.path.relpath(d, root)
                                                                           for d in event_dirs - open_dirs)}
    threads = sum(1 for t in threading.enumerate() if type(t).__name__ == "_EventLoggerThread")
    out["event_writer_threads_alive"] = bool(open_dirs) and threads >= len(open_dirs)
    return out


def _adagrad_rate(tf):
    """A hook that reads the learning rate fed to the graph's Adagrad update ops."""
    class Rate(tf.train.SessionRunHook):
        rate = None

        def begin(self):
            ops = [op for op in tf.get_default_graph().get_operations() if "ApplyAdagrad" in op.type]
            self.tensor = ops[0].inputs[2] if ops else None

        def after_create_session(self, session, coord):
            if self.tensor is not None:
                Rate.rate = round(float(session.run(self.tensor)), 6)
    return Rate


def _canned_facts(tf, tf2_, workdir, train_x, train_y, test_x, test_y):
    import inspect
    import re

    import numpy as np

    from ledger import numeric_columns
    out = {}
    columns = numeric_columns(tf)

    def train_in():
        return train_input_fn(tf, train_x, train_y, batch_size=10)

    # V1 DNNClassifier: optimizer, loss reduction, per-layer summaries, variable names
    rate = _adagrad_rate(tf)
    v1_dir = str(workdir / "v1_dnn")
    v1 = tf.estimator.DNNClassifier(hidden_units=[4, 3], feature_columns=columns, n_classes=3, model_dir=v1_dir,
                                    config=tf.estimator.RunConfig(tf_random_seed=7, save_summary_steps=1))
    v1.train(train_in, steps=2, hooks=[rate()])
    metrics = v1.evaluate(lambda: eval_input_fn(tf, test_x, test_y, 10))
    out["v1_dnn"] = {"optimizer": ["Adagrad", rate.rate],
                     "loss_over_average": round(float(metrics["loss"]) / float(metrics["average_loss"]))}
    _, tags = _event_records(v1_dir)
    out["v1_dnn_layer_summaries"] = sorted(t for t in tags if re.match(r"dnn/dnn/hiddenlayer_\d+/", t))
    v1_names = [name for name, _ in tf.train.list_variables(v1_dir)]

    linear_dir = str(workdir / "v1_linear")
    linear = tf.estimator.LinearClassifier(feature_columns=columns, n_classes=3, model_dir=linear_dir)
    linear.train(train_in, steps=1)
    linear_names = [name for name, _ in tf.train.list_variables(linear_dir)]
    out["canned_variable_names"] = {
        "dnn_weights": "dnn/hiddenlayer_0/kernel" in v1_names,
        "dnn_slot_t_0": any(n.endswith("/t_0/Adagrad") for n in v1_names),
        "linear_weights": "linear/linear_model/SepalLength/weights" in linear_names,
        "linear_slot_part_0": any(n.endswith("/weights/part_0/Ftrl") for n in linear_names)}

    # signature, params and model_fn of the real class
    dnn_parameters = inspect.signature(tf.estimator.DNNClassifier.__init__).parameters
    out["dnn_signature"] = {"learning_rate_argument": "learning_rate" in dnn_parameters, "params": dict(v1.params),
                            "model_fn_arguments": list(inspect.signature(v1.model_fn).parameters)}

    # V2 DNNClassifier: its optimizer's rate and where its state lives
    rate = _adagrad_rate(tf)
    v2_dir = str(workdir / "v2_dnn")
    v2 = tf2_.estimator.DNNClassifier(hidden_units=[4, 3], feature_columns=columns, n_classes=3, model_dir=v2_dir,
                                      config=tf.estimator.RunConfig(tf_random_seed=7))
    v2.train(train_in, steps=1, hooks=[rate()])
    out["v2_dnn_optimizer"] = ["Adagrad", rate.rate]
    out["v2_dnn_optimizer_state_under_training"] = any(
        name.startswith("training/Adagrad/") for name, _ in tf.train.list_variables(v2_dir))

    # the public head: a TF1 optimizer, and its metrics
    head = tf2_.estimator.MultiClassHead(n_classes=3)
    with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        weights = tf.Variable([[1.0, 2.0, 0.5]])
        logits = tf.concat([weights, weights * 0.5], axis=0)
        out["head_v1_optimizer"] = error_name(lambda: head.create_estimator_spec(
            features={"x": tf.constant([[1.0], [2.0]])}, mode="train", logits=logits,
            labels=tf.constant([[1], [2]]), optimizer=tf.train.AdagradOptimizer(0.1),
            trainable_variables=[weights]))
        metrics = head.metrics()
        out["head_metrics_are_keras"] = bool(metrics) and all("keras" in type(m).__module__ for m in metrics.values())

    # numpy_input_fn: queue runners, batches, dtypes
    x = {"x": np.arange(10, dtype=np.float64)}
    y = np.arange(10, dtype=np.int64)
    with tf.Graph().as_default():
        features, labels = tf.estimator.inputs.numpy_input_fn(x, y, batch_size=4, num_epochs=1, shuffle=False)()
        runners = tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        batches = []
        with tf.train.MonitoredSession() as session:
            while not session.should_stop():
                try:
                    values = session.run(labels)
                except tf.errors.OutOfRangeError:
                    break
                batches.append(values.tolist())
        out["numpy_input_fn"] = {"real_queue_runners": bool(runners) if ENGINE_IS_REAL() else None,
                                 "batches": batches, "dtypes": [features["x"].dtype.name, labels.dtype.name]}

    # the V2 Baseline classifier on two features, and on a lone Tensor
    def two_features():
        return tf.data.Dataset.from_tensor_slices(
            ({"a": train_x["SepalLength"].to_numpy(), "b": train_x["SepalWidth"].to_numpy()},
             train_y.to_numpy())).repeat().batch(10)

    def lone_tensor():
        return tf.data.Dataset.from_tensor_slices(
            (train_x["SepalLength"].to_numpy()[:, None], train_y.to_numpy())).repeat().batch(10)
    out["v2_baseline"] = {
        "two_features": error_name(lambda: tf2_.estimator.BaselineClassifier(
            n_classes=3, model_dir=str(workdir / "baseline_two")).train(two_features, steps=1)),
        "lone_tensor": error_name(lambda: tf2_.estimator.BaselineClassifier(
            n_classes=3, model_dir=str(workdir / "baseline_tensor")).train(lone_tensor, steps=1))}

    # the V1 DNNEstimator with a public head
    out["v1_dnn_estimator_public_head"] = error_name(lambda: tf.estimator.DNNEstimator(
        head=tf2_.estimator.MultiClassHead(n_classes=3), hidden_units=[4], feature_columns=columns,
        model_dir=str(workdir / "dnn_estimator")).train(train_in, steps=1))
    return out


def ENGINE_IS_REAL():
    import ledger
    return ledger.ENGINE == "real"


if __name__ == "__main__":
    main(facts)
