import libcst as cst
import pytest

from porter.rewrites.device import DeviceRewrite


def rewrite(source: str, model_name: str | None = "model") -> str:
    return cst.parse_module(source).visit(DeviceRewrite(model_name)).code


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("x = input_ids.cuda()\n", "x = input_ids.to(self.device)\n", id="tensor-cuda"),
        pytest.param("x = t.cuda(0)\n", "x = t.to(self.device)\n", id="cuda-with-index"),
        pytest.param("x = torch.as_tensor(ids).cuda()\n", "x = torch.as_tensor(ids).to(self.device)\n", id="chained-cuda"),
        pytest.param("d = torch.device('cuda:0')\n", "d = self.device\n", id="torch-device"),
        pytest.param("d = torch.device('cuda')\n", "d = self.device\n", id="torch-device-bare"),
        pytest.param("t = torch.zeros(3, device='cuda:0')\n", "t = torch.zeros(3, device=self.device)\n", id="device-keyword"),
        pytest.param("t = x.to('cuda')\n", "t = x.to(self.device)\n", id="to-cuda-string"),
        pytest.param("b = f(c, device=model.base_model.device)\n", "b = f(c, device=self.device)\n", id="model-device"),
        pytest.param(
            "d = model.base_model.model.layers[-1].self_attn.q_proj.weight.device\n",
            "d = self.device\n",
            id="weight-device-chain",
        ),
        pytest.param(
            "r = idx.to(model.base_model.lm_head.weight.device)\n", "r = idx.to(self.device)\n", id="to-weight-device"
        ),
    ],
)
def test_device_rewrites(before, after):
    assert rewrite(before) == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("y = x.to(torch.long)\n", id="dtype-cast"),
        pytest.param("d = input_ids.device\n", id="tensor-device"),
        pytest.param("d = torch.device('cpu')\n", id="cpu-device"),
        pytest.param("t = torch.zeros(3, device=input_ids.device)\n", id="derived-device-keyword"),
        pytest.param("d = drafter.device\n", id="other-object-device"),

    ],
)
def test_device_leaves_alone(source):
    assert rewrite(source) == source


def test_device_in_main_ignores_model_devices():
    source = "a = torch.zeros(3, device=model.device)\n"
    assert rewrite(source, model_name=None) == source


def test_device_records_each_change():
    transformer = DeviceRewrite("model")
    cst.parse_module("a = x.cuda()\nb = model.device\n").visit(transformer)
    assert [change.before for change in transformer.changes] == ["x.cuda()", "model.device"]
    assert all(change.rewrite == "device" for change in transformer.changes)


def test_device_keeps_extra_arguments_of_to():
    source = "x = t.to('cuda', non_blocking=True)\n"
    assert rewrite(source) == "x = t.to(self.device, non_blocking=True)\n"
