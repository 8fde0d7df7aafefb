using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// Row kernels over weights in their stored format: BF16 is widened in registers (Vector512 or Vector256, chosen by the
/// hardware at run time); F16 and FP8 are widened a 256-value chunk at a time into an L1-resident buffer.
/// Every kernel has a scalar twin (<see cref="DotScalar"/>) that the tests compare against.
/// </summary>
internal static unsafe class SimdKernels
{
    private const int Chunk = 256;

    /// <summary>dot(W[row, 0..n), x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(CpuTensor w, int row, float* x, int n)
    {
        long rowStart = (long)row * w.Columns;
        switch (w.DType)
        {
            case DType.BF16: return DotBf16((ushort*)w.Data + rowStart, x, n);
            case DType.F32: return TensorPrimitives.Dot(new ReadOnlySpan<float>((float*)w.Data + rowStart, n), new ReadOnlySpan<float>(x, n));
            default:
                float* buf = stackalloc float[Chunk];
                float sum = 0;
                for (int c = 0; c < n; c += Chunk)
                {
                    int len = Math.Min(Chunk, n - c);
                    ReadRow(w, row, c, len, buf);
                    sum += TensorPrimitives.Dot(new ReadOnlySpan<float>(buf, len), new ReadOnlySpan<float>(x + c, len));
                }
                return sum;
        }
    }

