using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LongCat.Sdk.Compute.Cpu;

// Q4 weights × int8 token rows: a pair of 16-byte blocks per 256-bit step, two pairs per 512-bit step. A weight byte's low
// nibbles meet the token row's columns 0..15 and its high nibbles columns 16..31 (the quantized row's quad layout), so the
// nibbles are split with one shift and two ANDs and never moved across lanes.
internal static unsafe partial class QuantKernels
{
    /// <summary>How a 256-bit path forms a Q4 pair's eight exact s32 lanes.</summary>
    private interface IQ4Ops
    {
        /// <summary>Σ q·a over the lane's low- and high-nibble columns, plus <paramref name="offsets"/> (−zero·Σa).</summary>
        static abstract Vector256<int> Lanes(Vector256<byte> low, Vector256<byte> high, sbyte* aLow, sbyte* aHigh, Vector256<int> offsets);
    }

    private struct Q4Vnni : IQ4Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Lanes(Vector256<byte> low, Vector256<byte> high, sbyte* aLow, sbyte* aHigh, Vector256<int> offsets) =>
            AvxVnni.MultiplyWideningAndAdd(AvxVnni.MultiplyWideningAndAdd(offsets, low, Vector256.Load(aLow)), high, Vector256.Load(aHigh));
    }

    /// <summary>u8 nibbles × s8: each s16 pair at most 2·15·127, and the two halves' sum at most twice that.</summary>
    private struct Q4Avx2 : IQ4Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Lanes(Vector256<byte> low, Vector256<byte> high, sbyte* aLow, sbyte* aHigh, Vector256<int> offsets)
        {
            var pairs = Avx2.MultiplyAddAdjacent(low, Vector256.Load(aLow)) + Avx2.MultiplyAddAdjacent(high, Vector256.Load(aHigh));
            return Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1)) + offsets;
        }
    }

    /// <summary>−zero·Σa from the stored −8·Σa: ×zero, then an exact ÷8 (the product is a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ZeroOffsets(int* offsets, Vector256<int> zeros) =>
        Avx2.ShiftRightArithmetic(Avx2.MultiplyLow(Vector256.Load(offsets), zeros), 3);

    /// <summary>Q4 passes on a 256-bit path: two accumulators (even, odd pairs of blocks) per slot.</summary>
    private struct Q4Kernel256<TOps> : IRowKernel where TOps : struct, IQ4Ops
    {
        [SkipLocalsInit]
        public static void Run<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TS : struct, IShape
        {
            float* d = stackalloc float[32];
            if (rows.Zeros == null) Pass<TS, No>(rows, a, t0, nb, d, result);
            else Pass<TS, Yes>(rows, a, t0, nb, d, result);
        }

        /// <summary>The passes, specialized for weights with (<typeparamref name="TZ"/> = <see cref="Yes"/>) or without zero points.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Pass<TS, TZ>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* d, float* result)
            where TS : struct, IShape where TZ : struct, IFlag
        {
            int slots = TS.R * TS.N;
            TokenSlot<TS>(a, t0, 0, out sbyte* q0, out int* o0, out float* sa0);
            TokenSlot<TS>(a, t0, 1, out sbyte* q1, out int* o1, out float* sa1);
            TokenSlot<TS>(a, t0, 2, out sbyte* q2, out int* o2, out float* sa2);
            TokenSlot<TS>(a, t0, 3, out sbyte* q3, out int* o3, out float* sa3);
            // Pass by pass: weight rows r..r+R-1 (decode) or row r against N token rows (prefill).
            for (int r = 0; r < rows.Count; r += TS.R, result += TS.R * TS.N)
            {
                WeightSlot<TS>(rows, r, 0, out byte* w0, out ushort* ws0, out byte* z0);
                WeightSlot<TS>(rows, r, 1, out byte* w1, out ushort* ws1, out byte* z1);
                WeightSlot<TS>(rows, r, 2, out byte* w2, out ushort* ws2, out byte* z2);
                WeightSlot<TS>(rows, r, 3, out byte* w3, out ushort* ws3, out byte* z3);
                Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
                int c = 0;
                for (; c + 8 <= nb; c += 8)
                {
                    // Whole chunks: pairs at blocks c (even set), c + 2 (odd), c + 4 (even), c + 6 (odd), unrolled, no tail checks.
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, 8, d);
                    for (int k = 0; k < 8; k += 4)
                    {
                        e0 = Pair<TZ>(e0, w0, z0, c, k, false, q0, o0, d);
                        if (slots > 1) e1 = Pair<TZ>(e1, w1, z1, c, k, false, q1, o1, d + 8);
                        if (slots > 2) e2 = Pair<TZ>(e2, w2, z2, c, k, false, q2, o2, d + 16);
                        if (slots > 3) e3 = Pair<TZ>(e3, w3, z3, c, k, false, q3, o3, d + 24);
                        f0 = Pair<TZ>(f0, w0, z0, c, k + 2, false, q0, o0, d);
                        if (slots > 1) f1 = Pair<TZ>(f1, w1, z1, c, k + 2, false, q1, o1, d + 8);
                        if (slots > 2) f2 = Pair<TZ>(f2, w2, z2, c, k + 2, false, q2, o2, d + 16);
                        if (slots > 3) f3 = Pair<TZ>(f3, w3, z3, c, k + 2, false, q3, o3, d + 24);
                    }
                }
                if (c < nb)
                {
                    int m = nb - c;
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, m, d);
                    for (int k = 0; k < m; k += 4)
                    {
                        // Pairs (c + k) / 2, even, and (c + k) / 2 + 1, odd: one set each.
                        e0 = Pair<TZ>(e0, w0, z0, c, k, k + 1 == m, q0, o0, d);
                        if (slots > 1) e1 = Pair<TZ>(e1, w1, z1, c, k, k + 1 == m, q1, o1, d + 8);
                        if (slots > 2) e2 = Pair<TZ>(e2, w2, z2, c, k, k + 1 == m, q2, o2, d + 16);
                        if (slots > 3) e3 = Pair<TZ>(e3, w3, z3, c, k, k + 1 == m, q3, o3, d + 24);
                        if (k + 2 >= m) continue;
                        f0 = Pair<TZ>(f0, w0, z0, c, k + 2, k + 3 == m, q0, o0, d);
                        if (slots > 1) f1 = Pair<TZ>(f1, w1, z1, c, k + 2, k + 3 == m, q1, o1, d + 8);
                        if (slots > 2) f2 = Pair<TZ>(f2, w2, z2, c, k + 2, k + 3 == m, q2, o2, d + 16);
                        if (slots > 3) f3 = Pair<TZ>(f3, w3, z3, c, k + 2, k + 3 == m, q3, o3, d + 24);
                    }
                }
                Store<TS>(result, e0 + f0, e1 + f1, e2 + f2, e3 + f3);
            }
        }

        /// <summary>
        /// Blocks b = c + k and b + 1 of one slot (<paramref name="lone"/>: b is the last block, zeros after it, with d = 0 and
        /// zero-padded token rows). Slots sharing a weight row load and split it once (CSE).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Pair<TZ>(Vector256<float> acc, byte* w, byte* zeros, int c, int k, bool lone, sbyte* q, int* offsets, float* d)
            where TZ : struct, IFlag
        {
            long b = c + k;
            Sse.Prefetch0(w + b * 16 + PrefetchDistance);
            var v = lone ? Vector256.Create(Vector128.Load(w + b * 16), Vector128<byte>.Zero) : Vector256.Load(w + b * 16);
            var mask = Vector256.Create((byte)0x0F);
            var low = v & mask;
            var high = (v.AsUInt16() >>> 4).AsByte() & mask;
            sbyte* values = q + (long)c * 32 + k / 4 * 128 + k % 4 * 16;   // the pair's low half in its quad (c a multiple of 4); the high half at +64
            var offset = !TZ.Value ? Vector256.Load(offsets + b * 4)
                : ZeroOffsets(offsets + b * 4, Vector256.Create(Vector128.Create((int)zeros[b]), Vector128.Create(lone ? 0 : zeros[b + 1])));
            var lanes = TOps.Lanes(low, high, values, values + 64, offset);
            var dd = Vector256.Create(Avx.BroadcastScalarToVector128(d + k), Avx.BroadcastScalarToVector128(d + k + 1));
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), dd, acc);
        }
    }

    /// <summary>
    /// Q4 rows (no zero points, whole chunks of 8 blocks) × four token rows with AVX-512BW, for prefill, verify and batched
    /// decode: as <see cref="Q8Tokens4{TOps}"/>, the four slots' accumulators stay in registers over one flat loop of quads and
    /// each row's scales are formed before it (d[4b + k], block-major), one zmm load per quad spread to each slot by a permute.
    /// The bits of <see cref="Q4Avx512Kernel"/>: the same lanes, the same fma per quad, the same reduction.
    /// </summary>
    private struct Q4Tokens4 : IFourTokenPass
    {
        /// <summary>True when this kernel takes rows of <paramref name="nb"/> blocks (others: <see cref="Q4Avx512Kernel"/>).</summary>
        public static bool Handles(in QuantWeightRows rows, int nb) => rows.Zeros == null && nb % 8 == 0 && nb <= FourTokenMaxBlocks;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Pass(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* sa, float* d, float* result)
        {
            sbyte* q0 = a.Values(t0), q1 = a.Values(t0 + 1), q2 = a.Values(t0 + 2), q3 = a.Values(t0 + 3);
            int* o0 = a.Offsets(t0), o1 = a.Offsets(t0 + 1), o2 = a.Offsets(t0 + 2), o3 = a.Offsets(t0 + 3);
            var mask = Vector512.Create((byte)0x0F);
            var i0 = Vector512.Create(0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12);
            var i1 = i0 + Vector512<int>.One;
            var i2 = i1 + Vector512<int>.One;
            var i3 = i2 + Vector512<int>.One;
            for (int r = 0; r < rows.Count; r++, result += 4)
            {
                RowScales(rows.RowScales(r), sa, nb, d);
                Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                byte* wb = rows.Row(r);
                float* dq = d;
                sbyte* p0 = q0, p1 = q1, p2 = q2, p3 = q3;
                int* f0 = o0, f1 = o1, f2 = o2, f3 = o3;
                // A quad (four blocks) per step: 64 weight bytes, 128 bytes of each token row, 16 of its offsets, 16 scales; every
                // pointer walks (a kernel indexing eight row pointers reloaded half of them from the stack every step).
                for (int b = 0; b < nb; b += 4, wb += 64, dq += 16, p0 += 128, p1 += 128, p2 += 128, p3 += 128, f0 += 16, f1 += 16, f2 += 16, f3 += 16)
                {
                    Sse.Prefetch0(wb + PrefetchDistance);
                    var v = Vector512.Load(wb);
                    var low = v & mask;
                    var high = (v.AsUInt16() >>> 4).AsByte() & mask;
                    var dv = Vector512.Load(dq);
                    acc0 = Slot(low, high, p0, f0, Avx512F.PermuteVar16x32(dv, i0), acc0);
                    acc1 = Slot(low, high, p1, f1, Avx512F.PermuteVar16x32(dv, i1), acc1);
                    acc2 = Slot(low, high, p2, f2, Avx512F.PermuteVar16x32(dv, i2), acc2);
                    acc3 = Slot(low, high, p3, f3, Avx512F.PermuteVar16x32(dv, i3), acc3);
                }
                Reduce4(acc0.GetLower() + acc0.GetUpper(), acc1.GetLower() + acc1.GetUpper(), acc2.GetLower() + acc2.GetUpper(),
                    acc3.GetLower() + acc3.GetUpper()).Store(result);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Slot(Vector512<byte> low, Vector512<byte> high, sbyte* values, int* offsets, Vector512<float> dd, Vector512<float> acc)
        {
            var pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load(values)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load(values + 64));
            var lanes = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + Vector512.Load(offsets);
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }

    /// <summary>True when <see cref="Q4Rows4{TPrefetch}"/> takes rows of <paramref name="nb"/> blocks: whole quads, no zero points.</summary>
    private static bool Q4Rows4Handles(in QuantWeightRows rows, int nb) => rows.Zeros == null && nb % 4 == 0 && nb <= FourTokenMaxBlocks;

    /// <summary>
    /// Q4 rows × one token row with AVX-512BW (decode): four weight rows per pass, a quad per step, the token row's quad and
    /// offsets loaded once for the four rows; the rows' scales d = weight × token scale formed before the pass's loop for all its
    /// blocks (as <see cref="Q4Tokens4"/> does for four token rows), so each step reads its four from a fixed place and the loop
    /// keeps its constants and accumulators in registers. Same bits as <see cref="Q4Avx512Kernel"/> (the order of the class
    /// remarks). The general kernel's decode loop, with a scale chunk every two quads, ran at ~2.6 cycles per block on Zen 4
    /// (quant-peak, 2026-12-07); this one 1.13-1.42× as fast in L2. The prefetch goes to L1 on Intel, L2 on AMD
    /// (<see cref="SimdKernels.IsAmdProcessor"/>: there 1.4-1.7× the decode tokens/s of a prefetch into L1; docs/PERFORMANCE.md).
    /// </summary>
    private struct Q4Rows4<TPrefetch> : IFourRowPass where TPrefetch : struct, SimdKernels.IPrefetch
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Pass(in QuantWeightRows rows, int count, in QuantizedRows a, int t0, int nb, float* d, float* result)
        {
            sbyte* q = a.Values(t0);
            int* o = a.Offsets(t0);
            float* sa = a.Scales(t0);
            float* d0 = d, d1 = d + nb, d2 = d + 2 * nb, d3 = d + 3 * nb;
            var mask = Vector512.Create((byte)0x0F);
            var spread = Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
            for (int r = 0; r < count; r += 4, result += 4)
            {
                FourRowScales(rows, r, sa, nb, d);
                byte* w0 = rows.Row(r), w1 = rows.Row(r + 1), w2 = rows.Row(r + 2), w3 = rows.Row(r + 3);
                Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                sbyte* p = q;
                int* f = o;
                // A quad per step: 64 bytes of each weight row, the token row's 128 bytes and 16 offsets, 4 scales per row.
                for (int b = 0; b < nb; b += 4, w0 += 64, w1 += 64, w2 += 64, w3 += 64, p += 128, f += 16)
                {
                    TPrefetch.Line(w0 + PrefetchDistance);
                    TPrefetch.Line(w1 + PrefetchDistance);
                    TPrefetch.Line(w2 + PrefetchDistance);
                    TPrefetch.Line(w3 + PrefetchDistance);
                    var lo = Vector512.Load(p);
                    var hi = Vector512.Load(p + 64);
                    var off = Vector512.Load(f);
                    acc0 = Row(Vector512.Load(w0), lo, hi, off, mask, Avx512F.PermuteVar16x32(Vector128.Load(d0 + b).ToVector256Unsafe().ToVector512Unsafe(), spread), acc0);
                    acc1 = Row(Vector512.Load(w1), lo, hi, off, mask, Avx512F.PermuteVar16x32(Vector128.Load(d1 + b).ToVector256Unsafe().ToVector512Unsafe(), spread), acc1);
                    acc2 = Row(Vector512.Load(w2), lo, hi, off, mask, Avx512F.PermuteVar16x32(Vector128.Load(d2 + b).ToVector256Unsafe().ToVector512Unsafe(), spread), acc2);
                    acc3 = Row(Vector512.Load(w3), lo, hi, off, mask, Avx512F.PermuteVar16x32(Vector128.Load(d3 + b).ToVector256Unsafe().ToVector512Unsafe(), spread), acc3);
                }
                Reduce4(acc0.GetLower() + acc0.GetUpper(), acc1.GetLower() + acc1.GetUpper(), acc2.GetLower() + acc2.GetUpper(),
                    acc3.GetLower() + acc3.GetUpper()).Store(result);
            }
        }

        /// <summary>One weight row's quad: its nibbles against the token row's columns 0..15 (lo) and 16..31 (hi) of each block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Row(Vector512<byte> v, Vector512<sbyte> lo, Vector512<sbyte> hi, Vector512<int> offsets, Vector512<byte> mask,
            Vector512<float> dd, Vector512<float> acc)
        {
            var pairs = Avx512BW.MultiplyAddAdjacent(v & mask, lo) + Avx512BW.MultiplyAddAdjacent((v.AsUInt16() >>> 4).AsByte() & mask, hi);
            var lanes = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + offsets;
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }

    /// <summary>
    /// Q4 passes with AVX-512BW: four blocks (a quad: pairs 2q and 2q + 1, the low and high halves of one zmm, i.e. a slot's even
    /// and odd sets) per step.
    /// </summary>
    private struct Q4Avx512Kernel : IRowKernel
    {
        [SkipLocalsInit]
        public static void Run<TS>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TS : struct, IShape
        {
            float* d = stackalloc float[32];
            if (rows.Zeros == null) Pass<TS, No>(rows, a, t0, nb, d, result);
            else Pass<TS, Yes>(rows, a, t0, nb, d, result);
        }

        /// <summary>The passes, specialized for weights with (<typeparamref name="TZ"/> = <see cref="Yes"/>) or without zero points.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Pass<TS, TZ>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* d, float* result)
            where TS : struct, IShape where TZ : struct, IFlag
        {
            int slots = TS.R * TS.N;
            TokenSlot<TS>(a, t0, 0, out sbyte* q0, out int* o0, out float* sa0);
            TokenSlot<TS>(a, t0, 1, out sbyte* q1, out int* o1, out float* sa1);
            TokenSlot<TS>(a, t0, 2, out sbyte* q2, out int* o2, out float* sa2);
            TokenSlot<TS>(a, t0, 3, out sbyte* q3, out int* o3, out float* sa3);
            // Pass by pass: weight rows r..r+R-1 (decode) or row r against N token rows (prefill).
            for (int r = 0; r < rows.Count; r += TS.R, result += TS.R * TS.N)
            {
                WeightSlot<TS>(rows, r, 0, out byte* w0, out ushort* ws0, out byte* z0);
                WeightSlot<TS>(rows, r, 1, out byte* w1, out ushort* ws1, out byte* z1);
                WeightSlot<TS>(rows, r, 2, out byte* w2, out ushort* ws2, out byte* z2);
                WeightSlot<TS>(rows, r, 3, out byte* w3, out ushort* ws3, out byte* z3);
                Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
                int c = 0;
                for (; c + 8 <= nb; c += 8)
                {
                    // Whole chunks: two whole quads, no tail checks.
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, 8, d);
                    // Unrolled: a loop over the two quads here makes the JIT keep two accumulators on the stack.
                    acc0 = Quad<TZ>(acc0, w0, z0, c, 4, q0, o0, d);
                    if (slots > 1) acc1 = Quad<TZ>(acc1, w1, z1, c, 4, q1, o1, d + 8);
                    if (slots > 2) acc2 = Quad<TZ>(acc2, w2, z2, c, 4, q2, o2, d + 16);
                    if (slots > 3) acc3 = Quad<TZ>(acc3, w3, z3, c, 4, q3, o3, d + 24);
                    acc0 = Quad<TZ>(acc0, w0, z0, c + 4, 4, q0, o0, d + 4);
                    if (slots > 1) acc1 = Quad<TZ>(acc1, w1, z1, c + 4, 4, q1, o1, d + 12);
                    if (slots > 2) acc2 = Quad<TZ>(acc2, w2, z2, c + 4, 4, q2, o2, d + 20);
                    if (slots > 3) acc3 = Quad<TZ>(acc3, w3, z3, c + 4, 4, q3, o3, d + 28);
                }
                if (c < nb)
                {
                    int m = nb - c;
                    ChunkScales<TS>(ws0, ws1, ws2, ws3, sa0, sa1, sa2, sa3, c, m, d);
                    for (int k = 0; k < m; k += 4)
                    {
                        long b = c + k;
                        int blocks = Math.Min(4, m - k);         // the last one to three blocks: zeros after them (zero-padded rows, d = 0)
                        acc0 = Quad<TZ>(acc0, w0, z0, b, blocks, q0, o0, d + k);
                        if (slots > 1) acc1 = Quad<TZ>(acc1, w1, z1, b, blocks, q1, o1, d + 8 + k);
                        if (slots > 2) acc2 = Quad<TZ>(acc2, w2, z2, b, blocks, q2, o2, d + 16 + k);
                        if (slots > 3) acc3 = Quad<TZ>(acc3, w3, z3, b, blocks, q3, o3, d + 24 + k);
                    }
                }
                Store<TS>(result, acc0, acc1, acc2, acc3);
            }
        }

        /// <summary>Blocks b..b+3 of one slot (b a multiple of 4: the token row's quad of 128 bytes at b·32).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Quad<TZ>(Vector512<float> acc, byte* w, byte* zeros, long b, int blocks, sbyte* q, int* offsets, float* d)
            where TZ : struct, IFlag
        {
            byte* wb = w + b * 16;
            Sse.Prefetch0(wb + PrefetchDistance);
            var v = blocks == 4 ? Vector512.Load(wb)
                : Vector512.Create(blocks == 1 ? Vector256.Create(Vector128.Load(wb), Vector128<byte>.Zero) : Vector256.Load(wb),
                    blocks == 3 ? Vector256.Create(Vector128.Load(wb + 32), Vector128<byte>.Zero) : Vector256<byte>.Zero);
            var mask = Vector512.Create((byte)0x0F);
            var low = v & mask;
            var high = (v.AsUInt16() >>> 4).AsByte() & mask;
            sbyte* values = q + b * 32;
            var pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load(values)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load(values + 64));
            var offset = Vector512.Load(offsets + b * 4);
            var spread = Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
            if (TZ.Value)
            {
                byte* z = zeros + b;
                var zv = Vector128.Create(z[0], blocks > 1 ? z[1] : 0, blocks > 2 ? z[2] : 0, blocks > 3 ? z[3] : 0);
                offset = Avx512F.ShiftRightArithmetic(Avx512F.MultiplyLow(offset, Avx512F.PermuteVar16x32(zv.ToVector256Unsafe().ToVector512Unsafe(), spread)), 3);
            }
            var lanes = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + offset;
            var dd = Avx512F.PermuteVar16x32(Vector128.Load(d).ToVector256Unsafe().ToVector512Unsafe(), spread);
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }
}
