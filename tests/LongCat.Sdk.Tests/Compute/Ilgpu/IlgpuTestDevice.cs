using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// The accelerator the GPU tests run on: CUDA when LONGCAT_TEST_CUDA=1 and a device exists (the lent-GPU check), else ILGPU's CPU
/// accelerator shaped like a CUDA device (warp 32, groups up to 256 threads).
/// </summary>
internal static class IlgpuTestDevice
{
    public static bool WantCuda => Environment.GetEnvironmentVariable("LONGCAT_TEST_CUDA") == "1";

    public static IlgpuBackend Create()
    {
        if (WantCuda)
            return IlgpuBackend.TryCreateCuda() ?? throw new InvalidOperationException("LONGCAT_TEST_CUDA=1 but ILGPU finds no CUDA device.");
        return IlgpuBackend.CreateCpuEmulator();
    }
}
