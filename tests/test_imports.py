import libcst as cst

from porter.imports import module_exports, read_imports, resolve_imports

SOURCES = {
    "pkg.utils": "import torch\nfrom .more import *\n__private = 1\ndef tree(): pass\nclass Buffers: pass\nTOPK = 10\n",
    "pkg.more": "def extra(): pass\n_hidden = 2\n",
    "pkg.choices": "__all__ = ['mc_sim']\nmc_sim = [[0]]\ndebug = [[1]]\n",
    "pkg": "",
}


def read(module: str):
    if module.endswith(".__init__"):
        return SOURCES.get(module.removesuffix(".__init__")) if module.removesuffix(".__init__") == "pkg" else None
    return SOURCES.get(module)


def table(source: str):
    return read_imports(cst.parse_module(source).body)


def test_exports_without_all_are_public_top_level_names():
    assert module_exports("pkg.utils", read) == ["torch", "extra", "tree", "Buffers", "TOPK"]


def test_exports_follow_all():
    assert module_exports("pkg.choices", read) == ["mc_sim"]


def test_missing_module_has_no_exports():
    assert module_exports("pkg.absent", read) is None


def test_star_import_becomes_explicit():
    imports = table("from pkg.utils import *\nfrom pkg.choices import *\n")
    resolved = resolve_imports(["tree", "mc_sim", "TOPK"], imports, read)
    assert resolved.lines == ["from pkg.utils import tree", "from pkg.choices import mc_sim", "from pkg.utils import TOPK"]
    assert resolved.unresolved == []


def test_explicit_import_is_kept_with_its_alias():
    imports = table("import numpy as np\nfrom transformers import AutoTokenizer as Tok\n")
    assert resolve_imports(["np", "Tok"], imports, read).lines == [
        "import numpy as np",
        "from transformers import AutoTokenizer as Tok",
    ]


def test_later_star_import_wins_over_earlier_explicit_one():
    imports = table("from other import tree\nfrom pkg.utils import *\n")
    assert resolve_imports(["tree"], imports, read).lines == ["from pkg.utils import tree"]


def test_unreadable_star_module_is_kept():
    imports = table("from pkg.absent import *\n")
    resolved = resolve_imports(["mystery"], imports, read)
    assert resolved.lines == ["from pkg.absent import *"]
    assert resolved.kept_star_modules == ["pkg.absent"]


def test_provided_and_unknown_names():
    resolved = resolve_imports(["torch", "nowhere"], table("import torch\n"), read, provided=["torch"])
    assert resolved.lines == []
    assert resolved.unresolved == ["nowhere"]
