using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// The SDK's block-quantized weight formats (<see cref="Compute.DType.Q8"/>, <see cref="Compute.DType.Q4"/>): the scalar
/// quantizers that write them and the scalar reads that the kernels are tested against. docs/QUANTIZATION.md says why blocks of
/// 32 values with one F16 scale each (llama.cpp's Q8_0/Q4_0 budget: 8.5 and 4.5 bits per weight).
/// </summary>
internal static unsafe class BlockFormats
{
    /// <summary>Values per scale in the SDK's own formats, and the unit of the 4-bit nibble layout.</summary>
    public const int BlockSize = 32;

    /// <summary>Bytes of one 4-bit block of <see cref="BlockSize"/> values.</summary>
    public const int Q4BlockBytes = BlockSize / 2;

    /// <summary>
    /// Quantizes one row <paramref name="x"/> (its length a multiple of <see cref="BlockSize"/>) to 8 bits: per block, scale =
    /// max|x| / 127 rounded to F16, q = round(x / scale) (ties away from zero) clamped to ±127; a block of zeros has scale 0.
    /// </summary>
    public static void QuantizeQ8Row(ReadOnlySpan<float> x, Span<sbyte> q, Span<Half> scales)
    {
        int blocks = x.Length / BlockSize;
        for (int b = 0; b < blocks; b++)
        {
            var block = x.Slice(b * BlockSize, BlockSize);
            float amax = 0;
            foreach (float v in block) amax = MathF.Max(amax, MathF.Abs(v));
            var scale = (Half)(amax / 127f);
            scales[b] = scale;
            float inv = (float)scale == 0 ? 0 : 1f / (float)scale;
            for (int i = 0; i < BlockSize; i++)
                q[b * BlockSize + i] = (sbyte)Math.Clamp(MathF.Round(block[i] * inv, MidpointRounding.AwayFromZero), -127, 127);
        }
    }

