using System.Runtime.CompilerServices;

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
        Span<int> q = stackalloc int[BlockSize];
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
                        double err = Q4Error(block, (float)h, q, out double xq, out double qq);
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

    // Squared error of the block quantized with `scale`; also Σ x·(q−8) and Σ (q−8)² for the least-squares refinement.
    private static double Q4Error(ReadOnlySpan<float> block, float scale, Span<int> q, out double xq, out double qq)
    {
        float inv = 1f / scale;
        double err = 0;
        xq = 0;
        qq = 0;
        for (int i = 0; i < block.Length; i++)
        {
            q[i] = Q4Code(block[i], inv) - 8;
            double d = block[i] - (double)scale * q[i];
            err += d * d;
            xq += (double)block[i] * q[i];
            qq += (double)q[i] * q[i];
        }
        return err;
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
