import libcst as cst
import pytest

from porter.flags import collect_flags


def flags(source: str):
    return collect_flags(cst.parse_module(source).body)


def test_dest_type_default_and_help():
    flag = flags('parser.add_argument("--max-steps", type=int, default=512, help="Most steps.")\n')["max_steps"]
    assert flag.option_strings == ("--max-steps",)
    assert flag.type_name == "int"
    assert cst.Module([]).code_for_node(flag.default) == "512"
    assert flag.help == "Most steps."
    assert flag.python_type == "int"


@pytest.mark.parametrize(
    ("source", "dest"),
    [
        pytest.param('p.add_argument("--tree_version", type=str)\n', "tree_version", id="underscore-flag"),
        pytest.param('p.add_argument("-m", "--model-path")\n', "model_path", id="long-option-wins"),
        pytest.param('p.add_argument("--x", dest="chosen")\n', "chosen", id="explicit-dest"),
    ],
)
def test_dest_follows_argparse(source, dest):
    assert list(flags(source)) == [dest]


def test_store_false_defaults_to_true():
    flag = flags('p.add_argument("--load-in-8bit", action="store_false")\n')["load_in_8bit"]
    assert flag.python_type == "bool"
    assert cst.Module([]).code_for_node(flag.default) == "True"


def test_required_flag_has_no_default():
    flag = flags('p.add_argument("--datastore-path", type=str, required=True)\n')["datastore_path"]
    assert flag.required
    assert flag.default is None


def test_non_literal_option_names_are_ignored():
    assert flags("p.add_argument(name, type=int)\n") == {}
