"""CUDA idioms of runner code resolve to the CPU inside `cuda_on_cpu()` and nowhere else."""

import sys
import types

import pytest
import torch

from porter.verify.cuda_shim import cuda_on_cpu, runner_globals

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="the shim changes nothing where CUDA is available")


def run_as_runner(source: str) -> dict:
    namespace = runner_globals()
    exec(compile(source, "<runner>", "exec"), namespace)
    return namespace


def test_tensor_and_module_cuda_stay_on_cpu():
    with cuda_on_cpu():
        tensor = torch.zeros(2).cuda()
        module = torch.nn.Linear(2, 2).cuda()

    assert tensor.device.type == "cpu"
    assert next(module.parameters()).device.type == "cpu"


def test_cuda_methods_restored_on_exit():
    tensor_cuda = torch.Tensor.cuda
    module_cuda = torch.nn.Module.cuda

    with cuda_on_cpu():
        assert torch.Tensor.cuda is not tensor_cuda

    assert torch.Tensor.cuda is tensor_cuda
    assert torch.nn.Module.cuda is module_cuda


def test_nested_use_restores_after_outermost():
    tensor_cuda = torch.Tensor.cuda

    with cuda_on_cpu():
        with cuda_on_cpu():
            pass
        assert torch.zeros(1).cuda().device.type == "cpu"

    assert torch.Tensor.cuda is tensor_cuda


def test_runner_code_devices_resolve_to_cpu():
    source = (
        "import torch\n"
        "device = torch.device('cuda:0')\n"
        "ordinal = torch.device(0)\n"
        "tensor = torch.tensor([1, 2], dtype=torch.long, device=torch.device('cuda:0'))\n"
        "ones = torch.ones(3, device='cuda')\n"
        "torch.cuda.synchronize()\n"
        "torch.cuda.empty_cache()\n"
        "is_device = isinstance(device, torch.device)\n"
    )
    with cuda_on_cpu():
        namespace = run_as_runner(source)

    assert namespace["device"] == torch.device("cpu")
    assert namespace["ordinal"] == torch.device("cpu")
    assert namespace["tensor"].device.type == "cpu"
    assert namespace["ones"].device.type == "cpu"
    assert namespace["is_device"] is True


def test_runner_code_outside_context_is_plain_torch():
    namespace = run_as_runner("import torch\ndevice = torch.device('cuda:0')\n")

    assert namespace["device"].type == "cuda"
    with pytest.raises((AssertionError, RuntimeError)):
        namespace["torch"].cuda.synchronize()


def test_library_code_keeps_real_torch():
    with cuda_on_cpu():
        assert torch.device("cuda:0").type == "cuda"


def test_star_import_reexported_torch_is_view(monkeypatch):
    library = types.ModuleType("tiny_shim_library")
    library.torch = torch
    library.helper = lambda: "helper"
    monkeypatch.setitem(sys.modules, "tiny_shim_library", library)

    with cuda_on_cpu():
        namespace = run_as_runner("from tiny_shim_library import *\ndevice = torch.device('cuda')\n")

    assert namespace["helper"]() == "helper"
    assert namespace["device"] == torch.device("cpu")


def test_from_pretrained_device_map_cuda(monkeypatch):
    received = {}

    class Loader:
        @classmethod
        def from_pretrained(cls, path, **kwargs):
            received.update(kwargs)
            return path

    library = types.ModuleType("tiny_shim_loaders")
    library.Loader = Loader
    monkeypatch.setitem(sys.modules, "tiny_shim_loaders", library)

    with cuda_on_cpu():
        run_as_runner("from tiny_shim_loaders import Loader\nLoader.from_pretrained('x', device_map='cuda')\n")

    assert received == {"device_map": "cpu"}


def test_runner_class_patch_reaches_real_class(monkeypatch):
    class Target:
        @classmethod
        def from_pretrained(cls, path):
            return path

    library = types.ModuleType("tiny_shim_targets")
    library.Target = Target
    monkeypatch.setitem(sys.modules, "tiny_shim_targets", library)

    run_as_runner("from tiny_shim_targets import Target\nTarget.patched = 1\n")

    assert Target.patched == 1
