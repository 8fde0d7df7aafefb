using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>
/// The shuffle butterflies that GPU builds of the kernels use (the CPU accelerator's builds take the shared-memory round instead)
/// run here on the emulator directly: every lane gets the warp's sum and its arg-max, with the lowest index winning ties.
/// </summary>
[TestClass]
public sealed class WarpReductionTests
{
    public struct ReductionArgs
    {
        public ArrayView<float> Input, Sums, ShuffleSums;
        public ArrayView<int> ArgMax;
    }

    public static void Reduce(ReductionArgs a)
    {
        int i = Grid.GlobalIndex.X;
        float v = a.Input[i];
        a.ShuffleSums[i] = DeviceMath.WarpSumShuffle(new Float4(v, 2 * v, 0, 1)).Y;
        a.Sums[i] = DeviceMath.WarpSum(v);
        a.ArgMax[i] = DeviceMath.WarpArgMax(new ValueIndex(v, Warp.LaneIdx)).Index;
    }

    [TestMethod]
    public void ShuffleButterflyAndSharedRound_AgreeWithHostSums()
    {
        using var context = Context.Create(b => b.CPU(new CPUDevice(32, 2, 1)));
        using var accelerator = context.CreateCPUAccelerator(0);
        const int n = 64;                                                         // two warps
        var input = new float[n];
        var random = new Random(4);
        for (int i = 0; i < n; i++) input[i] = MathF.Round((float)random.NextDouble() * 8, 2);
        input[40] = input[37] = 100f;                                             // a tie in the second warp: lane 5 wins
        using var inBuf = accelerator.Allocate1D(input);
        using var sums = accelerator.Allocate1D<float>(n);
        using var shuffled = accelerator.Allocate1D<float>(n);
        using var argMax = accelerator.Allocate1D<int>(n);
        var kernel = accelerator.LoadKernel<ReductionArgs>(Reduce);
        kernel(accelerator.DefaultStream, new KernelConfig(new Index3D(1, 1, 1), new Index3D(n, 1, 1),
                SharedMemoryConfig.RequestDynamic<Float4>(DeviceMath.EmulatorMaxThreads)),
            new ReductionArgs { Input = inBuf.View, Sums = sums.View, ShuffleSums = shuffled.View, ArgMax = argMax.View });
        accelerator.Synchronize();
        var s = sums.GetAsArray1D();
        var sh = shuffled.GetAsArray1D();
        var am = argMax.GetAsArray1D();
        for (int w = 0; w < 2; w++)
        {
            var lanes = input.AsSpan(w * 32, 32).ToArray();
            double expected = lanes.Sum(v => (double)v);
            int best = Array.IndexOf(lanes, lanes.Max());
            for (int l = 0; l < 32; l++)
            {
                Assert.AreEqual(expected, s[w * 32 + l], 1e-4, $"shared-round sum, warp {w} lane {l}");
                Assert.AreEqual(2 * expected, sh[w * 32 + l], 1e-4, $"butterfly sum, warp {w} lane {l}");
                Assert.AreEqual(best, am[w * 32 + l], $"arg-max, warp {w} lane {l}");
            }
        }
        Assert.AreEqual(5, am[40], "ties go to the lowest lane");
    }
}
