using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// Device-side helpers shared by the kernels: warp and group reductions (warp-shuffle butterflies, one shared slot per warp),
/// number-format widening, SiLU and an accurate sin/cos. Everything reads <see cref="Warp.WarpSize"/> and the group size;
/// nothing assumes 32.
/// </summary>
internal static class DeviceMath
{
    /// <summary>Upper bound on warps per group (groups are at most 1024 threads, warps at least 16 lanes).</summary>
    public const int MaxWarps = 64;

    /// <summary>
    /// True when the kernel is compiled for ILGPU's CPU accelerator (a compile-time constant: the other branch is removed).
    /// There every lane is an OS thread and each shuffle is a lock-step exchange with two thread barriers, so warp reductions take
    /// one shared-memory round instead (<see cref="WarpSumShared"/>); on GPUs they are shuffle butterflies.
    /// </summary>
    public static bool Emulated => Accelerator.CurrentType == AcceleratorType.CPU;

    /// <summary>
    /// Most threads per group the CPU accelerator is created with (<see cref="IlgpuBackend.CreateCpuEmulator"/>): the emulator's
    /// launches request this many <see cref="Float4"/> of dynamic shared memory for <see cref="WarpSumShared"/>. GPU launches request
    /// none (a static allocation would reserve it on the GPU too, even though the branch that uses it is compiled away).
    /// </summary>
    public const int EmulatorMaxThreads = 1024;

    /// <summary>Sum over the warp; every lane gets the same total.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float WarpSum(float v) => Emulated ? WarpSumShared(new Float4(v, 0, 0, 0)).X : WarpSumShuffle(v);

    /// <summary>Four sums over the warp at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 WarpSum(Float4 v) => Emulated ? WarpSumShared(v) : WarpSumShuffle(v);

