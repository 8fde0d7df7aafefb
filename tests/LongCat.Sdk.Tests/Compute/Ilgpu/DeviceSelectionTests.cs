using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>ComputeDevice selection: Auto falls back to the CPU without a CUDA device; Cuda without one is a typed error.</summary>
[TestClass]
public sealed class DeviceSelectionTests
{
    [TestMethod]
    public async Task Cuda_WithoutDevice_ThrowsDeviceUnavailable()
    {
        if (IlgpuBackend.IsCudaAvailable()) Assert.Inconclusive("This machine has a CUDA device.");
        var ex = await Assert.ThrowsExactlyAsync<DeviceUnavailableException>(() =>
            LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { Device = ComputeDevice.Cuda }));
        Assert.AreEqual(ComputeDevice.Cuda, ex.Device);
        StringAssert.Contains(ex.Message, "ComputeDevice.Cuda");
    }

    [TestMethod]
    public async Task Auto_PicksCudaWhenPresentElseCpu()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { Device = ComputeDevice.Auto, KvCacheBlocks = 8 });
        Assert.AreEqual(IlgpuBackend.IsCudaAvailable() ? "ilgpu-cuda" : "cpu", engine.BackendName);
    }

    [TestMethod]
    public async Task Cpu_AlwaysUsesTheCpuBackend()
    {
        await using var engine = await LongCatEngine.LoadAsync(Fixtures.Dir("tiny-a"), new LongCatOptions { Device = ComputeDevice.Cpu, KvCacheBlocks = 8 });
        Assert.AreEqual("cpu", engine.BackendName);
    }
}
