#!/usr/bin/env bash
# Verify generated models on a CUDA device: the check to run when a GPU machine is available.
#
#   bench/gpu_verify.sh [SPEC_BENCH_ROOT] [METHOD...]
#
# Converts the runners of the checkout (default ./Spec-Bench) and runs `specport verify
# --device cuda` on a few methods that cover an inline loop (medusa, eagle), a streamer hook
# (sps) and a forward hook (eagle2), plus the shipped example. Expects the project installed in
# the active Python with the verify extra and a CUDA build of torch. Writes the tables to
# docs/gpu-verification.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

root=${1:-Spec-Bench}
shift || true
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(medusa eagle eagle2 sps)

python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())" \
  | tee docs/gpu-verification.txt

specport convert --spec-bench examples/minibench --out /tmp/specport-gpu -q
specport verify /tmp/specport-gpu/specbench_ngram.py --spec-bench examples/minibench --device cuda \
  | tee -a docs/gpu-verification.txt

specport convert --spec-bench "$root" --out /tmp/specport-gpu -q
files=()
for method in "${methods[@]}"; do files+=("/tmp/specport-gpu/specbench_${method}.py"); done
specport verify "${files[@]}" --spec-bench "$root" --device cuda | tee -a docs/gpu-verification.txt
