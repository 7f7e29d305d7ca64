"""`pip install iris_lib` (what the Colab cell does) brings everything the package imports, in working versions."""
import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DECLARED = [Requirement(r) for r in PROJECT["dependencies"]]
EXTRAS = {name: [Requirement(r) for r in reqs] for name, reqs in PROJECT["optional-dependencies"].items()}
ALL = DECLARED + [r for reqs in EXTRAS.values() for r in reqs]
# requirements.txt installs TensorFlow under its CPU-only distribution name; the module is the same.
SAME_MODULE = {"tensorflow-cpu": "tensorflow"}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            name = match[1].lower()
            pins[SAME_MODULE.get(name, name)] = match[2]
    return pins


def _third_party_imports() -> set[str]:
    stdlib = set(sys.stdlib_module_names) | {"iris_lib"}
    found = set()
    for path in (ROOT / "iris_lib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - stdlib


def _installed_name(name: str) -> str:
    return {v: k for k, v in SAME_MODULE.items()}.get(name, name) if name == "tensorflow" else name


def test_every_package_iris_lib_imports_is_declared():
    """Each import comes from a declared distribution, or from one that a declared one requires (the
    `google.protobuf` that TensorFlow brings and pins)."""
    declared = {r.name.lower() for r in ALL}
    brought = {Requirement(r).name.lower() for name in declared
               for r in metadata.requires(_installed_name(name)) or [] if "extra ==" not in r}
    providers = metadata.packages_distributions()
    for module in _third_party_imports():
        distributions = {SAME_MODULE.get(canonicalize_name(d), canonicalize_name(d)) for d in providers.get(module, [module])}
        assert distributions & (declared | brought), f"declare in pyproject.toml what provides {module}"


def test_the_pinned_set_in_requirements_txt_satisfies_every_declared_range():
    pins = _pins()
    for requirement in ALL:
        assert requirement.name.lower() in pins, f"{requirement.name} is declared but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[requirement.name.lower()]), (requirement, pins[requirement.name])


def test_the_installed_versions_satisfy_every_declared_range():
    for requirement in ALL:
        name = requirement.name
        version = metadata.version(_installed_name(name))
        assert requirement.specifier.contains(version), (requirement, version)


def test_pip_resolves_the_package_offline_against_this_venv(tmp_path):
    """pip's own resolver agrees: installing iris_lib here needs nothing that is not already installed."""
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation",
                    "--quiet", "--report", str(report), str(ROOT)], check=True, capture_output=True)
    install = json.loads(report.read_text())["install"]
    assert [canonicalize_name(item["metadata"]["name"]) for item in install] == ["iris-lib"]  # setuptools may keep "_"
    assert {Requirement(r).name for r in install[0]["metadata"]["requires_dist"]} == {r.name for r in ALL}


def test_the_colab_cell_installs_the_tensorflow_extra():
    """On Colab, `tensorflow` is the distribution present; the extra brings the version the engine is tested on."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import add_colab_cell
    finally:
        sys.path.pop(0)
    source = add_colab_cell.colab_source("https://example.org/book")
    assert '"iris_lib[tensorflow] @ git+https://example.org/book"' in source
    assert [r.name for r in EXTRAS["tensorflow"]] == ["tensorflow"]


def test_the_readme_layout_names_every_module_and_subpackage():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("## The guide's programs")]
    package = ROOT / "iris_lib"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    missing = sorted(m for m in modules if f"`iris_lib.{m}`" not in layout)
    assert not missing, f"README's layout table does not list {missing}"
    engine = package / "estimator"
    subpackages = sorted(p.name for p in engine.iterdir() if (p / "__init__.py").is_file())
    assert subpackages and all(f"`{name}/`" in layout for name in subpackages), subpackages
    assert "companion/differences.md" in readme and (ROOT / "companion" / "differences.md").is_file()
