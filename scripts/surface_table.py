"""The public surface of tf.estimator, name by name: the real one (TF 2.15) against iris_lib's.

    .venv/bin/python scripts/surface_table.py            # compare, then rewrite the table in companion/differences.md
    .venv/bin/python scripts/surface_table.py --check    # compare; exit 1 if the page's table is out of date
    .venv/bin/python scripts/surface_table.py --draft    # print the unexplained differences as entries to fill in

Runs `tests/legacy/surface_program.py` with the legacy python (IRIS_LEGACY_PYTHON, default
`.venv-legacy/bin/python`) and with ours, compares the two surfaces (`compare`), matches every difference
with the explained list (`tests/legacy/surface_differences.py`) and writes the table (name, difference,
reason) between the `<!-- surface-table:start -->` / `<!-- surface-table:end -->` markers of the
differences page. `tests/test_parity_surface.py` (`make parity`) uses the same functions.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "legacy" / "surface_program.py"
EXPLAINED_FILE = ROOT / "tests" / "legacy" / "surface_differences.py"
PAGE = ROOT / "companion" / "differences.md"
START, END = "<!-- surface-table:start -->", "<!-- surface-table:end -->"
HEADING = "## The public surface, name by name"
NAMESPACES = {"tf.estimator": "v2", "tf.compat.v1.estimator": "v1"}
REGENERATE = ".venv/bin/python scripts/surface_table.py"


# ---- comparing two surfaces ---------------------------------------------------------------------------

def _default(parameter) -> str:
    if not parameter["default"]:
        return "no default"
    value = parameter.get("value")
    return "a default" if value == "<not a literal>" else f"default {json.dumps(value)}"


def parameter_differences(real, ours) -> str | None:
    """A short text of how the parameter lists differ (None: they do not)."""
    if real == ours:
        return None
    if real is None or ours is None or isinstance(real, str) or isinstance(ours, str):
        def say(parameters):
            if parameters is None:
                return "no signature"
            if isinstance(parameters, str):
                return parameters.strip("<>")
            return "(" + ", ".join(p["name"] for p in parameters) + ")"
        return f"{say(ours)} here, {say(real)} in the real one"
    real_by, ours_by = {p["name"]: p for p in real}, {p["name"]: p for p in ours}
    items = []
    lacks = [name for name in real_by if name not in ours_by]
    adds = [name for name in ours_by if name not in real_by]
    if lacks:
        items.append("lacks " + ", ".join(f"`{name}`" for name in lacks))
    if adds:
        items.append("adds " + ", ".join(f"`{name}`" for name in adds))
    for name, parameter in real_by.items():
        if name not in ours_by:
            continue
        mine = ours_by[name]
        if mine["kind"] != parameter["kind"]:
            items.append(f"`{name}` is {mine['kind']} here, {parameter['kind']} in the real one")
        if _default(mine) != _default(parameter):
            items.append(f"`{name}`: {_default(mine)} here, {_default(parameter)} in the real one")
    positional = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
    real_order = [p["name"] for p in real if p["kind"] in positional and p["name"] in ours_by]
    ours_order = [p["name"] for p in ours if p["kind"] in positional and p["name"] in real_by]
    if real_order != ours_order:
        items.append(f"positional order ({', '.join(ours_order)}) here, ({', '.join(real_order)}) in the real one")
    return "; ".join(items) or "same parameters, listed differently"


def _kind_phrase(record) -> str:
    return {"class": "a class", "function": "a function", "module": "a module", "other": "a value"}[record["kind"]]


def compare(real: dict, ours: dict) -> list[dict]:
    """Every difference between two surfaces (as printed by surface_program.py), as dicts with the
    qualified `name`, the `aspect` (name, parameters, method m, properties, attributes) and a short text."""
    differences = []

    def add(name, aspect, text):
        differences.append({"name": name, "aspect": aspect, "difference": text})

    for name in sorted(set(real) | set(ours)):
        mine, theirs = ours.get(name), real.get(name)
        if theirs is None:
            if mine["kind"] not in ("missing", "absent"):
                add(name, "name", f"not in the real one ({_kind_phrase(mine)} here)")
            continue
        if mine is None or mine["kind"] == "absent":
            add(name, "name", "absent: a plain AttributeError, not MissingFromIrisLib")
            continue
        if mine["kind"] == "missing":
            add(name, "name", "missing: raises MissingFromIrisLib")
            continue
        if mine["kind"] != theirs["kind"]:
            add(name, "name", f"{_kind_phrase(mine)} here, {_kind_phrase(theirs)} in the real one")
            continue
        if mine["kind"] == "other" and mine.get("value") != theirs.get("value"):
            add(name, "name", f"value {json.dumps(mine.get('value'))} here, {json.dumps(theirs.get('value'))} "
                              "in the real one")
        if mine["kind"] in ("class", "function"):
            text = parameter_differences(theirs["parameters"], mine["parameters"])
            if text:
                add(name, "parameters", text)
        if mine["kind"] != "class":
            continue
        for method in sorted(set(theirs["methods"]) | set(mine["methods"])):
            if method not in mine["methods"]:
                add(name, f"method {method}", "lacks it")
            elif method not in theirs["methods"]:
                add(name, f"method {method}", "not in the real one")
            else:
                text = parameter_differences(theirs["methods"][method], mine["methods"][method])
                if text:
                    add(name, f"method {method}", text)
        lacks = sorted(set(theirs["properties"]) - set(mine["properties"]))
        adds = sorted(set(mine["properties"]) - set(theirs["properties"]))
        if lacks or adds:
            add(name, "properties", "; ".join(
                part for part in ("lacks " + ", ".join(lacks) if lacks else "",
                                  "adds " + ", ".join(adds) if adds else "") if part))
        items = []
        for attribute in sorted(set(theirs["attributes"]) | set(mine["attributes"])):
            if attribute not in mine["attributes"]:
                items.append(f"lacks {attribute}")
            elif attribute not in theirs["attributes"]:
                items.append(f"adds {attribute}")
            elif mine["attributes"][attribute] != theirs["attributes"][attribute]:
                items.append(f"{attribute} = {json.dumps(mine['attributes'][attribute])} here, "
                             f"{json.dumps(theirs['attributes'][attribute])} in the real one")
        if items:
            add(name, "attributes", "; ".join(items))
    return differences


def counts(real: dict, ours: dict, differences: list[dict]) -> dict:
    present = [name for name in real if ours.get(name, {}).get("kind") not in (None, "missing", "absent")]
    return {
        "real names": len(real),
        "present in ours": len(present),
        "missing (MissingFromIrisLib)": sum(ours.get(name, {}).get("kind") == "missing" for name in real),
        "absent (plain AttributeError)": sum(ours.get(name, {}).get("kind", "absent") == "absent" for name in real),
        "names with signature differences": len({d["name"] for d in differences if d["aspect"] != "name"}),
        "signature differences": sum(d["aspect"] != "name" for d in differences),
        "extra names in ours": sum(d["difference"].startswith("not in the real one") for d in differences
                                   if d["aspect"] == "name"),
    }


# ---- the explained list ----------------------------------------------------------------------------------

def load_explained() -> list[dict]:
    """tests/legacy/surface_differences.py's EXPLAINED, a name starting with `*.` standing for both
    `tf.estimator.` and `tf.compat.v1.estimator.` (each of the two must then differ so)."""
    spec = importlib.util.spec_from_file_location("surface_differences", EXPLAINED_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    explained = []
    for name, aspect, difference, reason in module.EXPLAINED:
        assert reason.strip(), f"{name} {aspect}: an explained difference needs its reason"
        names = [f"{prefix}.{name[2:]}" for prefix in NAMESPACES] if name.startswith("*.") else [name]
        explained += [{"name": n, "aspect": aspect, "difference": difference, "reason": reason} for n in names]
    return explained


def _key(entry) -> tuple:
    return entry["name"], entry["aspect"], entry["difference"]


def match(differences: list[dict], explained: list[dict]) -> tuple[list[dict], list[dict]]:
    """(unexplained differences, stale explained entries: listed, but no longer a difference)."""
    listed = {_key(entry) for entry in explained}
    found = {_key(entry) for entry in differences}
    return ([d for d in differences if _key(d) not in listed],
            [entry for entry in explained if _key(entry) not in found])


def draft(unexplained: list[dict]) -> str:
    """The unexplained differences as entries for EXPLAINED (the reason left to write)."""
    rows, seen = [], set()
    by_key = {_key(d) for d in unexplained}
    for d in unexplained:
        name = d["name"]
        for prefix in NAMESPACES:
            if name.startswith(prefix + "."):
                suffix = name[len(prefix) + 1:]
                both = all((f"{p}.{suffix}", d["aspect"], d["difference"]) in by_key for p in NAMESPACES)
                name = f"*.{suffix}" if both else name
        row = (name, d["aspect"], d["difference"])
        if row not in seen:
            seen.add(row)
            rows.append(f"    ({name!r}, {d['aspect']!r},\n     {d['difference']!r},\n     TODO),")
    return "\n".join(rows)


# ---- the table ---------------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(explained: list[dict], differences: list[dict], numbers: dict) -> str:
    """The page's section between the markers: the counts, then one row per explained difference that the
    latest comparison found (a difference found in both namespaces is one row)."""
    found = {_key(d) for d in differences}
    rows = {}
    for entry in explained:
        if _key(entry) not in found:
            continue
        prefix = next(p for p in NAMESPACES if entry["name"].startswith(p + "."))
        short = "estimator." + entry["name"][len(prefix) + 1:]
        rows.setdefault((short, entry["aspect"], entry["difference"], entry["reason"]), set()).add(NAMESPACES[prefix])
    lines = [
        "**Name by name, the surface is the real one's except as listed.** Every public name of `tf.estimator` "
        "and `tf.compat.v1.estimator` with their `export`, `experimental` and `inputs` namespaces (`tpu` left "
        "aside), its kind, its parameters and defaults, a class's public methods, properties and attributes, "
        "is compared with the real TensorFlow 2.15 one; a real name iris_lib lacks raises `MissingFromIrisLib` "
        "saying what to use instead.",
        "Checked by `tests/test_parity_surface.py::test_every_difference_from_the_real_surface_is_explained`.",
        "",
        f"Generated by `{REGENERATE}` from the explained list (`tests/legacy/surface_differences.py`) and a "
        "comparison of the real TensorFlow 2.15 surface with ours; `tests/test_parity_surface.py` "
        "(`make parity`) fails on a difference not listed here, and on a listed one that is gone.",
        "",
        "In the real TF 2.15 surface: {real names} names; present in ours: {present in ours}; missing (raising "
        "`MissingFromIrisLib`): {missing (MissingFromIrisLib)}; absent (a plain `AttributeError`): "
        "{absent (plain AttributeError)}; extra names in ours: {extra names in ours}; signature differences: "
        "{signature differences} (in {names with signature differences} names).".format(**numbers),
        "",
        "*In*: v2 is `tf.estimator` (TF2 programs, `import iris_lib.estimator_shim`), v1 is "
        "`tf.compat.v1.estimator` (`iris_lib.tf1.estimator`).",
        "",
        "| Name | In | Aspect | Difference | Reason |",
        "|---|---|---|---|---|",
    ]
    for (short, aspect, difference, reason), where in sorted(rows.items()):
        within = "v1, v2" if len(where) == 2 else next(iter(where))
        lines.append(f"| `{short}` | {within} | {_cell(aspect)} | {_cell(difference)} | {_cell(reason)} |")
    return "\n".join(lines)


def page_with(page: str, section: str) -> str:
    """The page with `section` between the markers (the heading and markers added at the end if absent)."""
    block = f"{START}\n{section}\n{END}"
    if START in page and END in page:
        head, rest = page.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return page.rstrip("\n") + f"\n\n{HEADING}\n\n{block}\n"


def current_section(page: str) -> str | None:
    if START not in page or END not in page:
        return None
    return page.split(START, 1)[1].split(END, 1)[0].strip("\n")


# ---- running the two programs ----------------------------------------------------------------------------

def legacy_python() -> Path:
    return Path(os.environ.get("IRIS_LEGACY_PYTHON") or ROOT / ".venv-legacy" / "bin" / "python")


def _run(python, *args) -> dict:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([str(python), str(PROGRAM), *args], capture_output=True, text=True, env=env,
                            timeout=600)
    if result.returncode != 0:
        raise SystemExit(f"surface_program.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def surfaces(legacy=None, ours_python=None) -> tuple[dict, dict]:
    real = _run(legacy or legacy_python(), "real")
    with tempfile.TemporaryDirectory() as directory:
        names = Path(directory) / "real_names.json"
        names.write_text(json.dumps(sorted(real)))
        ours = _run(ours_python or sys.executable, "ours", str(names))
    return real, ours


def main(argv) -> int:
    real, ours = surfaces()
    differences = compare(real, ours)
    explained = load_explained()
    unexplained, stale = match(differences, explained)
    numbers = counts(real, ours, differences)
    print(json.dumps(numbers, indent=1))
    if "--draft" in argv:
        print(draft(unexplained))
        return 0
    for d in unexplained:
        print(f"UNEXPLAINED {d['name']} [{d['aspect']}] {d['difference']}")
    for entry in stale:
        print(f"STALE (no longer differs) {entry['name']} [{entry['aspect']}] {entry['difference']}")
    page = PAGE.read_text()
    section = table(explained, differences, numbers)
    if "--check" in argv:
        if current_section(page) != section:
            print(f"companion/differences.md's surface table is out of date: run `{REGENERATE}`")
            return 1
        return 1 if unexplained or stale else 0
    PAGE.write_text(page_with(page, section))
    print(f"wrote the surface table ({sum(line.startswith('| `') for line in section.splitlines())} rows) "
          f"into {PAGE.relative_to(ROOT)}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
