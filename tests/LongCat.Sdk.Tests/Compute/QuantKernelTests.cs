using System.Runtime.InteropServices;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The Q8/Q4 product kernels (<see cref="QuantKernels"/>): every SIMD path this CPU has against the scalar twin, bit for bit, on
/// random rows at block counts that are odd and not multiples of the kernels' steps, for 1 to 4 token rows per pass, Q4 group
/// sizes 32/64/128 with and without zero points; the activation quantizer's vector and scalar forms; and the quantized product
/// against the exact one within the bound the int8 activations allow. The AVX2 path runs wherever AVX2 does, so CI machines
/// without AVX-512 or VNNI test it too.
/// </summary>
[TestClass]
internal sealed unsafe class QuantKernelTests
{
    /// <summary>Block counts 1, 3, 5, 7, 9, 13, 33: odd, below and across the 8-block chunk, not multiples of the 2- or 4-block steps.</summary>
    private static readonly int[] Widths = [32, 96, 160, 224, 256, 288, 384, 416, 768, 1056];   // 256, 768: whole chunks of 8 blocks (the four-token kernels); 384: whole quads, not chunks (Q4 decode)

    public static IEnumerable<object[]> Paths => Enum.GetValues<QuantPath>().Where(p => p != QuantPath.Scalar).Select(p => new object[] { p });

    private static void RequireSupported(QuantPath path)
    {
        if (!QuantKernels.IsSupported(path)) Assert.Inconclusive($"this CPU has no {path} path");
    }

    /// <summary>Token rows of very different scales, with an all-zero block and one huge value.</summary>
    private static float[] TokenRows(int tokens, int n, Random random)
    {
        var v = TestWeight.Vector(tokens * n, random);
        for (int t = 0; t < tokens; t++)
            for (int i = 0; i < n; i++) v[t * n + i] *= t % 3 == 0 ? 30f : t % 3 == 1 ? 1f : 1e-3f;
        if (n >= 64) Array.Clear(v, 32, 32);
        v[^1] = 1e4f;
        return v;
    }

    /// <summary>Rows quantized for <paramref name="format"/> in an aligned native buffer (the caller frees it).</summary>
    private static QuantizedRows Quantize(float[] x, int tokens, int n, DType format, bool scalar = false)
    {
        long bytes = tokens * QuantizedRows.RowBytes(n);
        var data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Fill(data, (nuint)bytes, 0xA5);                               // the quantizer must write every byte it reads
        var rows = new QuantizedRows(data, tokens, n, format);
        fixed (float* px = x)
            for (int t = 0; t < tokens; t++) QuantKernels.Quantize(px + t * n, rows, t, scalar);
        return rows;
    }

    private static void AssertSameBits(float expected, float actual, string what) =>
        Assert.AreEqual(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(actual), $"{what}: expected {expected:R}, got {actual:R}");

    [TestMethod]
    [DataRow(DType.Q8)]
    [DataRow(DType.Q4)]
    public void Quantize_VectorAndScalar_WriteTheSameBytes(DType format)
    {
        var random = new Random(11 + (int)format);
        foreach (int n in Widths)
        {
            // Arrange
            const int tokens = 3;
            var x = TokenRows(tokens, n, random);

            // Act
            var vector = Quantize(x, tokens, n, format);
            var scalar = Quantize(x, tokens, n, format, scalar: true);
            try
            {
                // Assert
                var a = new ReadOnlySpan<byte>(vector.Data, (int)(tokens * vector.Stride));
                var b = new ReadOnlySpan<byte>(scalar.Data, (int)(tokens * scalar.Stride));
                Assert.IsTrue(a.SequenceEqual(b), $"{format} n={n}: first difference at byte {a.CommonPrefixLength(b)}");
                for (int t = 0; t < tokens; t++)
                    for (int i = 0; i < n; i++)
                    {
                        // Each value within half a step of its block's scale.
                        float s = vector.Scales(t)[i / 32], q = QuantizedValue(vector, t, i);
                        Assert.IsTrue(Math.Abs(x[t * n + i] - s * q) <= s / 2 * (1 + 1e-5) + 1e-30, $"{format} n={n} x[{t}, {i}]");
                    }
            }
            finally
            {
                NativeMemory.AlignedFree(vector.Data);
                NativeMemory.AlignedFree(scalar.Data);
            }
        }
    }

    /// <summary>Column <paramref name="i"/> of quantized row <paramref name="t"/>, in either layout.</summary>
    private static sbyte QuantizedValue(QuantizedRows rows, int t, int i)
    {
        if (rows.Format == DType.Q8) return rows.Values(t)[i];
        int b = i / 32, c = i % 32;
        return rows.Values(t)[b / 4 * 128 + (c < 16 ? 0 : 64) + b % 4 * 16 + c % 16];
    }

    public static IEnumerable<object[]> Q4Cases =>
        from p in Paths
        from g in new[] { 32, 64, 128 }
        from zeros in new[] { false, true }
        select new object[] { p[0], g, zeros };

