"""The public `tf.estimator` surface, name by name, on either engine.

Usage: python surface_program.py real|ours [REAL_JSON]
  real: the real tf.estimator (TF 2.15 + tensorflow-estimator 2.15, legacy venv).
  ours: iris_lib, reached as a user reaches it: `iris_lib.tf1.estimator` (tf.compat.v1.estimator) and, after
  `import iris_lib.estimator_shim`, `tf.estimator` (iris_lib.estimator.api.ESTIMATOR_V2). REAL_JSON (the
  real run's output, optional) adds the real names to the ones looked up, so a name our `dir()` does not
  list is still asked for and reported as "missing" (MissingFromIrisLib, with its advice) or "absent".

Walks `tf.estimator` and `tf.compat.v1.estimator` with their `export`, `experimental` and `inputs`
namespaces (`tpu` is recorded as a name, not walked). Prints one JSON line: {qualified name: record}, where
a record has the `kind` (class, function, module, other, missing, absent), for a function or a class its
`parameters` (name, kind, whether it has a default, and the default where it is a simple literal), and for
a class its public `methods` (with their parameters), `properties` and plain `attributes` (simple literal
values only, e.g. ModeKeys.TRAIN).
"""
import dataclasses
import enum
import inspect
import json
import sys

ENGINE = sys.argv[1]
if ENGINE == "ours":
    import iris_lib.estimator_shim  # noqa: F401
    import iris_lib.tf1
    from iris_lib.estimator.api import MissingFromIrisLib
    import tensorflow as tf

    ROOTS = {"tf.estimator": tf.estimator, "tf.compat.v1.estimator": iris_lib.tf1.estimator}
else:
    import tensorflow as tf

    MissingFromIrisLib = None
    ROOTS = {"tf.estimator": tf.estimator, "tf.compat.v1.estimator": tf.compat.v1.estimator}

SUBMODULES = ("export", "experimental", "inputs")  # walked; any other module (tpu) is only named
REAL_NAMES = set()
if len(sys.argv) > 2:
    with open(sys.argv[2]) as file:
        REAL_NAMES = set(json.load(file))


def literal(value):
    """`value` if it is a simple literal JSON can hold exactly (None, bool, int, float, str, tuples and
    lists of them); otherwise a marker that only says it is not one."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):
        return f"<{type(value).__name__}.{value.name}>"
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value if value == value else "nan"
    if type(value) in (tuple, list) and all(literal(item) == item for item in value):
        return list(value)
    return "<not a literal>"


def parameters(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    result = []
    for parameter in signature.parameters.values():
        entry = {"name": parameter.name, "kind": parameter.kind.name,
                 "default": parameter.default is not inspect.Parameter.empty}
        if entry["default"]:
            entry["value"] = literal(parameter.default)
        result.append(entry)
    return result


def static(cls, name):
    """The attribute as defined on the class (or its first base that defines it), unbound."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return inspect.getattr_static(cls, name)


def constructor(cls):
    """The class's parameters; a class whose Python code defines no `__init__` nor `__new__` takes its
    builtin base's: "<inherited from object>" (TF 2.15 patches object.__init__ into a Python function with
    (*args, **kwargs), which is not a difference a user meets)."""
    builtin = {klass.__name__ for klass in cls.__mro__ if klass.__module__ == "builtins"}
    for klass in cls.__mro__:
        defined = [vars(klass)[name] for name in ("__init__", "__new__") if name in vars(klass)]
        # TF's API export puts a copy of object.__init__ into each class it exports: not defined by the class.
        defined = [f for f in defined if getattr(f, "__qualname__", "").split(".")[0] not in builtin - {klass.__name__}]
        if defined:
            if klass.__module__ == "builtins":
                return f"<inherited from {klass.__name__}>"
            return parameters(cls)
    return "<inherited from object>"


def describe_class(cls):
    record = {"kind": "class", "parameters": constructor(cls), "methods": {}, "properties": [], "attributes": {}}
    fields = {field.name for field in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for name in sorted(set(dir(cls)) | fields):
        if name.startswith("_"):
            continue
        if name in fields:  # a dataclass's field is an instance attribute, as a namedtuple's is a property
            record["properties"].append(name)
            continue
        try:
            raw = static(cls, name)
        except AttributeError:
            continue
        if type(raw).__name__ == "HiddenTfApiAttribute":  # TF's hide_attribute_from_api: raises AttributeError
            continue
        if isinstance(raw, (staticmethod, classmethod)):
            record["methods"][name] = parameters(getattr(cls, name))
        elif isinstance(raw, property) or (hasattr(raw, "__get__") and hasattr(raw, "__set__")) \
                or type(raw).__name__ in ("_tuplegetter", "getset_descriptor", "member_descriptor"):
            record["properties"].append(name)
        elif callable(raw) and not inspect.isclass(raw):
            record["methods"][name] = parameters(raw)
        else:
            record["attributes"][name] = literal(raw)
    return record


def describe(value):
    if inspect.ismodule(value):
        return {"kind": "module"}
    if inspect.isclass(value):
        return describe_class(value)
    if callable(value):
        return {"kind": "function", "parameters": parameters(value)}
    return {"kind": "other", "value": literal(value)}


def walk(prefix, namespace, surface, depth=0):
    names = {name for name in dir(namespace) if not name.startswith("_")}
    names |= {name[len(prefix) + 1:] for name in REAL_NAMES
              if name.startswith(prefix + ".") and "." not in name[len(prefix) + 1:]}
    for name in sorted(names):
        qualified = f"{prefix}.{name}"
        try:
            value = getattr(namespace, name)
        except AttributeError as error:
            missing = MissingFromIrisLib is not None and isinstance(error, MissingFromIrisLib)
            surface[qualified] = {"kind": "missing" if missing else "absent", "message": str(error)}
            continue
        surface[qualified] = describe(value)
        if inspect.ismodule(value) and name in SUBMODULES and depth == 0:
            walk(qualified, value, surface, depth + 1)


surface = {}
for prefix, root in ROOTS.items():
    walk(prefix, root, surface)
print(json.dumps(surface, sort_keys=True))
