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

    /// <summary>A Q8 row against up to four token rows on a 256-bit path; two accumulators (even, odd blocks) per token row.</summary>
    private struct Q8Kernel256<TOps> : IRowKernel where TOps : struct, IQ8Ops
    {
        [SkipLocalsInit]
        public static void Run<TN>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TN : struct, ITokenCount
        {
            float* d = stackalloc float[32];
            for (int r = 0; r < rows.Count; r++) Row<TN>((sbyte*)rows.Row(r), rows.RowScales(r), a, t0, nb, d, result + r * TN.N);
        }

        private static void Row<TN>(sbyte* w, ushort* ws, in QuantizedRows a, int t0, int nb, float* d, float* result) where TN : struct, ITokenCount
        {
            sbyte* q0 = a.Values(t0), q1 = TN.N > 1 ? a.Values(t0 + 1) : null, q2 = TN.N > 2 ? a.Values(t0 + 2) : null, q3 = TN.N > 3 ? a.Values(t0 + 3) : null;
            int* o0 = a.Offsets(t0), o1 = TN.N > 1 ? a.Offsets(t0 + 1) : null, o2 = TN.N > 2 ? a.Offsets(t0 + 2) : null, o3 = TN.N > 3 ? a.Offsets(t0 + 3) : null;
            Vector256<float> e0 = default, f0 = default, e1 = default, f1 = default, e2 = default, f2 = default, e3 = default, f3 = default;
            for (int c = 0; c < nb; c += 8)
            {
                int m = Math.Min(8, nb - c), k = 0;
                ChunkScales<TN>(ws, a, t0, c, m, d);
                for (; k + 1 < m; k += 2)
                {
                    long b = c + k;
                    var w0 = Vector256.Load(w + b * Block);
                    var w1 = Vector256.Load(w + b * Block + Block);
                    var p0 = TOps.Prepare(w0);
                    var p1 = TOps.Prepare(w1);
                    e0 = Step(TOps.Lanes(p0, w0, q0 + b * Block, o0 + b * 8), d[k], e0);
                    f0 = Step(TOps.Lanes(p1, w1, q0 + b * Block + Block, o0 + b * 8 + 8), d[k + 1], f0);
                    if (TN.N > 1)
                    {
                        e1 = Step(TOps.Lanes(p0, w0, q1 + b * Block, o1 + b * 8), d[8 + k], e1);
                        f1 = Step(TOps.Lanes(p1, w1, q1 + b * Block + Block, o1 + b * 8 + 8), d[8 + k + 1], f1);
                    }
                    if (TN.N > 2)
                    {
                        e2 = Step(TOps.Lanes(p0, w0, q2 + b * Block, o2 + b * 8), d[16 + k], e2);
                        f2 = Step(TOps.Lanes(p1, w1, q2 + b * Block + Block, o2 + b * 8 + 8), d[16 + k + 1], f2);
                    }
                    if (TN.N > 3)
                    {
                        e3 = Step(TOps.Lanes(p0, w0, q3 + b * Block, o3 + b * 8), d[24 + k], e3);
                        f3 = Step(TOps.Lanes(p1, w1, q3 + b * Block + Block, o3 + b * 8 + 8), d[24 + k + 1], f3);
                    }
                }
                if (k < m)
                {
                    // The last block of an odd count: an even block, so the even set.
                    long b = c + k;
                    var w0 = Vector256.Load(w + b * Block);
                    var p0 = TOps.Prepare(w0);
                    e0 = Step(TOps.Lanes(p0, w0, q0 + b * Block, o0 + b * 8), d[k], e0);
                    if (TN.N > 1) e1 = Step(TOps.Lanes(p0, w0, q1 + b * Block, o1 + b * 8), d[8 + k], e1);
                    if (TN.N > 2) e2 = Step(TOps.Lanes(p0, w0, q2 + b * Block, o2 + b * 8), d[16 + k], e2);
                    if (TN.N > 3) e3 = Step(TOps.Lanes(p0, w0, q3 + b * Block, o3 + b * 8), d[24 + k], e3);
                }
            }
            result[0] = Reduce(e0, f0);
            if (TN.N > 1) result[1] = Reduce(e1, f1);
            if (TN.N > 2) result[2] = Reduce(e2, f2);
            if (TN.N > 3) result[3] = Reduce(e3, f3);
        }
    }

    /// <summary>Step 3 of the order for eight lanes: acc = fma((float)lanes, d, acc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step(Vector256<int> lanes, float d, Vector256<float> acc) =>
        Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), Vector256.Create(d), acc);

    /// <summary>
    /// A Q8 row against up to four token rows with AVX-512BW: blocks b (low half) and b + 1 (high half) per step, so one zmm
    /// holds a token row's even and odd sets. The sign trick, as <see cref="Q8Avx2"/> (vpmaddubsw has no s32 form to take the
    /// offset trick's 255·127 products).
    /// </summary>
    private struct Q8Avx512Kernel : IRowKernel
    {
        [SkipLocalsInit]
        public static void Run<TN>(in QuantWeightRows rows, in QuantizedRows a, int t0, int nb, float* result) where TN : struct, ITokenCount
        {
            float* d = stackalloc float[32];
            sbyte* tail = stackalloc sbyte[2 * Block];
            for (int r = 0; r < rows.Count; r++) Row<TN>((sbyte*)rows.Row(r), rows.RowScales(r), a, t0, nb, d, tail, result + r * TN.N);
        }

        private static void Row<TN>(sbyte* w, ushort* ws, in QuantizedRows a, int t0, int nb, float* d, sbyte* tail, float* result)
            where TN : struct, ITokenCount
        {
            sbyte* q0 = a.Values(t0), q1 = TN.N > 1 ? a.Values(t0 + 1) : null, q2 = TN.N > 2 ? a.Values(t0 + 2) : null, q3 = TN.N > 3 ? a.Values(t0 + 3) : null;
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int c = 0; c < nb; c += 8)
            {
                int m = Math.Min(8, nb - c);
                ChunkScales<TN>(ws, a, t0, c, m, d);
                for (int k = 0; k < m; k += 2)
                {
                    long b = c + k;
                    sbyte* wb = w + b * Block;
                    if (k + 1 == m)
                    {
                        // A lone last block: zeros after it (its token rows are zero-padded there, and d is 0).
                        Vector256.Load(wb).Store(tail);
                        Vector256<sbyte>.Zero.Store(tail + Block);
                        wb = tail;
                    }
                    var wv = Vector512.Load(wb);
                    var magnitude = Avx512BW.Abs(wv);
                    var negative = Vector512.LessThan(wv, Vector512<sbyte>.Zero);
                    s0 = Step(magnitude, negative, q0 + b * Block, d + k, s0);
                    if (TN.N > 1) s1 = Step(magnitude, negative, q1 + b * Block, d + 8 + k, s1);
                    if (TN.N > 2) s2 = Step(magnitude, negative, q2 + b * Block, d + 16 + k, s2);
                    if (TN.N > 3) s3 = Step(magnitude, negative, q3 + b * Block, d + 24 + k, s3);
                }
            }
            result[0] = Reduce(s0);
            if (TN.N > 1) result[1] = Reduce(s1);
            if (TN.N > 2) result[2] = Reduce(s2);
            if (TN.N > 3) result[3] = Reduce(s3);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Step(Vector512<byte> magnitude, Vector512<sbyte> negative, sbyte* a, float* d, Vector512<float> acc)
        {
            var av = Vector512.Load(a);
            var signed = Vector512.ConditionalSelect(negative, -av, av);
            var lanes = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, signed), Vector512.Create((short)1));
            var dd = Vector512.Create(Vector256.Create(d[0]), Vector256.Create(d[1]));
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(lanes), dd, acc);
        }
    }
}