    [TestMethod]
    [DynamicData(nameof(Paths))]
    public void DotQ8_EveryPath_MatchesTheScalarTwinBitForBit(QuantPath path)
    {
        RequireSupported(path);
        foreach (int n in Widths) CompareWithScalar(DType.Q8, path, n, groupSize: 32, withZeros: false, seed: n);
    }

    [TestMethod]
    [DynamicData(nameof(Q4Cases))]
    public void DotQ4_EveryPath_MatchesTheScalarTwinBitForBit(QuantPath path, int groupSize, bool withZeros)
    {
        RequireSupported(path);
        foreach (int n in new[] { 1, 3, 5, 11 }.Select(k => k * groupSize).Union(Widths.Where(n => n % groupSize == 0)))
            CompareWithScalar(DType.Q4, path, n, groupSize, withZeros, seed: n + groupSize);
    }

    private static void CompareWithScalar(DType format, QuantPath path, int n, int groupSize, bool withZeros, int seed)
    {
        // Arrange: 7 weight rows, 9 token rows.
        const int rows = 7, tokens = 9;
        var random = new Random(seed);
        using var w = TestWeight.CreateQuantized(format, rows, n, random, groupSize, withZeros);
        var x = TokenRows(tokens, n, random);
        var a = Quantize(x, tokens, n, format);
        var spread = new byte[QuantKernels.SpreadBytes(n)];
        var scalar = new float[rows * tokens];
        var simd = new float[rows * 4];
        try
        {
            fixed (float* ps = scalar, pr = simd)
            fixed (byte* sp = spread)
            {
                for (int t = 0; t < tokens; t++) QuantKernels.Dot(w.Tensor, 0, rows, a, t, 1, ps + t * rows, sp, QuantPath.Scalar);
                foreach (int count in new[] { 1, 2, 3, 4 })
                    for (int t0 = 0; t0 + count <= tokens; t0 += count)
                    {
                        // Act: all rows in one call, then a row range that starts past row 0.
                        QuantKernels.Dot(w.Tensor, 0, rows, a, t0, count, pr, sp, path);
                        for (int r = 0; r < rows; r++)
                            for (int k = 0; k < count; k++)
                                AssertSameBits(scalar[(t0 + k) * rows + r], pr[r * count + k], $"{format} {path} n={n} G={groupSize} zeros={withZeros} row {r} token {t0 + k} of {count}");
                        QuantKernels.Dot(w.Tensor, 3, 2, a, t0, count, pr, sp, path);
                        for (int r = 0; r < 2; r++)
                            for (int k = 0; k < count; k++)
                                AssertSameBits(scalar[(t0 + k) * rows + 3 + r], pr[r * count + k], $"{format} {path} n={n} rows 3.. token {t0 + k}");
                    }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(a.Data);
        }
    }

    [TestMethod]
    [DataRow(DType.Q8, 32, false)]
    [DataRow(DType.Q4, 32, false)]
    [DataRow(DType.Q4, 128, true)]
    public void Dot_Quantized_IsTheExactProductWithinTheActivationRounding(DType format, int groupSize, bool withZeros)
    {
        // Arrange
        const int rows = 5, tokens = 4, n = 1024;
        var random = new Random(77);
        using var w = TestWeight.CreateQuantized(format, rows, n, random, groupSize, withZeros);
        var x = TokenRows(tokens, n, random);
        var a = Quantize(x, tokens, n, format);
        var result = new float[rows * tokens];
        try
        {
            // Act
            fixed (float* pr = result)
            fixed (byte* sp = new byte[QuantKernels.SpreadBytes(n)])
                QuantKernels.Dot(w.Tensor, 0, rows, a, 0, tokens, pr, sp, QuantKernels.Best(format));

            // Assert: |Σ w·(x − x̂)| ≤ Σ |w|·s/2 (each x̂ within half its block's step), plus F32 summation error.
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < tokens; t++)
                {
                    double exact = 0, bound = 0, magnitude = 0;
                    for (int i = 0; i < n; i++)
                    {
                        double wi = w.Values[r * n + i];
                        exact += wi * x[t * n + i];
                        bound += Math.Abs(wi) * a.Scales(t)[i / 32] / 2;
                        magnitude += Math.Abs(wi * x[t * n + i]);
                    }
                    bound += 1e-5 * Math.Sqrt(n) * magnitude;
                    float actual = result[r * tokens + t];
                    Assert.IsTrue(Math.Abs(actual - exact) <= bound, $"{format} row {r} token {t}: exact {exact:R}, got {actual:R}, bound {bound:G3}");
                }
        }
        finally
        {
            NativeMemory.AlignedFree(a.Data);
        }
    }

    [TestMethod]
    public void HalfToSingle_EveryFiniteHalf_IsTheExactConversion()
    {
        for (int h = 0; h < 0x10000; h++)
        {
            if ((h & 0x7C00) == 0x7C00) continue;                                  // infinities and NaNs: not scales
            AssertSameBits((float)BitConverter.UInt16BitsToHalf((ushort)h), QuantKernels.HalfToSingle((ushort)h), $"half 0x{h:X4}");
        }
    }
}