    /// <summary>Butterfly sum by <see cref="Warp.ShuffleXor{T}(T, int)"/>: log2(warp) steps, identical result on every lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float WarpSumShuffle(float v)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) v += Warp.ShuffleXor(v, offset);
        return v;
    }

    /// <summary>Four butterfly sums; one struct shuffle per step (four shfl.sync on PTX).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Float4 WarpSumShuffle(Float4 v)
    {
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) v += Warp.ShuffleXor(v, offset);
        return v;
    }

    /// <summary>The emulator's warp sum: lanes publish to shared memory, one warp barrier, every lane adds the warp's values in lane order.</summary>
    public static Float4 WarpSumShared(Float4 v)
    {
        var buffer = SharedMemory.GetDynamic<Float4>();
        int b = Warp.WarpIdx * Warp.WarpSize;
        buffer[b + Warp.LaneIdx] = v;
        Warp.Barrier();
        var sum = default(Float4);
        for (int i = 0; i < Warp.WarpSize; i++) sum += buffer[b + i];
        Warp.Barrier();
        return sum;
    }

    /// <summary>(max value, its lowest index) over the warp, on every lane.</summary>
    public static ValueIndex WarpArgMax(ValueIndex v)
    {
        if (Emulated)
        {
            var buffer = SharedMemory.GetDynamic<ValueIndex>();
            int b = Warp.WarpIdx * Warp.WarpSize;
            buffer[b + Warp.LaneIdx] = v;
            Warp.Barrier();
            var best = buffer[b];
            for (int i = 1; i < Warp.WarpSize; i++) best = ValueIndex.Better(best, buffer[b + i]);
            Warp.Barrier();
            return best;
        }
        for (int offset = Warp.WarpSize / 2; offset > 0; offset >>= 1) v = ValueIndex.Better(v, Warp.ShuffleXor(v, offset));
        return v;
    }

    /// <summary>
    /// Sum over the group; every thread gets the same total, summed in warp order (deterministic).
    /// <paramref name="scratch"/> holds one float per warp; the call starts and ends with the group in step.
    /// </summary>
    public static float GroupSum(float v, ArrayView<float> scratch)
    {
        v = WarpSum(v);
        if (Warp.IsFirstLane) scratch[Warp.WarpIdx] = v;
        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        float total = 0;
        for (int w = 0; w < warps; w++) total += scratch[w];
        Group.Barrier();
        return total;
    }

    /// <summary>Four sums over the group at once, like <see cref="GroupSum(float, ArrayView{float})"/>; <paramref name="scratch"/> holds one Float4 per warp.</summary>
    public static Float4 GroupSum(Float4 v, ArrayView<Float4> scratch)
    {
        v = WarpSum(v);
        if (Warp.IsFirstLane) scratch[Warp.WarpIdx] = v;
        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        var total = default(Float4);
        for (int w = 0; w < warps; w++) total += scratch[w];
        Group.Barrier();
        return total;
    }

    /// <summary>Maximum over the group (every thread gets it).</summary>
    public static float GroupMax(float v, ArrayView<float> scratch)
    {
        v = WarpArgMax(new ValueIndex(v, 0)).Value;
        if (Warp.IsFirstLane) scratch[Warp.WarpIdx] = v;
        Group.Barrier();
        int warps = Group.DimX / Warp.WarpSize;
        float m = scratch[0];
        for (int w = 1; w < warps; w++) m = XMath.Max(m, scratch[w]);
        Group.Barrier();
        return m;
    }

    /// <summary>The float value of a bfloat16 bit pattern: its bits are the upper half of a binary32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16(uint bits) => Interop.IntAsFloat(bits << 16);

    /// <summary>The float value of an IEEE binary16 bit pattern.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16(uint bits) => (float)Interop.IntAsFloat((ushort)bits);

    /// <summary>
    /// The float value of an FP8 E4M3 (float8_e4m3fn) byte: bias 7, subnormals at exponent 0, S.1111.111 is NaN.
    /// Normal values are rebuilt as binary32 bits (exponent + 120); subnormals are exact multiples of 2⁻⁹.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fp8E4M3(uint bits)
    {
        uint em = bits & 0x7Fu;
        float v = em >= 8u ? Interop.IntAsFloat((em << 20) + (120u << 23)) : em * (1f / 512f);
        if (em == 0x7Fu) v = float.NaN;
        return (bits & 0x80u) != 0 ? -v : v;
    }

    /// <summary>silu(g)·u, in the CPU backend's operation order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluMul(float g, float u) => g / (1f + XMath.Exp(-g)) * u;

    /// <summary>
    /// (sin x, cos x) of a float angle, accurate to float rounding for |x| up to 10⁶ (RoPE angles reach the context length in
    /// radians, where hardware approximations lose digits): Cody–Waite reduction by π/2 (two-part) and Taylor polynomials in double.
    /// </summary>
    public static Float4 SinCos(float angle)
    {
        double x = angle;
        double k = XMath.Round(x * 0.63661977236758134308);            // 2/π
        double r = x - k * 1.57079632673412561417e+00;                   // π/2 in two parts: the first product is exact
        r -= k * 6.07710050650619224932e-11;
        double r2 = r * r;
        double s = r * (1 + r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880 + r2 * (-1.0 / 39916800 + r2 / 6227020800.0))))));
        double c = 1 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 + r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 - r2 / 87178291200.0))))));
        int q = (int)((long)k & 3);
        double sin = q == 0 ? s : q == 1 ? c : q == 2 ? -s : -c;
        double cos = q == 0 ? c : q == 1 ? -s : q == 2 ? -c : s;
        return new Float4((float)sin, (float)cos, 0, 0);
    }
}

/// <summary>A value and its index, ordered for arg-max: larger value first, then lower index.</summary>
internal struct ValueIndex
{
    public float Value;
    public int Index;

    public ValueIndex(float value, int index)
    {
        Value = value;
        Index = index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ValueIndex Better(ValueIndex a, ValueIndex b) => b.Value > a.Value || (b.Value == a.Value && b.Index < a.Index) ? b : a;
}
