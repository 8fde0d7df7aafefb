using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;
using LongCat.Sdk.Compute.Ilgpu;

namespace LongCat.Sdk.Tests.Compute.Ilgpu;

/// <summary>The same tensor on the CPU backend (the reference) and on the ILGPU backend.</summary>
internal sealed record Pair(DeviceTensor Cpu, DeviceTensor Gpu) : IDisposable
{
    public void Dispose()
    {
        Cpu.Dispose();
        Gpu.Dispose();
    }
}

/// <summary>
/// A <see cref="CpuBackend"/> and an <see cref="IlgpuBackend"/> side by side: tensors are created on both from the same host values,
/// every op runs on both, and <see cref="AssertClose"/> compares the results.
/// </summary>
internal sealed unsafe class BackendPair(IlgpuBackend gpu) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public CpuBackend Cpu { get; } = new(WeightResidency.Mapped, threads: 2) { Int8Activations = false };   // the GPU keeps F32 activations
    public IlgpuBackend Gpu { get; } = gpu;

    private T Keep<T>(T d) where T : IDisposable
    {
        _owned.Add(d);
        return d;
    }

    public Pair F32(float[] values, params int[] shape)
    {
        var p = Keep(new Pair(Cpu.Allocate(DType.F32, shape), Gpu.Allocate(DType.F32, shape)));
        Cpu.Upload<float>(p.Cpu, values);
        Gpu.Upload<float>(p.Gpu, values);
        return p;
    }

    public Pair I32(int[] values, params int[] shape)
    {
        var p = Keep(new Pair(Cpu.Allocate(DType.I32, shape), Gpu.Allocate(DType.I32, shape)));
        Cpu.Upload<int>(p.Cpu, values);
        Gpu.Upload<int>(p.Gpu, values);
        return p;
    }

    public Pair Zeros(DType dtype, params int[] shape) => Keep(new Pair(Cpu.Allocate(dtype, shape), Gpu.Allocate(dtype, shape)));

    /// <summary>A random weight [rows, cols] (FP8 with its block scales), or a vector [cols] when <paramref name="rows"/> is 0.</summary>
    public Pair Weight(DType dtype, int rows, int cols, Random random, float magnitude = 1f)
    {
        var w = Keep(TestWeight.Create(dtype, Math.Max(rows, 1), cols, random, magnitude));
        int[] shape = rows == 0 ? [cols] : [rows, cols];
        var cpu = new CpuTensor(dtype, shape, w.Tensor.Data, owned: false, "w") { BlockScales = w.Scales };
        DeviceTensor? gpuScales = null;
        if (w.Scales is not null)
            gpuScales = Keep(Gpu.UploadWeight(DType.F32, w.Scales.Shape, Bytes(w.Scales), null, "w.scale"));
        var gpu = Gpu.UploadWeight(dtype, shape, Bytes(w.Tensor), gpuScales, "w");
        return Keep(new Pair(cpu, gpu));
    }

    /// <summary>
    /// A random weight in a format named as the tests' data rows name it: "F32", "BF16", "F16", "F8E4M3" (<see cref="Weight(DType, int, int, Random, float)"/>),
    /// or "Q8", "Q4", "Q4z" (with zero points), optionally "/G" for the group size (Q4: 32, 64, 128; default 32).
    /// </summary>
    public Pair Weight(string format, int rows, int cols, Random random)
    {
        if (!format.StartsWith('Q')) return Weight(Enum.Parse<DType>(format), rows, cols, random);
        var parts = format.Split('/');
        int group = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 32;
        return Quantized(parts[0].StartsWith("Q8", StringComparison.Ordinal) ? DType.Q8 : DType.Q4, rows, cols, random, group, parts[0].EndsWith('z'));
    }

    /// <summary>
    /// A random <see cref="DType.Q8"/> or <see cref="DType.Q4"/> weight [rows, cols]: random codes, F16 scales and (when
    /// <paramref name="zeros"/>) zero points, written to both backends through <see cref="IComputeBackend.AllocateWeight"/> and Upload.
    /// </summary>
    public Pair Quantized(DType dtype, int rows, int cols, Random random, int group = 32, bool zeros = false)
    {
        int groups = cols / group;
        var values = new byte[dtype.ByteCount((long)rows * cols)];
        random.NextBytes(values);
        if (dtype == DType.Q8) for (int i = 0; i < values.Length; i++) if (values[i] == 0x80) values[i] = 0x81;   // q in −127..127
        var scales = new Half[rows * groups];
        for (int i = 0; i < scales.Length; i++) scales[i] = (Half)((0.5 + random.NextDouble()) / (dtype == DType.Q8 ? 127 : 8));
        byte[]? zs = zeros ? Enumerable.Range(0, rows * groups).Select(_ => (byte)random.Next(16)).ToArray() : null;
        DeviceTensor Make(IComputeBackend b, List<IDisposable> keep)
        {
            var s = b.AllocateWeight(DType.F16, [rows, groups], "w.scales");
            b.Upload<Half>(s, scales);
            keep.Add(s);
            DeviceTensor? z = null;
            if (zs is not null)
            {
                z = b.AllocateWeight(DType.U8, [rows, groups], "w.qzeros");
                b.Upload<byte>(z, zs);
                keep.Add(z);
            }
            var w = b.AllocateWeight(dtype, [rows, cols], "w", s, z, group);
            b.Upload<byte>(w, values);
            return w;
        }
        var pair = new Pair(Make(Cpu, _owned), Make(Gpu, _owned));
        return Keep(pair);
    }

    private static ReadOnlySpan<byte> Bytes(CpuTensor t) => new(t.Data, checked((int)(t.ElementCount * t.DType.SizeOf())));

    public float[] ReadCpu(DeviceTensor t)
    {
        var r = new float[t.ElementCount];
        Cpu.Download<float>(t, r);
        return r;
    }

    public float[] ReadGpu(DeviceTensor t)
    {
        var r = new float[t.ElementCount];
        Gpu.Download<float>(t, r);
        return r;
    }

    public int[] ReadInts(DeviceTensor t, IComputeBackend b)
    {
        var r = new int[t.ElementCount];
        b.Download<int>(t, r);
        return r;
    }

    /// <summary>|gpu − cpu| ≤ absolute + relative·|cpu| element by element.</summary>
    public void AssertClose(Pair p, double absolute, double relative, string what)
    {
        var c = ReadCpu(p.Cpu);
        var g = ReadGpu(p.Gpu);
        Assert.AreEqual(c.Length, g.Length, what);
        for (int i = 0; i < c.Length; i++)
        {
            double tol = absolute + relative * Math.Abs(c[i]);
            Assert.IsTrue(Math.Abs(g[i] - c[i]) <= tol, $"{what}[{i}]: cpu {c[i]:R}, ilgpu {g[i]:R} (tolerance {tol:G3})");
        }
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned)) d.Dispose();
        Cpu.Dispose();
    }
}
