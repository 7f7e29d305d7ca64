"""Which checkpoint in model_dir is the newest, checked file by file, so a damaged one is never skipped.

The real Estimator asked `tf.train.latest_checkpoint`, which answers None when the `checkpoint` file
is garbage or names files that are gone. None means "no model yet": training silently restarted
from step 0, and its checkpoints then overwrote and rotated away the older intact ones. Here the
`checkpoint` file is read directly, the files of the checkpoint it names are checked with `os.path`
(no glob) and read once in full (a truncated or corrupted file fails its CRC), and any problem raises
`DamagedCheckpointError` naming the bad file, the intact checkpoints that remain and how to continue
from one, before anything on disk changes. A deliberate difference from the real Estimator.
"""
from __future__ import annotations

import os
import re

import tensorflow as tf
from google.protobuf import text_format
from tensorflow.python.training.checkpoint_state_pb2 import CheckpointState

STATE_FILE = "checkpoint"
_DATA_FILE = re.compile(r"\.data-(\d{5})-of-(\d{5})$")

# prefix -> the (name, size, mtime) of its files when it last read back intact: a checkpoint is
# written once and never modified, so it need not be read again until one of its files changes.
_VERIFIED: dict[str, tuple] = {}
# How often `latest` looks again when another process's keep_checkpoint_max deletes the newest checkpoint
# while it is being checked (each look takes milliseconds; a trainer saves at most every step).
_ROTATION_RETRIES = 10


class DamagedCheckpointError(ValueError):
    """model_dir's newest checkpoint (or its `checkpoint` file) is missing, damaged or unreadable."""


def latest(model_dir: str) -> str | None:
    """Path prefix of the newest checkpoint, or None when model_dir holds none; raises if it is damaged."""
    state_path = os.path.join(model_dir, STATE_FILE)
    if not os.path.isfile(state_path):
        if intact_checkpoints(model_dir):
            raise damaged(model_dir, f"the `{STATE_FILE}` file that names the newest checkpoint is missing")
        return None
    for _ in range(_ROTATION_RETRIES):
        prefix = _absolute(model_dir, read_state(model_dir).model_checkpoint_path)
        problem = checkpoint_problem(prefix)
        if not problem:
            return prefix
        if named_latest(model_dir) == prefix:
            break  # still the newest, so damaged; else a trainer in another process rotated it away: look again
    raise damaged(model_dir, f"`{STATE_FILE}` names {os.path.basename(prefix)}, but {problem}")


def read_state(model_dir: str) -> CheckpointState:
    """The parsed `checkpoint` file (the real format: text proto, paths relative to model_dir)."""
    state_path = os.path.join(model_dir, STATE_FILE)
    try:
        with open(state_path, encoding="utf-8") as file:
            state = text_format.Parse(file.read(), CheckpointState())
    except (text_format.ParseError, UnicodeDecodeError) as error:
        raise damaged(model_dir, f"{state_path} is not a valid `{STATE_FILE}` file ({error})") from None
    if not state.model_checkpoint_path:
        raise damaged(model_dir, f"{state_path} names no model_checkpoint_path")
    return state


def all_checkpoints(model_dir: str) -> list[str]:
    """The checkpoints listed in the `checkpoint` file whose files still exist, oldest first."""
    if not os.path.isfile(os.path.join(model_dir, STATE_FILE)):
        return []
    state = read_state(model_dir)
    prefixes = [_absolute(model_dir, p) for p in state.all_model_checkpoint_paths]
    return [p for p in prefixes if os.path.isfile(p + ".index")]


def check(path: str) -> str:
    """`path` (a checkpoint_path given by the caller) if it reads back intact, else a DamagedCheckpointError."""
    problem = checkpoint_problem(path)
    if problem:
        raise damaged(os.path.dirname(path) or ".", f"checkpoint_path {path} cannot be used: {problem}")
    return path


