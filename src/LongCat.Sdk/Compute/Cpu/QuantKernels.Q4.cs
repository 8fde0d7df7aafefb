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

    /// <summary>A Q4 row against up to four token rows on a 256-bit path; two accumulators (even, odd pairs) per token row.</summary>
    private struct Q4Kernel256<TOps> : IRowKernel where TOps : struct, IQ4Ops
    {
        [SkipLocalsInit]
        public static void Run<TN>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TN : struct, ITokenCount
        {
            float* d = stackalloc float[32];
            for (int r = 0; r < rows.Count; r++) Row<TN>(rows.Row(r), rows.RowScales(r), rows.RowZeros(r), a, t0, nb, d, result + r * TN.N);
        }

        private static void Row<TN>(byte* w, ushort* ws, byte* zeros, in QuantizedRows a, int t0, int nb, float* d, float* result)
            where TN : struct, ITokenCount
        {
            sbyte* q0 = a.Values(t0), q1 = TN.N > 1 ? a.Values(t0 + 1) : null, q2 = TN.N > 2 ? a.Values(t0 + 2) : null, q3 = TN.N > 3 ? a.Values(t0 + 3) : null;
            int* o0 = a.Offsets(t0), o1 = TN.N > 1 ? a.Offsets(t0 + 1) : null, o2 = TN.N > 2 ? a.Offsets(t0 + 2) : null, o3 = TN.N > 3 ? a.Offsets(t0 + 3) : null;
            Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
            for (int c = 0; c < nb; c += 8)
            {
                int m = Math.Min(8, nb - c);
                ChunkScales<TN>(ws, a, t0, c, m, d);
                for (int k = 0; k < m; k += 4)
                {
                    // Pairs (c + k) / 2, even, and (c + k) / 2 + 1, odd: one set each.
                    e0 = Pair(e0, w, zeros, k, m, c, q0, o0, d);
                    if (TN.N > 1) e1 = Pair(e1, w, zeros, k, m, c, q1, o1, d + 8);
                    if (TN.N > 2) e2 = Pair(e2, w, zeros, k, m, c, q2, o2, d + 16);
                    if (TN.N > 3) e3 = Pair(e3, w, zeros, k, m, c, q3, o3, d + 24);
                    if (k + 2 >= m) continue;
                    f0 = Pair(f0, w, zeros, k + 2, m, c, q0, o0, d);
                    if (TN.N > 1) f1 = Pair(f1, w, zeros, k + 2, m, c, q1, o1, d + 8);
                    if (TN.N > 2) f2 = Pair(f2, w, zeros, k + 2, m, c, q2, o2, d + 16);
                    if (TN.N > 3) f3 = Pair(f3, w, zeros, k + 2, m, c, q3, o3, d + 24);
                }
            }
            result[0] = Reduce(e0, f0);
            if (TN.N > 1) result[1] = Reduce(e1, f1);
            if (TN.N > 2) result[2] = Reduce(e2, f2);
            if (TN.N > 3) result[3] = Reduce(e3, f3);
        }

        /// <summary>
        /// Blocks b = c + k and b + 1 against one token row (a lone last block: zeros after it, with d = 0 and zero-padded token
        /// rows). The nibble split is redone per token row: a few ALU ops against the L1 reload of 32 bytes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Pair(Vector256<float> acc, byte* w, byte* zeros, int k, int m, int c, sbyte* q, int* offsets, float* d)
        {
            long b = c + k;
            var v = k + 1 < m ? Vector256.Load(w + b * 16) : Vector256.Create(Vector128.Load(w + b * 16), Vector128<byte>.Zero);
            var mask = Vector256.Create((byte)0x0F);
            var low = v & mask;
            var high = (v.AsUInt16() >>> 4).AsByte() & mask;
            sbyte* values = q + b / 4 * 128 + b % 4 * 16;                    // the pair's low half in its quad; the high half at +64
            var offset = zeros == null ? Vector256.Load(offsets + b * 4)
                : ZeroOffsets(offsets + b * 4, Vector256.Create(Vector128.Create((int)zeros[b]), Vector128.Create(k + 1 < m ? zeros[b + 1] : 0)));
            var lanes = TOps.Lanes(low, high, values, values + 64, offset);
            var dd = Vector256.Create(Vector128.Create(d[k]), Vector128.Create(d[k + 1]));
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), dd, acc);
        }
    }

    /// <summary>
    /// A Q4 row against up to four token rows with AVX-512BW: four blocks (a quad: pairs 2q and 2q + 1, the low and high halves
    /// of one zmm, i.e. a token row's even and odd sets) per step.
    /// </summary>
    private struct Q4Avx512Kernel : IRowKernel
    {
        [SkipLocalsInit]
        public static void Run<TN>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TN : struct, ITokenCount
        {
            float* d = stackalloc float[32];
            byte* tail = stackalloc byte[64];
            byte* z = stackalloc byte[4];
            for (int r = 0; r < rows.Count; r++) Row<TN>(rows.Row(r), rows.RowScales(r), rows.RowZeros(r), a, t0, nb, d, tail, z, result + r * TN.N);
        }

        private static void Row<TN>(byte* w, ushort* ws, byte* zeros, in QuantizedRows a, int t0, int nb, float* d, byte* tail, byte* z, float* result)
            where TN : struct, ITokenCount
        {
            sbyte* q0 = a.Values(t0), q1 = TN.N > 1 ? a.Values(t0 + 1) : null, q2 = TN.N > 2 ? a.Values(t0 + 2) : null, q3 = TN.N > 3 ? a.Values(t0 + 3) : null;
            int* o0 = a.Offsets(t0), o1 = TN.N > 1 ? a.Offsets(t0 + 1) : null, o2 = TN.N > 2 ? a.Offsets(t0 + 2) : null, o3 = TN.N > 3 ? a.Offsets(t0 + 3) : null;
            var mask = Vector512.Create((byte)0x0F);
            var spread = Vector512.Create(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int c = 0; c < nb; c += 8)
            {
                int m = Math.Min(8, nb - c);
                ChunkScales<TN>(ws, a, t0, c, m, d);
                for (int k = 0; k < m; k += 4)
                {
                    long b = c + k;
                    byte* wb = w + b * 16;
                    byte* zb = zeros == null ? null : zeros + b;
                    if (k + 4 > m)
                    {
                        // The last one to three blocks: zeros after them (zero-padded token rows, d = 0).
                        int blocks = m - k;
                        new Span<byte>(tail, 64).Clear();
                        Unsafe.CopyBlock(tail, wb, (uint)(16 * blocks));
                        wb = tail;
                        if (zb != null)
                        {
                            for (int i = 0; i < 4; i++) z[i] = i < blocks ? zb[i] : (byte)0;
                            zb = z;
                        }
                    }
                    var v = Vector512.Load(wb);
                    var low = v & mask;
                    var high = (v.AsUInt16() >>> 4).AsByte() & mask;
                    long values = b * 32;                              // b is a multiple of 4: the quad's 128 bytes
                    Vector512<int> zv = zb == null ? default : Avx512F.PermuteVar16x32(Vector128.Create((int)zb[0], zb[1], zb[2], zb[3]).ToVector256Unsafe().ToVector512Unsafe(), spread);
                    s0 = Quad(s0, low, high, q0 + values, o0 + b * 4, zb != null, zv, d + k, spread);
                    if (TN.N > 1) s1 = Quad(s1, low, high, q1 + values, o1 + b * 4, zb != null, zv, d + 8 + k, spread);
                    if (TN.N > 2) s2 = Quad(s2, low, high, q2 + values, o2 + b * 4, zb != null, zv, d + 16 + k, spread);
                    if (TN.N > 3) s3 = Quad(s3, low, high, q3 + values, o3 + b * 4, zb != null, zv, d + 24 + k, spread);
                }
            }
            result[0] = Reduce(s0);
            if (TN.N > 1) result[1] = Reduce(s1);
            if (TN.N > 2) result[2] = Reduce(s2);
            if (TN.N > 3) result[3] = Reduce(s3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Quad(Vector512<float> acc, Vector512<byte> low, Vector512<byte> high, sbyte* values, int* offsets,
            bool hasZeros, Vector512<int> zeros, float* d, Vector512<int> spread)
        {
            var pairs = Avx512BW.MultiplyAddAdjacent(low, Vector512.Load(values)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.Load(values + 64));
            var offset = Vector512.Load(offsets);
            if (hasZeros) offset = Avx512F.ShiftRightArithmetic(Avx512F.MultiplyLow(offset, zeros), 3);
            var lanes = Avx512BW.MultiplyAddAdjacent(pairs, Vector512.Create((short)1)) + offset;
            var dd = Avx512F.PermuteVar16x32(Vector128.Load(d).ToVector256Unsafe().ToVector512Unsafe(), spread);
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }
}