    /// <summary>
    /// Quantizes one row to 4 bits, symmetric (zero 8: q − 8 in −8..7): per block, the scale that minimizes the squared error
    /// among a few candidates (the signed extreme mapped to −8, to −7.5, −7 and +7, each refined once by least squares for its
    /// rounding), rounded to F16, then q = clamp(round(x / scale) + 8, 0, 15). <paramref name="packed"/> holds half as many bytes as there are values, in the
    /// nibble layout of <see cref="Compute.DType.Q4"/>.
    /// </summary>
    public static void QuantizeQ4Row(ReadOnlySpan<float> x, Span<byte> packed, Span<Half> scales)
    {
        int blocks = x.Length / BlockSize;
        for (int b = 0; b < blocks; b++)
        {
            var block = x.Slice(b * BlockSize, BlockSize);
            float max = 0;
            foreach (float v in block) if (MathF.Abs(v) > MathF.Abs(max)) max = v;
            Half best = default;
            double bestErr = double.PositiveInfinity;
            if (max != 0)
                foreach (float divisor in (ReadOnlySpan<float>)[-8f, -7.5f, -7f, 7f])
                {
                    float scale = max / divisor;
                    // Round with this scale, then the least-squares scale for that rounding, then round again.
                    for (int pass = 0; pass < 2; pass++)
                    {
                        var h = (Half)scale;
                        if ((float)h == 0 || !float.IsFinite((float)h)) break;
                        double err = Q4Error(block, (float)h, out double xq, out double qq);
                        if (err < bestErr) { bestErr = err; best = h; }
                        if (qq == 0) break;
                        scale = (float)(xq / qq);
                    }
                }
            scales[b] = best;
            float inv = (float)best == 0 ? 0 : 1f / (float)best;
            var dst = packed.Slice(b * Q4BlockBytes, Q4BlockBytes);
            for (int j = 0; j < Q4BlockBytes; j++)
                dst[j] = (byte)(Q4Code(block[j], inv) | (Q4Code(block[j + Q4BlockBytes], inv) << 4));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Q4Code(float v, float inv) => Math.Clamp((int)MathF.Round(v * inv, MidpointRounding.AwayFromZero) + 8, 0, 15);

    /// <summary>
    /// For a block quantized with <paramref name="scale"/> (codes c = clamp(round(x / scale), −8, 7), ties away from zero, as
    /// x · (1 / scale) in F32): Σ (x − scale·c)², and the least-squares terms Σ x·c and Σ c², in F64. Each sum runs in eight
    /// lanes (value i into lane i mod 8, in increasing i), reduced ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): the one
    /// order that the vector form and <see cref="Q4ErrorScalar"/> share, so a row quantizes to the same bytes on every CPU.
    /// About 8× faster than one sum in order (quantizing at load tries up to eight scales per block).
    /// </summary>
    internal static double Q4Error(ReadOnlySpan<float> block, float scale, out double xq, out double qq)
    {
        if (!Vector256.IsHardwareAccelerated) return Q4ErrorScalar(block, scale, out xq, out qq);
        float inv = 1f / scale;
        var vinv = Vector256.Create(inv);
        var h = Vector256.Create((double)scale);
        Vector256<double> el = default, eh = default, xl = default, xh = default, ql = default, qh = default;
        ref float x0 = ref MemoryMarshal.GetReference(block);
        for (int i = 0; i < BlockSize; i += 8)
        {
            var x = Vector256.LoadUnsafe(ref x0, (nuint)i);
            var t = x * vinv;
            var r = Vector256.Truncate(t);
            var away = Vector256.GreaterThanOrEqual(Vector256.Abs(t - r), Vector256.Create(0.5f));
            var sign = (t & Vector256.Create(-0f)) | Vector256.Create(1f);          // ±1 with t's sign
            var c = Vector256.Clamp(r + (sign & away), Vector256.Create(-8f), Vector256.Create(7f));
            var (xlo, xhi) = Vector256.Widen(x);
            var (clo, chi) = Vector256.Widen(c);
            var dlo = xlo - h * clo;
            var dhi = xhi - h * chi;
            el += dlo * dlo; eh += dhi * dhi;
            xl += xlo * clo; xh += xhi * chi;
            ql += clo * clo; qh += chi * chi;
        }
        xq = Reduce8(xl, xh);
        qq = Reduce8(ql, qh);
        return Reduce8(el, eh);

        static double Reduce8(Vector256<double> lo, Vector256<double> hi)
        {
            var t = lo + hi;
            return (t[0] + t[2]) + (t[1] + t[3]);
        }
    }

    /// <summary>The scalar twin of <see cref="Q4Error"/>: the same operations in the same order.</summary>
    internal static double Q4ErrorScalar(ReadOnlySpan<float> block, float scale, out double xq, out double qq)
    {
        float inv = 1f / scale;
        Span<double> e = stackalloc double[8], xs = stackalloc double[8], qs = stackalloc double[8];
        e.Clear(); xs.Clear(); qs.Clear();
        for (int i = 0; i < block.Length; i++)
        {
            float t = block[i] * inv;
            float r = MathF.Truncate(t);
            r += MathF.Abs(t - r) >= 0.5f ? MathF.CopySign(1f, t) : 0f;             // + 0 as the vector form adds it (−0 becomes +0)
            double c = Math.Clamp(r, -8f, 7f), x = block[i];
            double d = x - (double)scale * c;
            e[i % 8] += d * d;
            xs[i % 8] += x * c;
            qs[i % 8] += c * c;
        }
        xq = Reduce8(xs);
        qq = Reduce8(qs);
        return Reduce8(e);

        static double Reduce8(Span<double> l) => ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
    }

    /// <summary>The 4-bit code of column <paramref name="column"/> in a row's packed bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Q4Code(byte* row, int column)
    {
        int inBlock = column % BlockSize;
        byte b = row[column / BlockSize * Q4BlockBytes + inBlock % Q4BlockBytes];
        return inBlock < Q4BlockBytes ? b & 0xF : b >> 4;
    }
}
