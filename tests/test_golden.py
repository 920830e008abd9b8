"""Whole-file golden outputs for the runners the project writes itself.

Refresh them only on purpose: `pytest tests/test_golden.py --update-golden`, then review the
diff of tests/golden like any other change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from porter.convert import convert_source
from porter.files import checkout_reader

TESTS = Path(__file__).parent
GOLDEN = TESTS / "golden"
CASES = [
    (TESTS / "fixtures" / "specbench", "treehead"),
    (TESTS / "fixtures" / "specbench", "assist"),
    (TESTS / "fixtures" / "specbench", "recycle"),
    (TESTS / "fixtures" / "specbench", "maskfill"),
    (TESTS / "fakebench", "stride"),
    (TESTS / "fakebench", "streamed"),
    (TESTS / "fakebench", "blocks"),
]


@pytest.mark.parametrize(("root", "method"), CASES, ids=[method for _, method in CASES])
def test_output_matches_golden_file(root, method, request):
    runner = root / "evaluation" / f"inference_{method}.py"
    code = convert_source(runner.read_text(), f"evaluation/{runner.name}", read_source=checkout_reader(root)).code
    golden = GOLDEN / f"specbench_{method}.py"
    if request.config.getoption("--update-golden"):
        golden.write_text(code)
    assert golden.is_file(), f"{golden} is missing: run pytest tests/test_golden.py --update-golden"
    assert code == golden.read_text(), f"{golden.name} is out of date: rerun with --update-golden and review the diff"


@pytest.mark.parametrize(("root", "method"), CASES, ids=[method for _, method in CASES])
def test_output_is_black_clean(root, method):
    import black

    code = (GOLDEN / f"specbench_{method}.py").read_text()
    assert black.format_str(code, mode=black.Mode()) == code