    /// <summary>acc[0..n) += alpha · W[row, 0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(CpuTensor w, int row, float alpha, float* acc, int n)
    {
        long rowStart = (long)row * w.Columns;
        if (w.DType == DType.BF16)
        {
            AxpyBf16((ushort*)w.Data + rowStart, alpha, acc, n);
            return;
        }
        float* buf = stackalloc float[Chunk];
        for (int c = 0; c < n; c += Chunk)
        {
            int len = Math.Min(Chunk, n - c);
            ReadRow(w, row, c, len, buf);
            var a = new Span<float>(acc + c, len);
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(buf, len), alpha, a, a);
        }
    }

    /// <summary>dst[0..count) = W[row, col0..col0+count) as F32 (FP8 block scales, Q4 scales and zeros applied).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ReadRow(CpuTensor w, int row, int col0, int count, float* dst)
    {
        long start = (long)row * w.Columns + col0;
        switch (w.DType)
        {
            case DType.F32:
                Buffer.MemoryCopy((float*)w.Data + start, dst, count * 4L, count * 4L);
                break;
            case DType.BF16:
            {
                ushort* s = (ushort*)w.Data + start;
                for (int i = 0; i < count; i++) dst[i] = WeightFormats.Bf16ToFloat(s[i]);
                break;
            }
            case DType.F16:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)w.Data + start, count), new Span<float>(dst, count));
                break;
            case DType.F8E4M3:
            {
                byte* s = w.Data + start;
                var scales = (CpuTensor?)w.BlockScales;
                int bs = WeightFormats.Fp8BlockSize;
                for (int i = 0; i < count; i++)
                {
                    int col = col0 + i;
                    float scale = scales is null ? 1f : scales.F32[(long)(row / bs) * scales.Columns + col / bs];
                    dst[i] = WeightFormats.Fp8E4M3ToFloat(s[i]) * scale;
                }
                break;
            }
            case DType.Q8:
            {
                sbyte* s = (sbyte*)w.Data + start;
                var scales = (CpuTensor)w.BlockScales!;
                Half* rowScales = (Half*)scales.Data + (long)row * scales.Columns;
                for (int i = 0; i < count; i++) dst[i] = (float)rowScales[(col0 + i) / w.GroupSize] * s[i];
                break;
            }
            case DType.Q4:
            {
                byte* packed = w.Data + (long)row * (w.Columns / 2);
                var scales = (CpuTensor)w.BlockScales!;
                Half* rowScales = (Half*)scales.Data + (long)row * scales.Columns;
                byte* rowZeros = w.Zeros is CpuTensor z ? z.Data + (long)row * z.Columns : null;
                for (int i = 0; i < count; i++)
                {
                    int col = col0 + i, group = col / w.GroupSize;
                    dst[i] = (float)rowScales[group] * (BlockFormats.Q4Code(packed, col) - (rowZeros == null ? 8 : rowZeros[group]));
                }
                break;
            }
            default:
                throw new NotSupportedException($"Weight '{w.Name}' has dtype {w.DType}, which the CPU backend cannot compute with.");
        }
    }

    /// <summary>Scalar reference for <see cref="Dot"/>.</summary>
    public static float DotScalar(CpuTensor w, int row, float* x, int n)
    {
        float* buf = stackalloc float[1];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            ReadRow(w, row, i, 1, buf);
            sum += (double)buf[0] * x[i];
        }
        return (float)sum;
    }

    /// <summary>dot of a BF16 row with F32 x, widening in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotBf16(ushort* w, float* x, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 64; i += 64)
            {
                var r0 = Vector512.Load(w + i);
                var r1 = Vector512.Load(w + i + 32);
                a0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(r0), 16).AsSingle(), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(r0), 16).AsSingle(), Vector512.Load(x + i + 16), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(r1), 16).AsSingle(), Vector512.Load(x + i + 32), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(r1), 16).AsSingle(), Vector512.Load(x + i + 48), a3);
            }
            for (; i <= n - 32; i += 32)
            {
                var r0 = Vector512.Load(w + i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(r0), 16).AsSingle(), Vector512.Load(x + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(r0), 16).AsSingle(), Vector512.Load(x + i + 16), a1);
            }
            sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                var r0 = Vector256.Load(w + i);
                var r1 = Vector256.Load(w + i + 16);
                a0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenLower(r0), 16).AsSingle(), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenUpper(r0), 16).AsSingle(), Vector256.Load(x + i + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenLower(r1), 16).AsSingle(), Vector256.Load(x + i + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenUpper(r1), 16).AsSingle(), Vector256.Load(x + i + 24), a3);
            }
            for (; i <= n - 16; i += 16)
            {
                var r0 = Vector256.Load(w + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenLower(r0), 16).AsSingle(), Vector256.Load(x + i), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenUpper(r0), 16).AsSingle(), Vector256.Load(x + i + 8), a1);
            }
            sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) sum += WeightFormats.Bf16ToFloat(w[i]) * x[i];
        return sum;
    }

    /// <summary>
    /// Reorders x for the BF16 row kernels: within each block of 2·lanes values (32 with Vector512, 16 with Vector256, else no
    /// blocks), even-indexed values first, then odd ones. A tail shorter than a block is copied as is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PermuteEvenOdd(float* x, float* dst, int n)
    {
        int i = 0;
        // Each 64-bit lane holds an (even, odd) pair: narrowing to 32 bits keeps the evens; shifted right 32 first, the odds.
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 32; i += 32)
            {
                var a = Vector512.Load((ulong*)(x + i));
                var b = Vector512.Load((ulong*)(x + i + 16));
                Vector512.Narrow(a, b).Store((uint*)(dst + i));
                Vector512.Narrow(a >>> 32, b >>> 32).Store((uint*)(dst + i + 16));
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var a = Vector256.Load((ulong*)(x + i));
                var b = Vector256.Load((ulong*)(x + i + 8));
                Vector256.Narrow(a, b).Store((uint*)(dst + i));
                Vector256.Narrow(a >>> 32, b >>> 32).Store((uint*)(dst + i + 8));
            }
        for (; i < n; i++) dst[i] = x[i];
    }

    /// <summary>
    /// Dots of four BF16 rows (stride <paramref name="stride"/> elements) with one F32 vector given in <see cref="PermuteEvenOdd"/>
    /// order, each bit-identical to <see cref="DotBf16Row"/> on that row (decode's wide rows: four streams keep DRAM busy and
    /// share each load of x, which no longer fits L1). Each 32-bit lane of the raw weights holds an even and an odd BF16 value:
    /// (lane &lt;&lt; 16) and (lane &amp; 0xFFFF0000) are both exact F32 values, so widening costs two plain ALU ops and no shuffles.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Rows4(ushort* w, long stride, float* xp, int n, float* result)
    {
        ushort* w0 = w, w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride;
        if (!Vector512.IsHardwareAccelerated)
        {
            if (Vector256.IsHardwareAccelerated) DotBf16Rows4Vector256(w0, w1, w2, w3, xp, n, result);
            else for (int k = 0; k < 4; k++) result[k] = DotBf16Row(w + k * stride, xp, n);
            return;
        }
        int i = 0;
        var mask = Vector512.Create(0xFFFF0000u);
        // DotBf16Row's four accumulators for each row: 16 of the 32 zmm registers.
        Vector512<float> e00 = default, o00 = default, e01 = default, o01 = default, e10 = default, o10 = default, e11 = default, o11 = default;
        Vector512<float> e20 = default, o20 = default, e21 = default, o21 = default, e30 = default, o30 = default, e31 = default, o31 = default;
        for (; i <= n - 64; i += 64)
        {
            // All eight weight loads first: four rows' cache misses in flight before the first FMA waits on one.
            var a0 = Vector512.Load((uint*)(w0 + i)); var b0 = Vector512.Load((uint*)(w0 + i + 32));
            var a1 = Vector512.Load((uint*)(w1 + i)); var b1 = Vector512.Load((uint*)(w1 + i + 32));
            var a2 = Vector512.Load((uint*)(w2 + i)); var b2 = Vector512.Load((uint*)(w2 + i + 32));
            var a3 = Vector512.Load((uint*)(w3 + i)); var b3 = Vector512.Load((uint*)(w3 + i + 32));
            var xe0 = Vector512.Load(xp + i);
            var xo0 = Vector512.Load(xp + i + 16);
            var xe1 = Vector512.Load(xp + i + 32);
            var xo1 = Vector512.Load(xp + i + 48);
            e00 = Vector512.FusedMultiplyAdd((a0 << 16).AsSingle(), xe0, e00);
            o00 = Vector512.FusedMultiplyAdd((a0 & mask).AsSingle(), xo0, o00);
            e01 = Vector512.FusedMultiplyAdd((b0 << 16).AsSingle(), xe1, e01);
            o01 = Vector512.FusedMultiplyAdd((b0 & mask).AsSingle(), xo1, o01);
            e10 = Vector512.FusedMultiplyAdd((a1 << 16).AsSingle(), xe0, e10);
            o10 = Vector512.FusedMultiplyAdd((a1 & mask).AsSingle(), xo0, o10);
            e11 = Vector512.FusedMultiplyAdd((b1 << 16).AsSingle(), xe1, e11);
            o11 = Vector512.FusedMultiplyAdd((b1 & mask).AsSingle(), xo1, o11);
            e20 = Vector512.FusedMultiplyAdd((a2 << 16).AsSingle(), xe0, e20);
            o20 = Vector512.FusedMultiplyAdd((a2 & mask).AsSingle(), xo0, o20);
            e21 = Vector512.FusedMultiplyAdd((b2 << 16).AsSingle(), xe1, e21);
            o21 = Vector512.FusedMultiplyAdd((b2 & mask).AsSingle(), xo1, o21);
            e30 = Vector512.FusedMultiplyAdd((a3 << 16).AsSingle(), xe0, e30);
            o30 = Vector512.FusedMultiplyAdd((a3 & mask).AsSingle(), xo0, o30);
            e31 = Vector512.FusedMultiplyAdd((b3 << 16).AsSingle(), xe1, e31);
            o31 = Vector512.FusedMultiplyAdd((b3 & mask).AsSingle(), xo1, o31);
        }
        for (; i <= n - 32; i += 32)
        {
            var xe0 = Vector512.Load(xp + i);
            var xo0 = Vector512.Load(xp + i + 16);
            var a = Vector512.Load((uint*)(w0 + i));
            e00 = Vector512.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e00);
            o00 = Vector512.FusedMultiplyAdd((a & mask).AsSingle(), xo0, o00);
            a = Vector512.Load((uint*)(w1 + i));
            e10 = Vector512.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e10);
            o10 = Vector512.FusedMultiplyAdd((a & mask).AsSingle(), xo0, o10);
            a = Vector512.Load((uint*)(w2 + i));
            e20 = Vector512.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e20);
            o20 = Vector512.FusedMultiplyAdd((a & mask).AsSingle(), xo0, o20);
            a = Vector512.Load((uint*)(w3 + i));
            e30 = Vector512.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e30);
            o30 = Vector512.FusedMultiplyAdd((a & mask).AsSingle(), xo0, o30);
        }
        result[0] = ScalarTail(w0, xp, i, n, HorizontalSum((e00 + o00) + (e01 + o01)));
        result[1] = ScalarTail(w1, xp, i, n, HorizontalSum((e10 + o10) + (e11 + o11)));
        result[2] = ScalarTail(w2, xp, i, n, HorizontalSum((e20 + o20) + (e21 + o21)));
        result[3] = ScalarTail(w3, xp, i, n, HorizontalSum((e30 + o30) + (e31 + o31)));
    }

    /// <summary>
    /// <see cref="DotBf16Rows4"/> on the Vector256 path: DotBf16Row's four accumulators for each row, sixteen in all, which is every
    /// ymm register, so the JIT keeps a few of them on the stack between iterations (a store and a load round nothing: the sums
    /// are still DotBf16Row's). The odd halves are (lane &gt;&gt;&gt; 16) &lt;&lt; 16, the same bits as lane &amp; 0xFFFF0000 without a
    /// mask register.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotBf16Rows4Vector256(ushort* w0, ushort* w1, ushort* w2, ushort* w3, float* xp, int n, float* result)
    {
        int i = 0;
        Vector256<float> e00 = default, o00 = default, e01 = default, o01 = default, e10 = default, o10 = default, e11 = default, o11 = default;
        Vector256<float> e20 = default, o20 = default, e21 = default, o21 = default, e30 = default, o30 = default, e31 = default, o31 = default;
        for (; i <= n - 32; i += 32)
        {
            var xe0 = Vector256.Load(xp + i);
            var xo0 = Vector256.Load(xp + i + 8);
            var a = Vector256.Load((uint*)(w0 + i));
            e00 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e00);
            o00 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o00);
            a = Vector256.Load((uint*)(w1 + i));
            e10 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e10);
            o10 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o10);
            a = Vector256.Load((uint*)(w2 + i));
            e20 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e20);
            o20 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o20);
            a = Vector256.Load((uint*)(w3 + i));
            e30 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e30);
            o30 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o30);
            var xe1 = Vector256.Load(xp + i + 16);
            var xo1 = Vector256.Load(xp + i + 24);
            a = Vector256.Load((uint*)(w0 + i + 16));
            e01 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe1, e01);
            o01 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo1, o01);
            a = Vector256.Load((uint*)(w1 + i + 16));
            e11 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe1, e11);
            o11 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo1, o11);
            a = Vector256.Load((uint*)(w2 + i + 16));
            e21 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe1, e21);
            o21 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo1, o21);
            a = Vector256.Load((uint*)(w3 + i + 16));
            e31 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe1, e31);
            o31 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo1, o31);
        }
        for (; i <= n - 16; i += 16)
        {
            var xe0 = Vector256.Load(xp + i);
            var xo0 = Vector256.Load(xp + i + 8);
            var a = Vector256.Load((uint*)(w0 + i));
            e00 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e00);
            o00 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o00);
            a = Vector256.Load((uint*)(w1 + i));
            e10 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e10);
            o10 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o10);
            a = Vector256.Load((uint*)(w2 + i));
            e20 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e20);
            o20 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o20);
            a = Vector256.Load((uint*)(w3 + i));
            e30 = Vector256.FusedMultiplyAdd((a << 16).AsSingle(), xe0, e30);
            o30 = Vector256.FusedMultiplyAdd(((a >>> 16) << 16).AsSingle(), xo0, o30);
        }
        result[0] = ScalarTail(w0, xp, i, n, Vector256.Sum((e00 + o00) + (e01 + o01)));
        result[1] = ScalarTail(w1, xp, i, n, Vector256.Sum((e10 + o10) + (e11 + o11)));
        result[2] = ScalarTail(w2, xp, i, n, Vector256.Sum((e20 + o20) + (e21 + o21)));
        result[3] = ScalarTail(w3, xp, i, n, Vector256.Sum((e30 + o30) + (e31 + o31)));
    }

    /// <summary>The scalar tail of <see cref="DotBf16Row"/> (values from <paramref name="i"/> on, not permuted) added to <paramref name="sum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScalarTail(ushort* w, float* xp, int i, int n, float sum)
    {
        for (; i < n; i++) sum += WeightFormats.Bf16ToFloat(w[i]) * xp[i];
        return sum;
    }

    /// <summary>
    /// Bytes ahead of the row position that <see cref="DotBf16Row"/> and the one-token rows of <see cref="DotBf16Rows16"/>
    /// prefetch, two lines per 128 bytes read. Measured on
    /// lite-mini decode (benchmarks quick-quant, 2026-12-06): without it 0.62-0.66 of the read bandwidth, 4 KB 0.77-0.78,
    /// 8 KB 0.84, 16 KB 0.76 (docs/PERFORMANCE.md).
    /// </summary>
    private const int Bf16PrefetchDistance = 8192;

    /// <summary>
    /// Whether this is an AMD processor (CPUID's vendor), which decides where the kernels' software prefetches go. The one-row
    /// BF16 kernels prefetch <see cref="Bf16PrefetchDistance"/> ahead into L1 on Intel, which lifted lite-mini decode from
    /// 0.62-0.66 to 0.84 of the read bandwidth; on AMD (2-core EPYC with AVX-512, 2026-12-07) the same prefetch into L1 made a
    /// decode step 1.19× as long (median of six alternating pairs), none was better, and a prefetch into L2 (prefetcht1) better
    /// still: 1.09-1.29× the tokens/s of none in three alternating pairs, and Q8/Q4 decode 1.4-1.7× with their decode kernels'
    /// prefetch into L2 instead of L1 (docs/PERFORMANCE.md). The many-row tiles prefetch on Intel only (on AMD a four-sequence
    /// step was no faster with it). Chosen once per process; each choice is its own compiled loop (a generic struct argument, not a
    /// static read in the loop).
    /// </summary>
    internal static bool IsAmdProcessor { get; } = IsAmd();

    /// <summary>Whether CPUID's vendor string is "AuthenticAMD".</summary>
    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163;   // "Auth" "enti" "cAMD"
    }

    /// <summary>A compile-time choice of the kernels' software prefetch (a generic argument, so each choice is its own compiled loop).</summary>
    internal interface IPrefetch
    {
        /// <summary>Prefetches the line at <paramref name="p"/> where this choice puts it.</summary>
        static abstract void Line(void* p);
    }

    /// <summary>prefetcht0: into L1 (Intel).</summary>
    internal struct IntoL1 : IPrefetch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Line(void* p) => Sse.Prefetch0(p);
    }

    /// <summary>prefetcht1: into L2 (AMD).</summary>
    internal struct IntoL2 : IPrefetch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Line(void* p) => Sse.Prefetch1(p);
    }

    /// <summary>One BF16 row with x in <see cref="PermuteEvenOdd"/> order: a single sequential stream, 64 values per iteration, prefetched ahead (into L1, or L2 where <see cref="IsAmdProcessor"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float DotBf16Row(ushort* w, float* xp, int n)
    {
        int i = 0;
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            sum = HorizontalSum(IsAmdProcessor ? Bf16RowAccumulator<IntoL2>(w, xp, n, ref i) : Bf16RowAccumulator<IntoL1>(w, xp, n, ref i));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(0xFFFF0000u);
            Vector256<float> e0 = default, o0 = default, e1 = default, o1 = default;
            bool intoL2 = IsAmdProcessor;
            for (; i <= n - 32; i += 32)
            {
                if (intoL2) Sse.Prefetch1((byte*)(w + i) + Bf16PrefetchDistance);
                else Sse.Prefetch0((byte*)(w + i) + Bf16PrefetchDistance);
                var r0 = Vector256.Load((uint*)(w + i));
                var r1 = Vector256.Load((uint*)(w + i + 16));
                e0 = Vector256.FusedMultiplyAdd((r0 << 16).AsSingle(), Vector256.Load(xp + i), e0);
                o0 = Vector256.FusedMultiplyAdd((r0 & mask).AsSingle(), Vector256.Load(xp + i + 8), o0);
                e1 = Vector256.FusedMultiplyAdd((r1 << 16).AsSingle(), Vector256.Load(xp + i + 16), e1);
                o1 = Vector256.FusedMultiplyAdd((r1 & mask).AsSingle(), Vector256.Load(xp + i + 24), o1);
            }
            for (; i <= n - 16; i += 16)
            {
                var r0 = Vector256.Load((uint*)(w + i));
                e0 = Vector256.FusedMultiplyAdd((r0 << 16).AsSingle(), Vector256.Load(xp + i), e0);
                o0 = Vector256.FusedMultiplyAdd((r0 & mask).AsSingle(), Vector256.Load(xp + i + 8), o0);
            }
            sum = Vector256.Sum((e0 + o0) + (e1 + o1));
        }
        for (; i < n; i++) sum += WeightFormats.Bf16ToFloat(w[i]) * xp[i];
        return sum;
    }

    /// <summary>
    /// <see cref="DotBf16Row"/>'s Vector512 loop over the first n - n mod 32 values (<paramref name="i"/> ends where the scalar
    /// tail starts): its accumulators combined as (e0 + o0) + (e1 + o1), whose <see cref="HorizontalSum"/> is that kernel's sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Bf16RowAccumulator<TPrefetch>(ushort* w, float* xp, int n, ref int i) where TPrefetch : struct, IPrefetch
    {
        var mask = Vector512.Create(0xFFFF0000u);
        Vector512<float> e0 = default, o0 = default, e1 = default, o1 = default;
        for (; i <= n - 64; i += 64)
        {
            TPrefetch.Line((byte*)(w + i) + Bf16PrefetchDistance);
            TPrefetch.Line((byte*)(w + i) + Bf16PrefetchDistance + 64);
            var r0 = Vector512.Load((uint*)(w + i));
            var r1 = Vector512.Load((uint*)(w + i + 32));
            e0 = Vector512.FusedMultiplyAdd((r0 << 16).AsSingle(), Vector512.Load(xp + i), e0);
            o0 = Vector512.FusedMultiplyAdd((r0 & mask).AsSingle(), Vector512.Load(xp + i + 16), o0);
            e1 = Vector512.FusedMultiplyAdd((r1 << 16).AsSingle(), Vector512.Load(xp + i + 32), e1);
            o1 = Vector512.FusedMultiplyAdd((r1 & mask).AsSingle(), Vector512.Load(xp + i + 48), o1);
        }
        for (; i <= n - 32; i += 32)
        {
            var r0 = Vector512.Load((uint*)(w + i));
            e0 = Vector512.FusedMultiplyAdd((r0 << 16).AsSingle(), Vector512.Load(xp + i), e0);
            o0 = Vector512.FusedMultiplyAdd((r0 & mask).AsSingle(), Vector512.Load(xp + i + 16), o0);
        }
        return (e0 + o0) + (e1 + o1);
    }

    /// <summary>
    /// result[k] = <see cref="DotBf16Row"/>(w + k·n, xp, n) for k &lt; <paramref name="count"/> ≤ 16 consecutive rows, bit for bit,
    /// with the sixteen reductions done as one <see cref="Sum16"/> instead of a <see cref="HorizontalSum"/> per row: for rows of a
    /// few hundred values (an expert's down projection, a small model's products) the reductions cost more than the row's FMAs.
    /// Requires Vector512 and n a multiple of 32 (no scalar tail); <paramref name="vectors"/> holds 16·16 floats (vectors past
    /// <paramref name="count"/> are reduced as they are and not read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Rows16(ushort* w, int n, float* xp, int count, float* vectors, float* result)
    {
        bool intoL2 = IsAmdProcessor;
        for (int k = 0; k < count; k++)
        {
            int i = 0;
            ushort* row = w + (long)k * n;
            (intoL2 ? Bf16RowAccumulator<IntoL2>(row, xp, n, ref i) : Bf16RowAccumulator<IntoL1>(row, xp, n, ref i)).Store(vectors + 16 * k);
        }
        if (count == 16)
        {
            Sum16(vectors, result);
            return;
        }
        float* all = stackalloc float[16];
        Sum16(vectors, all);
        for (int k = 0; k < count; k++) result[k] = all[k];
    }

    /// <summary>result[0..2) = w·x_j for 2 vectors in <see cref="PermuteEvenOdd"/> order: <see cref="DotBf16Row"/> with the weight
    /// row converted once for both (on the Vector512 path <see cref="DotBf16Row2Vectors"/>' sums). Each vector's sum is formed exactly as <see cref="DotBf16Row"/>
    /// forms it (same accumulators, same order), so a token verified beside a draft gets the bits it would get decoded alone; eight
    /// independent accumulator chains also keep this as short in latency as the one-vector kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Row2(ushort* w, float* xp0, float* xp1, int n, float* result)
    {
        int i = 0;
        float s0 = 0, s1 = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            float* v = stackalloc float[2 * 16];
            i = DotBf16Row2Vectors(w, xp0, xp1, n, v, 16);
            s0 = HorizontalSum(Vector512.Load(v));
            s1 = HorizontalSum(Vector512.Load(v + 16));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(0xFFFF0000u);
            Vector256<float> e0 = default, o0 = default, e1 = default, o1 = default, f0 = default, p0 = default, f1 = default, p1 = default;
            for (; i <= n - 32; i += 32)
            {
                var r0 = Vector256.Load((uint*)(w + i));
                var r1 = Vector256.Load((uint*)(w + i + 16));
                var ev0 = (r0 << 16).AsSingle(); var od0 = (r0 & mask).AsSingle();
                e0 = Vector256.FusedMultiplyAdd(ev0, Vector256.Load(xp0 + i), e0);
                o0 = Vector256.FusedMultiplyAdd(od0, Vector256.Load(xp0 + i + 8), o0);
                f0 = Vector256.FusedMultiplyAdd(ev0, Vector256.Load(xp1 + i), f0);
                p0 = Vector256.FusedMultiplyAdd(od0, Vector256.Load(xp1 + i + 8), p0);
                var ev1 = (r1 << 16).AsSingle(); var od1 = (r1 & mask).AsSingle();
                e1 = Vector256.FusedMultiplyAdd(ev1, Vector256.Load(xp0 + i + 16), e1);
                o1 = Vector256.FusedMultiplyAdd(od1, Vector256.Load(xp0 + i + 24), o1);
                f1 = Vector256.FusedMultiplyAdd(ev1, Vector256.Load(xp1 + i + 16), f1);
                p1 = Vector256.FusedMultiplyAdd(od1, Vector256.Load(xp1 + i + 24), p1);
            }
            for (; i <= n - 16; i += 16)
            {
                var r0 = Vector256.Load((uint*)(w + i));
                var ev0 = (r0 << 16).AsSingle(); var od0 = (r0 & mask).AsSingle();
                e0 = Vector256.FusedMultiplyAdd(ev0, Vector256.Load(xp0 + i), e0);
                o0 = Vector256.FusedMultiplyAdd(od0, Vector256.Load(xp0 + i + 8), o0);
                f0 = Vector256.FusedMultiplyAdd(ev0, Vector256.Load(xp1 + i), f0);
                p0 = Vector256.FusedMultiplyAdd(od0, Vector256.Load(xp1 + i + 8), p0);
            }
            s0 = Vector256.Sum((e0 + o0) + (e1 + o1));
            s1 = Vector256.Sum((f0 + p0) + (f1 + p1));
        }
        for (; i < n; i++)
        {
            float v = WeightFormats.Bf16ToFloat(w[i]);   // the tail is not permuted
            s0 += v * xp0[i]; s1 += v * xp1[i];
        }
        result[0] = s0; result[1] = s1;
    }

    /// <summary>result[0..3) = w·x_j for 3 vectors in <see cref="PermuteEvenOdd"/> order: <see cref="DotBf16Row2"/> for the first
    /// two and <see cref="DotBf16Row"/> for the third (twelve accumulators would not fit the registers), each bit-identical to
    /// <see cref="DotBf16Row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Row3(ushort* w, float* xp0, float* xp1, float* xp2, int n, float* result)
    {
        DotBf16Row2(w, xp0, xp1, n, result);
        result[2] = DotBf16Row(w, xp2, n);
    }

    /// <summary>result[0..4) = w·x_j for 4 vectors in <see cref="PermuteEvenOdd"/> order (prefill: the weight row converted once
    /// for four token rows), each bit-identical to <see cref="DotBf16Row"/>. On the Vector512 path the sums are
    /// <see cref="DotBf16Row4Vectors"/>' reduced by <see cref="HorizontalSum"/>; on the Vector256 path sixteen accumulators would
    /// spill, so two <see cref="DotBf16Row2"/> passes read the row (from L1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Row4(ushort* w, float* xp0, float* xp1, float* xp2, float* xp3, int n, float* result)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            DotBf16Row2(w, xp0, xp1, n, result);
            DotBf16Row2(w, xp2, xp3, n, result + 2);
            return;
        }
        float* v = stackalloc float[4 * 16];
        int i = DotBf16Row4Vectors(w, xp0, xp1, xp2, xp3, n, v, 16);
        result[0] = ScalarTail(w, xp0, i, n, HorizontalSum(Vector512.Load(v)));
        result[1] = ScalarTail(w, xp1, i, n, HorizontalSum(Vector512.Load(v + 16)));
        result[2] = ScalarTail(w, xp2, i, n, HorizontalSum(Vector512.Load(v + 32)));
        result[3] = ScalarTail(w, xp3, i, n, HorizontalSum(Vector512.Load(v + 48)));
    }

    /// <summary>
    /// Bytes ahead that <see cref="DotBf16Row4Vectors"/> prefetches into L1 (where not <see cref="IsAmdProcessor"/>): its weight rows
    /// follow one another in memory, so this is the next row of a 1024-wide tile. Measured (quick-prefill, 2026-12-06, Intel): an
    /// expert's 16 × [256, 1024] product 96 → 144-149 GFLOP/s; 1024 and 4096 bytes no better. On AMD (2026-12-07) a four-sequence
    /// decode step was faster without it in five of six alternating pairs; there the tiles prefetch into L2 instead
    /// (<see cref="TileL2PrefetchDistance"/>).
    /// </summary>
    private const int TilePrefetchDistance = 2048;

    /// <summary>
    /// Bytes ahead that the two- and four-token tiles (<see cref="DotBf16Row2Vectors"/>, <see cref="DotBf16Row4Vectors"/>)
    /// prefetch into L2 on AMD, where they read their weight rows from memory (batched decode, verify, a prefill block's first
    /// token rows). Without it the hardware prefetcher alone left a four-token product of 16 MB at 16-22 GB/s against 29-31 for
    /// one token. Measured on the Zen 4 guest (2026-12-07, alternating processes): rows-sweep 8192 × 1024, 4 tokens 1.37-1.84×
    /// (4096 bytes), 8 tokens 1.27-1.45×; lite-mini batch-decode steps of 4 / 8 / 16 sequences 28.1 → 23.2, 45 → 37-39,
    /// 69-70 → 57-59 ms (6,144 bytes; 4,096 and 8,192 within a few percent of it).
    /// </summary>
    private const int TileL2PrefetchDistance = 6144;

    /// <summary>The tiles' prefetch distance for <typeparamref name="TPrefetch"/> (a constant once the JIT has specialized it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TileDistance<TPrefetch>() where TPrefetch : struct, IPrefetch =>
        typeof(TPrefetch) == typeof(IntoL2) ? TileL2PrefetchDistance : TilePrefetchDistance;

    /// <summary>
    /// The Vector512 core of the many-row BF16 products: for four vectors x_j in <see cref="PermuteEvenOdd"/> order, stores at
    /// vectors + j·<paramref name="vectorStride"/> the sixteen lanes (e0 + o0) + (e1 + o1) of <see cref="DotBf16Row"/>'s
    /// accumulators over the first n - n mod 32 values, whose <see cref="HorizontalSum"/> is that kernel's sum; returns where the
    /// scalar tail starts. Leaving the reduction to the caller lets sixteen rows share one transposed reduction
    /// (<see cref="Sum16"/>) instead of each paying ~25 shuffles and adds. Requires Vector512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    public static int DotBf16Row4Vectors(ushort* w, float* xp0, float* xp1, float* xp2, float* xp3, int n, float* vectors, int vectorStride) =>
        IsAmdProcessor ? DotBf16Row4Vectors<IntoL2>(w, xp0, xp1, xp2, xp3, n, vectors, vectorStride) : DotBf16Row4Vectors<IntoL1>(w, xp0, xp1, xp2, xp3, n, vectors, vectorStride);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    private static int DotBf16Row4Vectors<TPrefetch>(ushort* w, float* xp0, float* xp1, float* xp2, float* xp3, int n, float* vectors, int vectorStride) where TPrefetch : struct, IPrefetch
    {
        DotBf16RowChunk<FourTokenRows, TPrefetch>(w, xp0, xp1, xp2, xp3, 0, n, n, null, vectors, vectorStride, TileDistance<TPrefetch>());
        return n & ~31;
    }

    /// <summary>Two or four token rows for <see cref="DotBf16RowChunk{TRows, TPrefetch}"/> (a constant once the JIT has specialized it).</summary>
    internal interface ITokenRows
    {
        static abstract bool Four { get; }
    }

    internal struct TwoTokenRows : ITokenRows
    {
        public static bool Four => false;
    }

    internal struct FourTokenRows : ITokenRows
    {
        public static bool Four => true;
    }

    /// <summary>
    /// <see cref="DotBf16Row4Vectors"/> (<see cref="DotBf16Row2Vectors"/> for <see cref="TwoTokenRows"/>: xp2, xp3 not read)
    /// over the values [<paramref name="c0"/>, <paramref name="c1"/>) of one weight row (c0 a multiple of 64; c1 too unless it
    /// is n, a multiple of 32), the accumulators carried between calls in <paramref name="acc"/> (64 floats per token row):
    /// zero before the first chunk, loaded and stored back between chunks, and after the last (c1 = n) combined as
    /// (e0 + o0) + (e1 + o1) into vectors + j·<paramref name="vectorStride"/>. Each accumulator sees the same FMAs in the same
    /// order as in one call over the whole row, so the bits are the whole-row kernel's. The caller runs a chunk over many weight
    /// rows before the next chunk, so the token rows' chunk stays in L1 while the weight rows stream (four whole token rows of
    /// 2,048+ columns do not fit). Each step prefetches <paramref name="prefetch"/> bytes ahead with <typeparamref name="TPrefetch"/>
    /// (the chunked tiles: into L2 what the row needs next, its next chunk a whole tile's work later). Over a whole row (c0 = 0,
    /// c1 = n) it is <see cref="DotBf16Row4Vectors"/> and <see cref="DotBf16Row2Vectors"/> (acc not read). Requires Vector512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    public static void DotBf16RowChunk<TRows, TPrefetch>(ushort* w, float* xp0, float* xp1, float* xp2, float* xp3, int c0, int c1, int n, float* acc,
        float* vectors, int vectorStride, int prefetch) where TRows : struct, ITokenRows where TPrefetch : struct, IPrefetch
    {
        var mask = Vector512.Create(0xFFFF0000u);
        Vector512<float> e00 = default, o00 = default, e01 = default, o01 = default, e10 = default, o10 = default, e11 = default, o11 = default;
        Vector512<float> e20 = default, o20 = default, e21 = default, o21 = default, e30 = default, o30 = default, e31 = default, o31 = default;
        if (c0 > 0)
        {
            e00 = Vector512.Load(acc); o00 = Vector512.Load(acc + 16); e01 = Vector512.Load(acc + 32); o01 = Vector512.Load(acc + 48);
            e10 = Vector512.Load(acc + 64); o10 = Vector512.Load(acc + 80); e11 = Vector512.Load(acc + 96); o11 = Vector512.Load(acc + 112);
            if (TRows.Four)
            {
                e20 = Vector512.Load(acc + 128); o20 = Vector512.Load(acc + 144); e21 = Vector512.Load(acc + 160); o21 = Vector512.Load(acc + 176);
                e30 = Vector512.Load(acc + 192); o30 = Vector512.Load(acc + 208); e31 = Vector512.Load(acc + 224); o31 = Vector512.Load(acc + 240);
            }
        }
        int i = c0;
        for (; i <= c1 - 64; i += 64)
        {
            TPrefetch.Line((byte*)(w + i) + prefetch);
            TPrefetch.Line((byte*)(w + i) + prefetch + 64);
            var r0 = Vector512.Load((uint*)(w + i));
            var r1 = Vector512.Load((uint*)(w + i + 32));
            var ev0 = (r0 << 16).AsSingle(); var od0 = (r0 & mask).AsSingle();
            var ev1 = (r1 << 16).AsSingle(); var od1 = (r1 & mask).AsSingle();
            e00 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp0 + i), e00);
            o00 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp0 + i + 16), o00);
            e01 = Vector512.FusedMultiplyAdd(ev1, Vector512.Load(xp0 + i + 32), e01);
            o01 = Vector512.FusedMultiplyAdd(od1, Vector512.Load(xp0 + i + 48), o01);
            e10 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp1 + i), e10);
            o10 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp1 + i + 16), o10);
            e11 = Vector512.FusedMultiplyAdd(ev1, Vector512.Load(xp1 + i + 32), e11);
            o11 = Vector512.FusedMultiplyAdd(od1, Vector512.Load(xp1 + i + 48), o11);
            if (!TRows.Four) continue;
            e20 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp2 + i), e20);
            o20 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp2 + i + 16), o20);
            e21 = Vector512.FusedMultiplyAdd(ev1, Vector512.Load(xp2 + i + 32), e21);
            o21 = Vector512.FusedMultiplyAdd(od1, Vector512.Load(xp2 + i + 48), o21);
            e30 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp3 + i), e30);
            o30 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp3 + i + 16), o30);
            e31 = Vector512.FusedMultiplyAdd(ev1, Vector512.Load(xp3 + i + 32), e31);
            o31 = Vector512.FusedMultiplyAdd(od1, Vector512.Load(xp3 + i + 48), o31);
        }
        if (c1 < n)
        {
            e00.Store(acc); o00.Store(acc + 16); e01.Store(acc + 32); o01.Store(acc + 48);
            e10.Store(acc + 64); o10.Store(acc + 80); e11.Store(acc + 96); o11.Store(acc + 112);
            if (!TRows.Four) return;
            e20.Store(acc + 128); o20.Store(acc + 144); e21.Store(acc + 160); o21.Store(acc + 176);
            e30.Store(acc + 192); o30.Store(acc + 208); e31.Store(acc + 224); o31.Store(acc + 240);
            return;
        }
        if (i <= n - 32)
        {
            var r0 = Vector512.Load((uint*)(w + i));
            var ev0 = (r0 << 16).AsSingle(); var od0 = (r0 & mask).AsSingle();
            e00 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp0 + i), e00);
            o00 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp0 + i + 16), o00);
            e10 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp1 + i), e10);
            o10 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp1 + i + 16), o10);
            if (TRows.Four)
            {
                e20 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp2 + i), e20);
                o20 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp2 + i + 16), o20);
                e30 = Vector512.FusedMultiplyAdd(ev0, Vector512.Load(xp3 + i), e30);
                o30 = Vector512.FusedMultiplyAdd(od0, Vector512.Load(xp3 + i + 16), o30);
            }
        }
        ((e00 + o00) + (e01 + o01)).Store(vectors);
        ((e10 + o10) + (e11 + o11)).Store(vectors + vectorStride);
        if (!TRows.Four) return;
        ((e20 + o20) + (e21 + o21)).Store(vectors + 2 * vectorStride);
        ((e30 + o30) + (e31 + o31)).Store(vectors + 3 * vectorStride);
    }

    /// <summary>
    /// <see cref="DotBf16Row4Vectors"/> for two weight rows at once (w and w + n), in two passes over halves of each 64-value
    /// chunk: <paramref name="half"/> 0 takes values [64c, 64c + 32) (and a last 32 when n mod 64 = 32), 1 takes [64c + 32, 64c + 64).
    /// Half 0 stores e0 + o0 and half 1 adds e1 + o1 to it, so after both passes each vector is ((e0 + o0) + (e1 + o1)), the
    /// accumulators and order of <see cref="DotBf16Row4Vectors"/> (and of <see cref="DotBf16Row"/>) bit for bit. Each 512-bit
    /// token load feeds two FMAs (ten loads per sixteen FMAs, against eighteen in the one-row tile: Zen 4 loads one 512-bit
    /// vector per cycle), and a pass reads half of each token row (at 2,048 columns, four token rows' halves fill half of L1
    /// instead of all of it). Row j of the pair, token k, goes to vectors + 16·j + k·<paramref name="vectorStride"/>. Requires
    /// Vector512 and n a multiple of 32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16Rows2x4Half(ushort* w, float* xp0, float* xp1, float* xp2, float* xp3, int n, int half, float* vectors, int vectorStride)
    {
        var mask = Vector512.Create(0xFFFF0000u);
        ushort* w1 = w + n;
        Vector512<float> e00 = default, o00 = default, e01 = default, o01 = default, e02 = default, o02 = default, e03 = default, o03 = default;
        Vector512<float> e10 = default, o10 = default, e11 = default, o11 = default, e12 = default, o12 = default, e13 = default, o13 = default;
        for (int i = half * 32; i <= n - 32; i += 64)
        {
            var r0 = Vector512.Load((uint*)(w + i));
            var r1 = Vector512.Load((uint*)(w1 + i));
            var ev0 = (r0 << 16).AsSingle(); var od0 = (r0 & mask).AsSingle();
            var ev1 = (r1 << 16).AsSingle(); var od1 = (r1 & mask).AsSingle();
            var x = Vector512.Load(xp0 + i);
            e00 = Vector512.FusedMultiplyAdd(ev0, x, e00);
            e10 = Vector512.FusedMultiplyAdd(ev1, x, e10);
            x = Vector512.Load(xp0 + i + 16);
            o00 = Vector512.FusedMultiplyAdd(od0, x, o00);
            o10 = Vector512.FusedMultiplyAdd(od1, x, o10);
            x = Vector512.Load(xp1 + i);
            e01 = Vector512.FusedMultiplyAdd(ev0, x, e01);
            e11 = Vector512.FusedMultiplyAdd(ev1, x, e11);
            x = Vector512.Load(xp1 + i + 16);
            o01 = Vector512.FusedMultiplyAdd(od0, x, o01);
            o11 = Vector512.FusedMultiplyAdd(od1, x, o11);
            x = Vector512.Load(xp2 + i);
            e02 = Vector512.FusedMultiplyAdd(ev0, x, e02);
            e12 = Vector512.FusedMultiplyAdd(ev1, x, e12);
            x = Vector512.Load(xp2 + i + 16);
            o02 = Vector512.FusedMultiplyAdd(od0, x, o02);
            o12 = Vector512.FusedMultiplyAdd(od1, x, o12);
            x = Vector512.Load(xp3 + i);
            e03 = Vector512.FusedMultiplyAdd(ev0, x, e03);
            e13 = Vector512.FusedMultiplyAdd(ev1, x, e13);
            x = Vector512.Load(xp3 + i + 16);
            o03 = Vector512.FusedMultiplyAdd(od0, x, o03);
            o13 = Vector512.FusedMultiplyAdd(od1, x, o13);
        }
        if (half == 0)
        {
            (e00 + o00).Store(vectors);
            (e01 + o01).Store(vectors + vectorStride);
            (e02 + o02).Store(vectors + 2 * vectorStride);
            (e03 + o03).Store(vectors + 3 * vectorStride);
            (e10 + o10).Store(vectors + 16);
            (e11 + o11).Store(vectors + 16 + vectorStride);
            (e12 + o12).Store(vectors + 16 + 2 * vectorStride);
            (e13 + o13).Store(vectors + 16 + 3 * vectorStride);
            return;
        }
        (Vector512.Load(vectors) + (e00 + o00)).Store(vectors);
        (Vector512.Load(vectors + vectorStride) + (e01 + o01)).Store(vectors + vectorStride);
        (Vector512.Load(vectors + 2 * vectorStride) + (e02 + o02)).Store(vectors + 2 * vectorStride);
        (Vector512.Load(vectors + 3 * vectorStride) + (e03 + o03)).Store(vectors + 3 * vectorStride);
        (Vector512.Load(vectors + 16) + (e10 + o10)).Store(vectors + 16);
        (Vector512.Load(vectors + 16 + vectorStride) + (e11 + o11)).Store(vectors + 16 + vectorStride);
        (Vector512.Load(vectors + 16 + 2 * vectorStride) + (e12 + o12)).Store(vectors + 16 + 2 * vectorStride);
        (Vector512.Load(vectors + 16 + 3 * vectorStride) + (e13 + o13)).Store(vectors + 16 + 3 * vectorStride);
    }

    /// <summary>
    /// <see cref="DotBf16Row4Vectors"/> for two vectors x_j (stored at vectors + j·<paramref name="vectorStride"/>): the many-row
    /// products' tile for two token rows (an expert two tokens chose, a verify step of two rows), each sum's lanes as
    /// <see cref="DotBf16Row"/> forms them. Requires Vector512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    public static int DotBf16Row2Vectors(ushort* w, float* xp0, float* xp1, int n, float* vectors, int vectorStride) =>
        IsAmdProcessor ? DotBf16Row2Vectors<IntoL2>(w, xp0, xp1, n, vectors, vectorStride) : DotBf16Row2Vectors<IntoL1>(w, xp0, xp1, n, vectors, vectorStride);

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.AggressiveInlining)]
    private static int DotBf16Row2Vectors<TPrefetch>(ushort* w, float* xp0, float* xp1, int n, float* vectors, int vectorStride) where TPrefetch : struct, IPrefetch
    {
        DotBf16RowChunk<TwoTokenRows, TPrefetch>(w, xp0, xp1, xp1, xp1, 0, n, n, null, vectors, vectorStride, TileDistance<TPrefetch>());
        return n & ~31;
    }

    /// <summary>
    /// The one order in which the Vector512 BF16 kernels reduce their sixteen lanes: adjacent lanes pairwise, then pairs of pairs,
    /// up to the two halves, ((v0 + v1) + (v2 + v3)) + ... (the tree .NET's Vector512.Sum uses today, written out so that
    /// <see cref="Sum16"/> can reproduce it for sixteen vectors at once whatever a later runtime does).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HorizontalSum(Vector512<float> v)
    {
        var lo = v.GetLower(); var hi = v.GetUpper();
        return (Sum128(lo.GetLower()) + Sum128(lo.GetUpper())) + (Sum128(hi.GetLower()) + Sum128(hi.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum128(Vector128<float> v)
    {
        var pairs = v + Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2));
        return (pairs + Vector128.Shuffle(pairs, Vector128.Create(2, 3, 0, 1))).ToScalar();
    }

    /// <summary>
    /// result[j] = <see cref="HorizontalSum"/>(v_j) for the sixteen vectors v_j at vectors + 16·j, bit for bit, as one transposed
    /// reduction: each level adds exactly the pairs HorizontalSum adds (lanes 2i and 2i+1 within 128-bit blocks, then the pairs'
    /// pairs, then 128-bit blocks 0+1 and 2+3, then the halves), with the sixteen rows side by side in the lanes: 45 instructions
    /// for sixteen sums instead of ~400. Requires AVX-512F.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sum16(float* vectors, float* result)
    {
        // Level 1: P_m, per 128-bit block b: [v_2m pair 0, v_2m pair 1, v_2m+1 pair 0, v_2m+1 pair 1] (pairs of block b's lanes).
        var p0 = Pairs(vectors, 0); var p1 = Pairs(vectors, 2); var p2 = Pairs(vectors, 4); var p3 = Pairs(vectors, 6);
        var p4 = Pairs(vectors, 8); var p5 = Pairs(vectors, 10); var p6 = Pairs(vectors, 12); var p7 = Pairs(vectors, 14);
        // Level 2: Q_g, per block b: block b's four-lane sums of v_4g .. v_4g+3, in order.
        var q0 = Avx512F.Shuffle(p0, p1, 0x88) + Avx512F.Shuffle(p0, p1, 0xDD);
        var q1 = Avx512F.Shuffle(p2, p3, 0x88) + Avx512F.Shuffle(p2, p3, 0xDD);
        var q2 = Avx512F.Shuffle(p4, p5, 0x88) + Avx512F.Shuffle(p4, p5, 0xDD);
        var q3 = Avx512F.Shuffle(p6, p7, 0x88) + Avx512F.Shuffle(p6, p7, 0xDD);
        // Level 3: blocks 0+1 and 2+3 of each Q: R = [eights 0-7 of v_8h.., eights 8-15 of v_8h.., then of v_8h+4..].
        var r0 = Avx512F.Shuffle4x128(q0, q1, 0x88) + Avx512F.Shuffle4x128(q0, q1, 0xDD);
        var r1 = Avx512F.Shuffle4x128(q2, q3, 0x88) + Avx512F.Shuffle4x128(q2, q3, 0xDD);
        // Level 4: the two halves, v_0 .. v_15 in lane order.
        (Avx512F.Shuffle4x128(r0, r1, 0x88) + Avx512F.Shuffle4x128(r0, r1, 0xDD)).Store(result);
    }

    /// <summary>Level 1 of <see cref="Sum16"/> for v_j and v_j+1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pairs(float* vectors, int j)
    {
        var a = Vector512.Load(vectors + 16 * j); var b = Vector512.Load(vectors + 16 * (j + 1));
        return Avx512F.Shuffle(a, b, 0x88) + Avx512F.Shuffle(a, b, 0xDD);
    }

    /// <summary>
    /// result[0..count) = w·x_k for <paramref name="count"/> ≤ 4 vectors at xp + k·stride in <see cref="PermuteEvenOdd"/> order,
    /// each bit-identical to <see cref="DotBf16Row"/> whatever the count: the unit a many-row product is built from.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotBf16RowN(ushort* w, float* xp, long stride, int count, int n, float* result)
    {
        switch (count)
        {
            case 4: DotBf16Row4(w, xp, xp + stride, xp + 2 * stride, xp + 3 * stride, n, result); break;
            case 3: DotBf16Row3(w, xp, xp + stride, xp + 2 * stride, n, result); break;
            case 2: DotBf16Row2(w, xp, xp + stride, n, result); break;
            case 1: result[0] = DotBf16Row(w, xp, n); break;
            default: throw new ArgumentOutOfRangeException(nameof(count), count, "one to four vectors");
        }
    }

    /// <summary>acc += alpha · BF16 row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AxpyBf16(ushort* w, float alpha, float* acc, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(alpha);
            for (; i <= n - 32; i += 32)
            {
                var r = Vector512.Load(w + i);
                Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(r), 16).AsSingle(), va, Vector512.Load(acc + i)).Store(acc + i);
                Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(r), 16).AsSingle(), va, Vector512.Load(acc + i + 16)).Store(acc + i + 16);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(alpha);
            for (; i <= n - 16; i += 16)
            {
                var r = Vector256.Load(w + i);
                Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenLower(r), 16).AsSingle(), va, Vector256.Load(acc + i)).Store(acc + i);
                Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenUpper(r), 16).AsSingle(), va, Vector256.Load(acc + i + 8)).Store(acc + i + 8);
            }
        }
        for (; i < n; i++) acc[i] += alpha * WeightFormats.Bf16ToFloat(w[i]);
    }

    /// <summary>silu(g) · u.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluMul(float g, float u) => g / (1f + MathF.Exp(-g)) * u;
}