def checkpoint_problem(prefix: str) -> str | None:
    """What is wrong with the checkpoint at `prefix` (a missing, truncated or corrupted file), or None."""
    index = prefix + ".index"
    if not os.path.isfile(index):
        return f"{os.path.basename(index)} is missing"
    directory, base = os.path.split(prefix)
    shards = {int(match.group(1)): int(match.group(2)) for _, match in _data_files(directory, base)}
    expected = next(iter(shards.values()), 1)
    missing = [f"{base}.data-{i:05d}-of-{expected:05d}" for i in range(expected) if i not in shards]
    if missing:
        return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    files = [index] + [os.path.join(directory, f"{base}.data-{i:05d}-of-{expected:05d}") for i in range(expected)]
    try:  # a trainer's keep_checkpoint_max may delete the files between the listing above and here
        signature = tuple((f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in files)
    except FileNotFoundError as error:
        return f"{os.path.basename(error.filename)} is missing"
    if _VERIFIED.get(prefix) == signature:
        return None
    try:
        reader = tf.train.load_checkpoint(prefix)
    except (tf.errors.OpError, ValueError) as error:
        return f"{os.path.basename(index)} is damaged or truncated ({_first_line(error)})"
    try:
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as error:  # noqa: BLE001 - a short data file raises IndexError, a bad CRC DataLossError
        data_files = ", ".join(os.path.basename(f) for f in files[1:])
        return f"its data ({data_files}) is damaged or truncated ({_first_line(error)})"
    _VERIFIED[prefix] = signature
    return None


def _data_files(directory: str, base: str) -> list:
    """(name, its `_DATA_FILE` match) of each data file in `directory` of the checkpoint named `base`."""
    return [(name, match) for name in os.listdir(directory or ".")
            for match in [_DATA_FILE.search(name)] if match and name[: match.start()] == base]


def intact_checkpoints(model_dir: str) -> list[str]:
    """Every checkpoint in model_dir that reads back intact, oldest step first."""
    if not os.path.isdir(model_dir):
        return []
    prefixes = [os.path.join(model_dir, name[: -len(".index")]) for name in os.listdir(model_dir)
                if name.endswith(".index")]
    return sorted((p for p in prefixes if checkpoint_problem(p) is None), key=_step_then_name)


def damaged(model_dir: str, problem: str) -> DamagedCheckpointError:
    """The error for a damaged model_dir: what is wrong, what remains intact, and how to go on."""
    intact = intact_checkpoints(model_dir)
    lines = [f"model_dir {model_dir} cannot be used: {problem}."]
    if intact:
        newest = os.path.basename(intact[-1])
        lines += [
            f"Intact checkpoints that remain: {', '.join(os.path.basename(p) for p in intact)}.",
            f"To continue from one, point the `{STATE_FILE}` file at it, e.g. "
            f"tf.compat.v1.train.update_checkpoint_state({model_dir!r}, {newest!r}) "
            f"(or edit {os.path.join(model_dir, STATE_FILE)} by hand); to read one as it is, pass "
            f"checkpoint_path={intact[-1]!r} to evaluate() or predict().",
        ]
    else:
        lines.append("No intact checkpoint remains: train from scratch in a new model_dir.")
    lines.append("Training on would have restarted from step 0 and overwritten them; nothing on disk was changed.")
    return DamagedCheckpointError("\n".join(lines))


def restore(session, saver, prefix: str) -> None:
    """Run the saver's restore op on `prefix`, letting NotFoundError through unwrapped (`Saver.restore`
    turns a checkpoint deleted meanwhile into "not a valid checkpoint" or a "missing graph key" message)."""
    tf.compat.v1.logging.info("Restoring parameters from %s", prefix)
    session.run(saver.saver_def.restore_op_name, {saver.saver_def.filename_tensor_name: prefix})


def recover_rotation(saver, model_dir: str) -> None:
    """Tell the saver about earlier calls' checkpoints so keep_checkpoint_max counts them."""
    kept = []
    for prefix in all_checkpoints(model_dir):
        try:
            kept.append((prefix, os.path.getmtime(prefix + ".index")))
        except FileNotFoundError:  # rotated away meanwhile by a trainer in another process (we only read)
            pass
    saver.set_last_checkpoints_with_time(kept)


def being_saved(prefix: str) -> bool:
    """Whether a save of `prefix` is under way. TensorFlow's savers write the new files beside the final ones (a
    sharded save into `<prefix>_temp/`, a single one into `<file>.tempstate<N>`) and move them into place last,
    so a checkpoint caught mid-replacement has one of these. On a cluster this happens to the newest one: a
    restarted chief saves again the step it restored, over the files an evaluator may be reading."""
    directory, base = os.path.split(prefix)
    try:
        names = os.listdir(directory or ".")
    except FileNotFoundError:
        return False
    return any(name == base + "_temp" or (name.startswith(base + ".") and ".tempstate" in name) for name in names)


def files_signature(prefix: str) -> tuple | None:
    """(name, inode, size, mtime) of the checkpoint's files, or None when one is gone: it changes when the
    checkpoint is saved again (its files are replaced or rewritten)."""
    directory, base = os.path.split(prefix)
    try:
        names = [name for name, _ in _data_files(directory, base)]
        if os.path.isfile(prefix + ".index"):
            names.append(base + ".index")
        stats = [(n, os.stat(os.path.join(directory, n))) for n in sorted(names)]
    except FileNotFoundError:
        return None
    return tuple((n, st.st_ino, st.st_size, st.st_mtime_ns) for n, st in stats)


def named_latest(model_dir: str) -> str | None:
    """The prefix the `checkpoint` file names right now, unchecked, or None: to notice a rotation."""
    try:
        with open(os.path.join(model_dir, STATE_FILE), encoding="utf-8") as file:
            state = text_format.Parse(file.read(), CheckpointState())
    except (OSError, text_format.ParseError, UnicodeDecodeError):
        return None
    return _absolute(model_dir, state.model_checkpoint_path) if state.model_checkpoint_path else None


def _absolute(model_dir: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(model_dir, path)


def _step_then_name(prefix: str):
    step = prefix.rsplit("-", 1)[-1]
    return (int(step), prefix) if step.isdigit() else (-1, prefix)


def _first_line(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__
