#!/usr/bin/env bash
# The GPU checks for a machine with an NVIDIA GPU, in one script (well under 8 minutes):
#   1. the ILGPU conformance, golden and launch-budget tests on CUDA (LONGCAT_TEST_CUDA=1),
#   2. the GPU decode benchmark on the lite-mini shape (tokens/s, GB/s against a device-copy baseline of the same run).
#
#   bash benchmarks/gpu-check.sh          # run: builds with dotnet when it is there, else uses the packed build below
#   bash benchmarks/gpu-check.sh pack     # on a machine with the .NET SDK: a self-contained linux-x64 build in .gpu-check/
#
# The lent GPU machines have CUDA but no .NET: pack here, then run there with .gpu-check carried along
# (device tool: command "bash benchmarks/gpu-check.sh", carry [".gpu-check"]).
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
tokens=${GPU_CHECK_TOKENS:-256}

if [[ ${1:-run} == pack ]]; then
  rm -rf .gpu-check && mkdir -p .gpu-check
  dotnet publish benchmarks/LongCat.Sdk.Benchmarks -c Release -r linux-x64 --self-contained true -o .gpu-check/app 2>&1 | tail -n 3 || exit 1
  tar -C .gpu-check -cJf .gpu-check/app.tar.xz app && rm -rf .gpu-check/app
  ls -l .gpu-check/app.tar.xz
  exit 0
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not found"
status=0
if command -v dotnet >/dev/null; then
  dotnet build LongCat.Sdk.sln -c Release 2>&1 | tail -n 3 || exit 1
  LONGCAT_TEST_CUDA=1 timeout 300 dotnet test tests/LongCat.Sdk.Tests -c Release --no-build \
    --filter "FullyQualifiedName~IlgpuConformance|FullyQualifiedName~IlgpuQuantized|FullyQualifiedName~IlgpuGolden|FullyQualifiedName~IlgpuLaunch|FullyQualifiedName~DeviceSelection" || status=1
  timeout 240 dotnet run -c Release --no-build --project benchmarks/LongCat.Sdk.Benchmarks -- gpu-decode "$tokens" || status=1
  for preset in ${GPU_CHECK_PRESETS:-}; do
    timeout 240 dotnet run -c Release --no-build --project benchmarks/LongCat.Sdk.Benchmarks -- gpu-decode "$tokens" "$preset" || status=1
  done
else
  [[ -f .gpu-check/app.tar.xz ]] || { echo "no dotnet and no .gpu-check/app.tar.xz: run 'bash benchmarks/gpu-check.sh pack' where the SDK is"; exit 1; }
  app=$(mktemp -d)
  tar -C "$app" -xJf .gpu-check/app.tar.xz
  timeout 300 "$app/app/LongCat.Sdk.Benchmarks" gpu-check || status=1
  timeout 240 "$app/app/LongCat.Sdk.Benchmarks" gpu-decode "$tokens" || status=1
  for preset in ${GPU_CHECK_PRESETS:-}; do
    timeout 240 "$app/app/LongCat.Sdk.Benchmarks" gpu-decode "$tokens" "$preset" || status=1
  done
  rm -rf "$app"
fi
exit $status
