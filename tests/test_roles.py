import pytest

from porter.options import PathRoles
from porter.roles import infer_roles


@pytest.mark.parametrize(
    ("candidates", "model_dir", "draft_model_dir"),
    [
        pytest.param(["model_path", "base_model"], "base_model", "model_path", id="heads-and-base"),
        pytest.param(["base_model_path", "ea_model_path"], "base_model_path", "ea_model_path", id="eagle"),
        pytest.param(["model_path", "drafter_path"], "model_path", "drafter_path", id="drafter"),
        pytest.param(["model_path"], "model_path", None, id="single-path"),
        pytest.param(["target_path", "assistant_path"], "target_path", "assistant_path", id="target-and-assistant"),
    ],
)
def test_roles_are_inferred_from_flag_names(candidates, model_dir, draft_model_dir):
    roles = infer_roles(candidates)
    assert (roles.model_dir, roles.draft_model_dir) == (model_dir, draft_model_dir)
    assert roles.reason


@pytest.mark.parametrize(
    "candidates",
    [
        pytest.param(["first_path", "second_path"], id="two-plain-paths"),
        pytest.param(["base_a", "base_b"], id="two-base-paths"),
        pytest.param([], id="no-path"),
    ],
)
def test_ambiguous_roles_stay_open(candidates):
    assert infer_roles(candidates).model_dir is None


def test_configuration_overrides_inference():
    roles = infer_roles(["model_path", "base_model"], PathRoles(model_dir="model_path", draft_model_dir="base_model"))
    assert (roles.model_dir, roles.draft_model_dir) == ("model_path", "base_model")
