using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>The backends' shape checks: the message is formatted only when a check fails, and then names the op and the values.</summary>
[TestClass]
public sealed class ShapeCheckTests
{
    /// <summary>Counts its formatting: the checks on every op's hot path must not format anything when they hold.</summary>
    private sealed class Probe
    {
        public int Formatted { get; private set; }

        public override string ToString()
        {
            Formatted++;
            return "probe [3, 4]";
        }
    }

    [TestMethod]
    public void CpuCheckThatHoldsFormatsNothing()
    {
        var probe = new Probe();
        CpuBackend.Require(true, "MatMul", $"x {probe}, y {probe}");
        Assert.AreEqual(0, probe.Formatted);
    }

    [TestMethod]
    public void CpuCheckThatFailsNamesTheOpAndValues()
    {
        var probe = new Probe();
        var e = Assert.ThrowsExactly<ArgumentException>(() => CpuBackend.Require(false, "MatMul", $"x {probe}, k {7}"));
        Assert.AreEqual("MatMul: x probe [3, 4], k 7.", e.Message);
        Assert.AreEqual(1, probe.Formatted);
    }

    [TestMethod]
    public void IlgpuCheckFormatsOnlyOnFailure()
    {
        var probe = new Probe();
        IlgpuBackend.Require(true, "Attend", $"q {probe}");
        Assert.AreEqual(0, probe.Formatted);
        var e = Assert.ThrowsExactly<ArgumentException>(() => IlgpuBackend.Require(false, "Attend", $"q {probe}"));
        Assert.AreEqual("Attend: q probe [3, 4].", e.Message);
    }

    [TestMethod]
    public void TensorDimensionsAreFixedAtCreation()
    {
        using var t = CpuTensor.Allocate(DType.F32, [3, 4, 5]);
        Assert.AreEqual(3, t.Rows);
        Assert.AreEqual(20, t.Columns);
        using var v = CpuTensor.Allocate(DType.F32, [6]);
        Assert.AreEqual(1, v.Rows);
        Assert.AreEqual(6, v.Columns);
        using var empty = CpuTensor.Allocate(DType.F32, [0, 8]);
        Assert.AreEqual(0, empty.Rows);
        Assert.AreEqual(8, empty.Columns);
    }
}
