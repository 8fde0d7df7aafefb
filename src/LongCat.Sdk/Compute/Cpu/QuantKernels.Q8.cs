using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LongCat.Sdk.Compute.Cpu;

// Q8 weights × int8 token rows: one 32-byte block per 256-bit step, two per 512-bit step.
internal static unsafe partial class QuantKernels
{
    /// <summary>How a 256-bit path forms a Q8 block's eight exact s32 lanes.</summary>
    private interface IQ8Ops
    {
        /// <summary>The weight block as the u8 operand, once for all token rows.</summary>
        static abstract Vector256<byte> Prepare(Vector256<sbyte> w);

        /// <summary>The lanes Σ w·a for one token row (<paramref name="offsets"/>: the row's −128·Σa per lane).</summary>
        static abstract Vector256<int> Lanes(Vector256<byte> prepared, Vector256<sbyte> w, sbyte* a, int* offsets);
    }

    /// <summary>The offset trick: (w + 128) as u8 × a, plus −128·Σa (vpdpbusd sums in s32, so nothing saturates).</summary>
    private struct Q8Vnni : IQ8Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Prepare(Vector256<sbyte> w) => w.AsByte() ^ Vector256.Create((byte)0x80);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Lanes(Vector256<byte> prepared, Vector256<sbyte> w, sbyte* a, int* offsets) =>
            AvxVnni.MultiplyWideningAndAdd(Vector256.Load(offsets), prepared, Vector256.Load(a));
    }

    /// <summary>The sign trick: |w| as u8 × (a with w's sign), each s16 pair at most 2·127·127, then pairs of pairs.</summary>
    private struct Q8Avx2 : IQ8Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<byte> Prepare(Vector256<sbyte> w) => Avx2.Abs(w);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Lanes(Vector256<byte> prepared, Vector256<sbyte> w, sbyte* a, int* offsets) =>
            Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(prepared, Avx2.Sign(Vector256.Load(a), w)), Vector256.Create((short)1));
    }

    /// <summary>Q8 passes on a 256-bit path: two accumulators (even, odd blocks) per slot.</summary>
    private struct Q8Kernel256<TOps> : IRowKernel where TOps : struct, IQ8Ops
    {
        [SkipLocalsInit]
        public static void Run<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TS : struct, IShape
        {
            float* d = stackalloc float[32];
            Pass<TS>(rows, a, t0, nb, d, result);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Pass<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* d, float* result) where TS : struct, IShape
        {
            int slots = TS.R * TS.N;
            TokenSlot<TS>(a, t0, 0, out sbyte* q0, out int* o0, out float* sa0);
            TokenSlot<TS>(a, t0, 1, out sbyte* q1, out int* o1, out float* sa1);
            TokenSlot<TS>(a, t0, 2, out sbyte* q2, out int* o2, out float* sa2);
            TokenSlot<TS>(a, t0, 3, out sbyte* q3, out int* o3, out float* sa3);
            // Pass by pass: weight rows r..r+R-1 (decode) or row r against N token rows (prefill).
            for (int r = 0; r < rows.Count; r += TS.R, result += TS.R * TS.N)
            {
                WeightSlot<TS>(rows, r, 0, out byte* w0, out ushort* ws0, out _);
                WeightSlot<TS>(rows, r, 1, out byte* w1, out ushort* ws1, out _);
                WeightSlot<TS>(rows, r, 2, out byte* w2, out ushort* ws2, out _);
                WeightSlot<TS>(rows, r, 3, out byte* w3, out ushort* ws3, out _);
                Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
                for (int c = 0; c < nb; c += 8)
                {
                    int m = Math.Min(8, nb - c), k = 0;
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, m, d);
                    for (; k + 1 < m; k += 2)
                    {
                        long off = (long)(c + k) * Block;          // the byte offset of block c + k in a weight row, a token row and its offsets
                        float* dk = d + k;
                        // One prefetch per 64-byte line of each weight row (a prefetch past the row's end is harmless).
                        Sse.Prefetch0(w0 + off + PrefetchDistance);
                        if (TS.R > 1) Sse.Prefetch0(w1 + off + PrefetchDistance);
                        if (TS.R > 2) Sse.Prefetch0(w2 + off + PrefetchDistance);
                        if (TS.R > 3) Sse.Prefetch0(w3 + off + PrefetchDistance);
                        e0 = BlockStep(w0 + off, q0 + off, o0, off, dk, e0);
                        f0 = BlockStep(w0 + off + Block, q0 + off + Block, o0, off + Block, dk + 1, f0);
                        if (slots > 1)
                        {
                            e1 = BlockStep(w1 + off, q1 + off, o1, off, dk + 8, e1);
                            f1 = BlockStep(w1 + off + Block, q1 + off + Block, o1, off + Block, dk + 9, f1);
                        }
                        if (slots > 2)
                        {
                            e2 = BlockStep(w2 + off, q2 + off, o2, off, dk + 16, e2);
                            f2 = BlockStep(w2 + off + Block, q2 + off + Block, o2, off + Block, dk + 17, f2);
                        }
                        if (slots > 3)
                        {
                            e3 = BlockStep(w3 + off, q3 + off, o3, off, dk + 24, e3);
                            f3 = BlockStep(w3 + off + Block, q3 + off + Block, o3, off + Block, dk + 25, f3);
                        }
                    }
                    if (k < m)
                    {
                        // The last block of an odd count: an even block, so the even set.
                        long off = (long)(c + k) * Block;
                        float* dk = d + k;
                        e0 = BlockStep(w0 + off, q0 + off, o0, off, dk, e0);
                        if (slots > 1) e1 = BlockStep(w1 + off, q1 + off, o1, off, dk + 8, e1);
                        if (slots > 2) e2 = BlockStep(w2 + off, q2 + off, o2, off, dk + 16, e2);
                        if (slots > 3) e3 = BlockStep(w3 + off, q3 + off, o3, off, dk + 24, e3);
                    }
                }
                Store<TS>(result, e0 + f0, e1 + f1, e2 + f2, e3 + f3);
            }
        }

        /// <summary>
        /// One block of one slot: acc = fma((float)lanes, d, acc), the block's offsets at byte <paramref name="off"/> of the
        /// row's (a block's eight s32 offsets take as many bytes as its values). Slots sharing a weight or token row load it once
        /// (CSE); d is broadcast from memory (a load, no shuffle).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> BlockStep(byte* w, sbyte* q, int* offsets, long off, float* d, Vector256<float> acc)
        {
            var wv = Vector256.Load((sbyte*)w);
            var lanes = TOps.Lanes(TOps.Prepare(wv), wv, q, (int*)((byte*)offsets + off));
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), Avx.BroadcastScalarToVector256(d), acc);
        }
    }

    /// <summary>
    /// Q8 rows × one token row on a 256-bit path (decode): four weight rows per pass over one flat loop of block pairs, the token
    /// row's two blocks loaded once for the four rows and the eight accumulators in registers; the rows' scales d = weight ×
    /// token scale formed before the loop for all their blocks (as <see cref="Q8Tokens4{TOps}"/> does for four token rows).
    /// Same bits as <see cref="Q8Kernel256{TOps}"/>, whose decode loop forms the scales every eight blocks and reloaded its row
    /// pointers from the stack every step. The prefetch goes to L1 on Intel, L2 on AMD (<see cref="SimdKernels.IsAmdProcessor"/>:
    /// there 1.4-1.7× the decode tokens/s of a prefetch into L1; docs/PERFORMANCE.md).
    /// </summary>
    private struct Q8Rows4<TOps, TPrefetch> : IFourRowPass where TOps : struct, IQ8Ops where TPrefetch : struct, SimdKernels.IPrefetch
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Pass(in QuantWeightRows rows, int count, in QuantizedRows a, int t0, int nb, float* d, float* result)
        {
            sbyte* q = a.Values(t0);
            int* o = a.Offsets(t0);
            float* sa = a.Scales(t0);
            float* d0 = d, d1 = d + nb, d2 = d + 2 * nb, d3 = d + 3 * nb;
            int pairs = nb / 2 * 2;
            for (int r = 0; r < count; r += 4, result += 4)
            {
                FourRowScales(rows, r, sa, nb, d);
                sbyte* w0 = (sbyte*)rows.Row(r), w1 = (sbyte*)rows.Row(r + 1), w2 = (sbyte*)rows.Row(r + 2), w3 = (sbyte*)rows.Row(r + 3);
                Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
                sbyte* p = q;
                int* f = o;
                int b = 0;
                for (; b < pairs; b += 2, w0 += 2 * Block, w1 += 2 * Block, w2 += 2 * Block, w3 += 2 * Block, p += 2 * Block, f += 16)
                {
                    TPrefetch.Line(w0 + PrefetchDistance);
                    TPrefetch.Line(w1 + PrefetchDistance);
                    TPrefetch.Line(w2 + PrefetchDistance);
                    TPrefetch.Line(w3 + PrefetchDistance);
                    e0 = Step(w0, p, f, d0 + b, e0);
                    f0 = Step(w0 + Block, p + Block, f + 8, d0 + b + 1, f0);
                    e1 = Step(w1, p, f, d1 + b, e1);
                    f1 = Step(w1 + Block, p + Block, f + 8, d1 + b + 1, f1);
                    e2 = Step(w2, p, f, d2 + b, e2);
                    f2 = Step(w2 + Block, p + Block, f + 8, d2 + b + 1, f2);
                    e3 = Step(w3, p, f, d3 + b, e3);
                    f3 = Step(w3 + Block, p + Block, f + 8, d3 + b + 1, f3);
                }
                if (b < nb)
                {
                    // The last block of an odd count: an even block, so the even set.
                    e0 = Step(w0, p, f, d0 + b, e0);
                    e1 = Step(w1, p, f, d1 + b, e1);
                    e2 = Step(w2, p, f, d2 + b, e2);
                    e3 = Step(w3, p, f, d3 + b, e3);
                }
                Store<R4N1>(result, e0 + f0, e1 + f1, e2 + f2, e3 + f3);
            }
        }

        /// <summary>One block of one weight row: acc = fma((float)lanes, d, acc), the token block's eight offsets at <paramref name="offsets"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Step(sbyte* w, sbyte* q, int* offsets, float* d, Vector256<float> acc)
        {
            var wv = Vector256.Load(w);
            var lanes = TOps.Lanes(TOps.Prepare(wv), wv, q, offsets);
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), Avx.BroadcastScalarToVector256(d), acc);
        }
    }

    /// <summary>A decode kernel's passes over four weight rows at a time for one token row, given a scale buffer d of 4·nb floats.</summary>
    private interface IFourRowPass
    {
        static abstract void Pass(in QuantWeightRows rows, int count, in QuantizedRows a, int t0, int nb, float* d, float* result);
    }

    /// <summary>
    /// Runs <typeparamref name="TPass"/> over the first rows.Count / 4 · 4 rows of <paramref name="rows"/> for token row t0
    /// (nb ≤ <see cref="FourTokenMaxBlocks"/>), and <typeparamref name="TRest"/> over the last one to three.
    /// </summary>
    [SkipLocalsInit]
    private static void RunFourRows<TPass, TRest>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result)
        where TPass : struct, IFourRowPass where TRest : struct, IRowKernel
    {
        int four = rows.Count / 4 * 4;
        if (four > 0)
        {
            float* d = stackalloc float[4 * nb];
            TPass.Pass(rows, four, a, t0, nb, d, result);
        }
        if (four < rows.Count) TRest.Run<R1N1>(rows.Slice(four, rows.Count - four), a, t0, nb, result + four);
    }

    /// <summary>
    /// d[k·nb + b] = weight row r + k's F16 scale of block b (as F32) × sa[b] for k &lt; 4, the same F32 products as
    /// <see cref="ChunkScales"/>: a four-row decode pass's scales, formed before its loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FourRowScales(in QuantWeightRows rows, int r, float* sa, int nb, float* d)
    {
        for (int k = 0; k < 4; k++, d += nb)
        {
            ushort* ws = rows.RowScales(r + k);
            int c = 0;
            for (; c + 8 <= nb; c += 8) (HalfToSingle8(ws + c) * Vector256.Load(sa + c)).Store(d + c);
            for (; c < nb; c++) d[c] = HalfToSingle(ws[c]) * sa[c];
        }
    }

    /// <summary>Largest block count whose scales the four-token kernels keep on the stack (32,768 values); wider rows take the
    /// general kernels.</summary>
    private const int FourTokenMaxBlocks = 1024;

    /// <summary>A kernel's passes over weight rows for four token rows, given the interleaved token scales (sa) and a row's scale
    /// buffer (d), both 4·nb floats.</summary>
    private interface IFourTokenPass
    {
        static abstract void Pass(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* sa, float* d, float* result);
    }

    /// <summary>Runs <typeparamref name="TPass"/> over <paramref name="rows"/> for token rows t0..t0+3 (nb ≤ <see cref="FourTokenMaxBlocks"/>).</summary>
    [SkipLocalsInit]
    private static void RunFourTokens<TPass>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TPass : struct, IFourTokenPass
    {
        float* sa = stackalloc float[4 * nb];
        float* d = stackalloc float[4 * nb];
        InterleaveScales(a, t0, nb, sa);
        TPass.Pass(rows, a, t0, nb, sa, d, result);
    }

    /// <summary>sa[4b + k] = token row t0 + k's scale of block b: the four-token kernels' block-major order, once per call.</summary>
    private static void InterleaveScales(in QuantizedRows a, int t0, int nb, float* sa)
    {
        for (int k = 0; k < 4; k++)
        {
            float* s = a.Scales(t0 + k);
            for (int b = 0; b < nb; b++) sa[4 * b + k] = s[b];
        }
    }

    /// <summary>d[4b + k] = the row's F16 scale of block b (as F32) × sa[4b + k], the same F32 product as <see cref="ChunkScales"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowScales(ushort* ws, float* sa, int nb, float* d)
    {
        int whole = nb / 8 * 8;
        var lowPair = Vector256.Create(0, 0, 0, 0, 1, 1, 1, 1);
        for (int c = 0; c < whole; c += 8)
        {
            var wf = HalfToSingle8(ws + c);
            for (int p = 0; p < 4; p++)
            {
                var idx = lowPair + Vector256.Create(2 * p);
                (Avx2.PermuteVar8x32(wf, idx) * Vector256.Load(sa + 4 * (c + 2 * p))).Store(d + 4 * (c + 2 * p));
            }
        }
        for (int b = whole; b < nb; b++)
        {
            float f = HalfToSingle(ws[b]);
            for (int k = 0; k < 4; k++) d[4 * b + k] = f * sa[4 * b + k];
        }
    }

    /// <summary>
    /// Q8 rows × four token rows on a 256-bit path (prefill, verify, batched decode): one weight row per pass read once for the
    /// four, the eight accumulators in registers over one flat loop of block pairs. The scales d = weight × token scale of a row
    /// are formed before its loop, for all its blocks at once, in block-major order (d[4b + k]), so each step broadcasts its
    /// four from fixed displacements; the token scales are interleaved that way once per call. Same bits as
    /// <see cref="Q8Kernel256{TOps}"/> (the order of the class remarks): a kernel that kept its accumulators in memory there
    /// (the chunked scale loop left the JIT no registers) ran prefill's expert products at a sixth of the FMA peak.
    /// </summary>
    private struct Q8Tokens4<TOps> : IFourTokenPass where TOps : struct, IQ8Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Pass(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* sa, float* d, float* result)
        {
            sbyte* q0 = a.Values(t0), q1 = a.Values(t0 + 1), q2 = a.Values(t0 + 2), q3 = a.Values(t0 + 3);
            int* o0 = a.Offsets(t0);
            int pairs = nb / 2 * 2;
            // Each token row's offsets lie at the same distance past its values: one register for the four (a kernel holding
            // eight row pointers reloaded half of them from the stack every step).
            long toOffsets = (byte*)o0 - (byte*)q0;
            for (int r = 0; r < rows.Count; r++, result += 4)
            {
                byte* w = rows.Row(r);
                RowScales(rows.RowScales(r), sa, nb, d);
                Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
                float* db = d;
                sbyte* wp = (sbyte*)w, p0 = q0, p1 = q1, p2 = q2, p3 = q3;
                for (int b = 0; b < pairs; b += 2, wp += 2 * Block, p0 += 2 * Block, p1 += 2 * Block, p2 += 2 * Block, p3 += 2 * Block, db += 8)
                {
                    Sse.Prefetch0(wp + PrefetchDistance);
                    var w0 = Vector256.Load(wp);
                    var w1 = Vector256.Load(wp + Block);
                    var x0 = TOps.Prepare(w0);
                    var x1 = TOps.Prepare(w1);
                    e0 = Step(x0, w0, p0, toOffsets, db, e0);
                    e1 = Step(x0, w0, p1, toOffsets, db + 1, e1);
                    e2 = Step(x0, w0, p2, toOffsets, db + 2, e2);
                    e3 = Step(x0, w0, p3, toOffsets, db + 3, e3);
                    f0 = Step(x1, w1, p0 + Block, toOffsets, db + 4, f0);
                    f1 = Step(x1, w1, p1 + Block, toOffsets, db + 5, f1);
                    f2 = Step(x1, w1, p2 + Block, toOffsets, db + 6, f2);
                    f3 = Step(x1, w1, p3 + Block, toOffsets, db + 7, f3);
                }
                if (pairs < nb)
                {
                    // The last block of an odd count: an even block, so the even set.
                    var w0 = Vector256.Load(wp);
                    var x0 = TOps.Prepare(w0);
                    e0 = Step(x0, w0, p0, toOffsets, db, e0);
                    e1 = Step(x0, w0, p1, toOffsets, db + 1, e1);
                    e2 = Step(x0, w0, p2, toOffsets, db + 2, e2);
                    e3 = Step(x0, w0, p3, toOffsets, db + 3, e3);
                }
                Reduce4(e0 + f0, e1 + f1, e2 + f2, e3 + f3).Store(result);
            }
        }

        /// <summary>One block of one slot: q its token values, q + <paramref name="toOffsets"/> bytes its offsets.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Step(Vector256<byte> prepared, Vector256<sbyte> w, sbyte* q, long toOffsets, float* d, Vector256<float> acc)
        {
            var lanes = TOps.Lanes(prepared, w, q, (int*)((byte*)q + toOffsets));
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), Avx.BroadcastScalarToVector256(d), acc);
        }
    }

    /// <summary>
    /// Q8 passes with AVX-512BW: blocks b (low half) and b + 1 (high half) per step, so one zmm holds a slot's even and odd sets.
    /// The sign trick, as <see cref="Q8Avx2"/> (vpmaddubsw has no s32 form to take the offset trick's 255·127 products).
    /// </summary>
    private struct Q8Avx512Kernel : IRowKernel
    {
        [SkipLocalsInit]
        public static void Run<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TS : struct, IShape
        {
            float* d = stackalloc float[32];
            Pass<TS>(rows, a, t0, nb, d, result);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Pass<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* d, float* result) where TS : struct, IShape
        {
            int slots = TS.R * TS.N;
            TokenSlot<TS>(a, t0, 0, out sbyte* q0, out _, out float* sa0);
            TokenSlot<TS>(a, t0, 1, out sbyte* q1, out _, out float* sa1);
            TokenSlot<TS>(a, t0, 2, out sbyte* q2, out _, out float* sa2);
            TokenSlot<TS>(a, t0, 3, out sbyte* q3, out _, out float* sa3);
            // Pass by pass: weight rows r..r+R-1 (decode) or row r against N token rows (prefill).
            for (int r = 0; r < rows.Count; r += TS.R, result += TS.R * TS.N)
            {
                WeightSlot<TS>(rows, r, 0, out byte* w0, out ushort* ws0, out _);
                WeightSlot<TS>(rows, r, 1, out byte* w1, out ushort* ws1, out _);
                WeightSlot<TS>(rows, r, 2, out byte* w2, out ushort* ws2, out _);
                WeightSlot<TS>(rows, r, 3, out byte* w3, out ushort* ws3, out _);
                Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                for (int c = 0; c < nb; c += 8)
                {
                    int m = Math.Min(8, nb - c);
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, m, d);
                    for (int k = 0; k < m; k += 2)
                    {
                        long b = c + k;
                        bool lone = k + 1 == m;                 // a lone last block: zeros after it (zero-padded token rows, d = 0)
                        acc0 = Blocks(w0, q0, b, lone, d + k, acc0);
                        if (slots > 1) acc1 = Blocks(w1, q1, b, lone, d + 8 + k, acc1);
                        if (slots > 2) acc2 = Blocks(w2, q2, b, lone, d + 16 + k, acc2);
                        if (slots > 3) acc3 = Blocks(w3, q3, b, lone, d + 24 + k, acc3);
                    }
                }
                Store<TS>(result, acc0, acc1, acc2, acc3);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Blocks(byte* w, sbyte* q, long b, bool lone, float* d, Vector512<float> acc)
        {
            sbyte* wb = (sbyte*)w + b * Block;
            Sse.Prefetch0(wb + PrefetchDistance);
            var wv = lone ? Vector512.Create(Vector256.Load(wb), Vector256<sbyte>.Zero) : Vector512.Load(wb);
            var av = Vector512.Load(q + b * Block);
            var signed = Vector512.ConditionalSelect(Vector512.LessThan(wv, Vector512<sbyte>.Zero), -av, av);
            var lanes = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(wv), signed), Vector512.Create((short)1));
            var dd = Vector512.Create(Vector256.Create(d[0]), Vector256.Create(d[1]));
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }
}
