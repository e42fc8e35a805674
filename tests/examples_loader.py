"""Import the example scripts (examples/ is not a package) for their smoke tests."""
import importlib.util
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def load_example(relpath):
    """examples/<relpath> (``.py`` optional) as a fresh module, with examples/ on sys.path for ``import common``."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    path = EXAMPLES / (relpath if str(relpath).endswith(".py") else f"{relpath}.py")
    name = "example_" + "_".join(path.relative_to(EXAMPLES).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
