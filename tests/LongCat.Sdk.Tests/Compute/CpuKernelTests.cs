using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>
/// The SIMD row kernels against scalar double references on random weights in every stored format, at sizes that are not
/// multiples of any vector width; and the scalar format conversions (FP8 E4M3 table, BF16 rounding) on pinned values.
/// </summary>
[TestClass]
internal sealed unsafe class CpuKernelTests
{
    private static readonly int[] Sizes = [1, 7, 31, 33, 100, 257, 1000];

    /// <summary>130 rows so FP8 weights span two row blocks of scales.</summary>
    private const int Rows = 130;
    private static readonly int[] TestedRows = [0, 1, 127, 128, 129];

    [TestMethod]
    public void PrefetchTarget_IsL2ExactlyOnAmdProcessors()
    {
        // The vendor from the kernel's own source of truth, /proc/cpuinfo, against the CPUID reading the kernels use.
        if (!File.Exists("/proc/cpuinfo")) Assert.Inconclusive("no /proc/cpuinfo to read the CPU vendor from");
        string? vendor = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("vendor_id", StringComparison.Ordinal))?.Split(':')[1].Trim();
        if (vendor is null) Assert.Inconclusive("/proc/cpuinfo names no vendor_id (not an x86 machine)");

        Assert.AreEqual(vendor == "AuthenticAMD", SimdKernels.IsAmdProcessor, $"vendor {vendor}");
    }

    private static double Reference(ReadOnlySpan<float> w, ReadOnlySpan<float> x, out double magnitude)
    {
        double sum = 0;
        magnitude = 0;
        for (int i = 0; i < w.Length; i++)
        {
            sum += (double)w[i] * x[i];
            magnitude += Math.Abs((double)w[i] * x[i]);
        }
        return sum;
    }

    private static void AssertDotClose(double expected, double magnitude, float actual, int n, string what)
    {
        double tolerance = 1e-5 * Math.Sqrt(n) * magnitude + 1e-30;
        Assert.IsTrue(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");
    }

    [TestMethod]
    [DataRow(DType.F32)]
    [DataRow(DType.BF16)]
    [DataRow(DType.F16)]
    [DataRow(DType.F8E4M3)]
    public void Dot_RandomRows_MatchesDoubleReferenceAndScalarTwin(DType dtype)
    {
        var random = new Random(1000 + (int)dtype);
        foreach (int n in Sizes)
        {
            // Arrange
            using var w = TestWeight.Create(dtype, Rows, n, random);
            var x = TestWeight.Vector(n, random);
            fixed (float* px = x)
                foreach (int row in TestedRows)
                {
                    double expected = Reference(w.Row(row), x, out double magnitude);

                    // Act
                    float simd = SimdKernels.Dot(w.Tensor, row, px, n);
                    float scalar = SimdKernels.DotScalar(w.Tensor, row, px, n);

                    // Assert: the scalar twin sums the same products in the same order in double, so it is the rounded reference.
                    AssertDotClose(expected, magnitude, simd, n, $"{dtype} n={n} row={row}");
                    Assert.AreEqual((float)expected, scalar, $"DotScalar {dtype} n={n} row={row}");
                }
        }
    }

    [TestMethod]
    [DataRow(DType.F32)]
    [DataRow(DType.BF16)]
    [DataRow(DType.F16)]
    [DataRow(DType.F8E4M3)]
    public void Axpy_RandomRows_MatchesReferenceAndLeavesTailUntouched(DType dtype)
    {
        var random = new Random(2000 + (int)dtype);
        const int guard = 17;
        foreach (int n in Sizes)
        {
            // Arrange
            using var w = TestWeight.Create(dtype, Rows, n, random);
            foreach (int row in TestedRows)
            {
                float alpha = (float)(random.NextDouble() * 4 - 2);
                var acc = TestWeight.Vector(n + guard, random);
                var before = (float[])acc.Clone();

                // Act
                fixed (float* pa = acc) SimdKernels.Axpy(w.Tensor, row, alpha, pa, n);

                // Assert: one rounding (FMA) or two (multiply, add) per element.
                var wr = w.Row(row);
                for (int i = 0; i < n; i++)
                {
                    double expected = before[i] + (double)alpha * wr[i];
                    double tolerance = 2.5e-7 * (Math.Abs(before[i]) + Math.Abs((double)alpha * wr[i])) + 1e-38;
                    Assert.IsTrue(Math.Abs(acc[i] - expected) <= tolerance, $"{dtype} n={n} row={row} [{i}]: expected {expected:R}, got {acc[i]:R}");
                }
                for (int i = n; i < n + guard; i++) Assert.AreEqual(before[i], acc[i], $"{dtype} n={n}: element {i} past the row was written");
            }
        }
    }

    [TestMethod]
    [DataRow(DType.F32)]
    [DataRow(DType.BF16)]
    [DataRow(DType.F16)]
    [DataRow(DType.F8E4M3)]
    public void ReadRow_AnyColumnWindow_IsExactAndStaysInBounds(DType dtype)
    {
        var random = new Random(3000 + (int)dtype);
        const int guard = 9;
        foreach (int n in Sizes)
        {
            using var w = TestWeight.Create(dtype, Rows, n, random);
            foreach (int row in TestedRows)
                foreach (int col0 in new[] { 0, n / 3, n - 1 }.Distinct())
                {
                    // Arrange: windows start inside a scale block and cross block edges (FP8 n = 257, 1000).
                    int count = n - col0;
                    var dst = new float[count + guard];
                    dst.AsSpan().Fill(-12345f);

                    // Act
                    fixed (float* pd = dst) SimdKernels.ReadRow(w.Tensor, row, col0, count, pd);

                    // Assert
                    for (int i = 0; i < count; i++)
                        Assert.AreEqual(w.Values[row * n + col0 + i], dst[i], $"{dtype} n={n} row={row} col={col0 + i}");
                    for (int i = count; i < count + guard; i++) Assert.AreEqual(-12345f, dst[i], $"{dtype} n={n}: wrote past the window");
                }
        }
    }

    [TestMethod]
    public void ReadRow_Fp8WithoutBlockScales_IsTheRawCode()
    {
        var bytes = new byte[] { 0x38, 0x7E, 0x01, 0xB8, 0x00 };
        fixed (byte* p = bytes)
        {
            var w = new CpuTensor(DType.F8E4M3, [1, bytes.Length], p, owned: false);
            var dst = new float[bytes.Length];

            fixed (float* pd = dst) SimdKernels.ReadRow(w, 0, 0, bytes.Length, pd);

            CollectionAssert.AreEqual(new[] { 1f, 448f, MathF.ScaleB(1, -9), -1f, 0f }, dst);
        }
    }

    /// <summary>Widths that end in each of the BF16 row kernels' tails: the 64-value step, the 32-value one, the scalar one.</summary>
    private static readonly int[] RowKernelSizes = [1, 7, 31, 33, 64, 95, 100, 257, 1000, 1050, 4097];

    /// <summary><paramref name="count"/> random vectors of <paramref name="n"/> values, and the same permuted as the backend does, one after another.</summary>
    private static (float[][] Vectors, float[] Permuted) PermutedVectors(int count, int n, Random random)
    {
        var xs = Enumerable.Range(0, count).Select(_ => TestWeight.Vector(n, random)).ToArray();
        var permuted = new float[count * n];
        for (int j = 0; j < count; j++)
            fixed (float* src = xs[j], dst = permuted) SimdKernels.PermuteEvenOdd(src, dst + j * n, n);
        return (xs, permuted);
    }

    [TestMethod]
    public void PermuteEvenOdd_AnyLength_IsTheBlockwiseEvenOddOrderWithTheTailAsIs()
    {
        // One block is two vectors' worth of lanes on the path this process runs (rerun with DOTNET_EnableAVX512=0 for Vector256).
        int block = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 32 : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 16 : 1;
        var random = new Random(4400);
        foreach (int n in RowKernelSizes)
        {
            var x = TestWeight.Vector(n, random);
            var actual = new float[n + 1];
            actual[n] = -7f;

            fixed (float* px = x, pd = actual) SimdKernels.PermuteEvenOdd(px, pd, n);

            int blocked = block == 1 ? 0 : n / block * block, half = block / 2;
            for (int i = 0; i < n; i++)
            {
                int j = i - i % block, k = i % block;
                float expected = i >= blocked ? x[i] : k < half ? x[j + 2 * k] : x[j + 2 * (k - half) + 1];
                Assert.AreEqual(expected, actual[i], $"n={n} [{i}]");
            }
            Assert.AreEqual(-7f, actual[n], $"n={n}: wrote past the end");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    public void DotBf16RowN_PermutedVectors_MatchReferencePerVector(int vectors)
    {
        var random = new Random(4100 + vectors);
        foreach (int n in RowKernelSizes)
        {
            // Arrange: x permuted as the backend does before calling the kernel
            using var w = TestWeight.Create(DType.BF16, 2, n, random);
            var (xs, permuted) = PermutedVectors(vectors, n, random);
            var result = new float[4];

            for (int row = 0; row < 2; row++)
            {
                // Act
                fixed (float* p = permuted, pr = result) SimdKernels.DotBf16RowN((ushort*)w.Tensor.Data + (long)row * n, p, n, vectors, n, pr);

                // Assert
                for (int k = 0; k < vectors; k++)
                {
                    double expected = Reference(w.Row(row), xs[k], out double magnitude);
                    AssertDotClose(expected, magnitude, result[k], n, $"n={n} row={row} vector {k}");
                }
            }
        }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(4)]
    public void DotBf16RowN_EachVector_IsBitIdenticalToTheOneVectorKernel(int vectors)
    {
        // A token's row must get the bits it gets alone whatever else is in the batch (and a verify step's rows the bits plain
        // decoding gets, or greedy speculative output could part from plain output).
        var random = new Random(4200 + vectors);
        foreach (int n in RowKernelSizes)
        {
            using var w = TestWeight.Create(DType.BF16, 1, n, random);
            var (_, permuted) = PermutedVectors(vectors, n, random);
            var result = new float[4];
            ushort* wr = (ushort*)w.Tensor.Data;
            fixed (float* p = permuted, pr = result)
            {
                SimdKernels.DotBf16RowN(wr, p, n, vectors, n, pr);
                for (int k = 0; k < vectors; k++)
                {
                    float alone = SimdKernels.DotBf16Row(wr, p + k * n, n);
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(result[k]), $"n={n} vector {k}: {alone:R} alone, {result[k]:R} together");
                }
            }
        }
    }

    [TestMethod]
    public void Sum16_EachLane_HasTheBitsOfHorizontalSumAndOfVector512Sum()
    {
        // The tiled products reduce sixteen rows at once; a row's sum must keep the one-row kernels' order bit for bit.
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Inconclusive("Sum16 needs AVX-512F.");
        var random = new Random(16);
        var vectors = new float[16 * 16];
        var sums = new float[16];
        for (int round = 0; round < 200; round++)
        {
            // Values of wildly different scales and signs, so any other pairing of the lanes rounds differently.
            for (int i = 0; i < vectors.Length; i++) vectors[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7)));
            fixed (float* v = vectors, s = sums) SimdKernels.Sum16(v, s);
            for (int j = 0; j < 16; j++)
            {
                var vector = System.Runtime.Intrinsics.Vector512.Create(vectors.AsSpan(16 * j, 16));
                float one = SimdKernels.HorizontalSum(vector);
                Assert.AreEqual(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(sums[j]), $"round {round}, vector {j}: {one:R} alone, {sums[j]:R} in Sum16");
                Assert.AreEqual(BitConverter.SingleToInt32Bits(System.Runtime.Intrinsics.Vector512.Sum(vector)), BitConverter.SingleToInt32Bits(one), $"round {round}, vector {j}: HorizontalSum against Vector512.Sum");
            }
        }
    }

    [TestMethod]
    public void DotBf16Rows4_EachRow_MatchesReferenceAndIsBitIdenticalToTheOneRowKernel()
    {
        // Decode's wide rows go four at a time; the last rows of a range and every row of a batch go one at a time.
        var random = new Random(4300);
        foreach (int n in RowKernelSizes)
        {
            // Arrange
            using var w = TestWeight.Create(DType.BF16, 4, n, random);
            var (xs, permuted) = PermutedVectors(1, n, random);
            var result = new float[4];
            ushort* w0 = (ushort*)w.Tensor.Data;
            fixed (float* p = permuted, pr = result)
            {
                // Act
                SimdKernels.DotBf16Rows4(w0, n, p, n, pr);

                // Assert
                for (int row = 0; row < 4; row++)
                {
                    double expected = Reference(w.Row(row), xs[0], out double magnitude);
                    AssertDotClose(expected, magnitude, result[row], n, $"n={n} row={row}");
                    float alone = SimdKernels.DotBf16Row(w0 + (long)row * n, p, n);
                    Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(result[row]), $"n={n} row {row}: {alone:R} alone, {result[row]:R} four at a time");
                }
            }
        }
    }

    [TestMethod]
    public void DotBf16Rows16_EachRow_MatchesReferenceAndIsBitIdenticalToTheOneRowKernel()
    {
        // Decode's rows up to 4096 wide go sixteen at a time with one transposed reduction; any count up to 16 (a range's last tile).
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Inconclusive("DotBf16Rows16 needs AVX-512F.");
        var random = new Random(4301);
        foreach (int n in new[] { 32, 64, 96, 128, 256, 544, 1024 })
            foreach (int count in new[] { 1, 3, 15, 16 })
            {
                // Arrange
                using var w = TestWeight.Create(DType.BF16, count, n, random);
                var (xs, permuted) = PermutedVectors(1, n, random);
                var result = new float[count];
                var vectors = new float[16 * 16];
                ushort* w0 = (ushort*)w.Tensor.Data;
                fixed (float* p = permuted, pr = result, v = vectors)
                {
                    // Act
                    SimdKernels.DotBf16Rows16(w0, n, p, count, v, pr);

                    // Assert
                    for (int row = 0; row < count; row++)
                    {
                        double expected = Reference(w.Row(row), xs[0], out double magnitude);
                        AssertDotClose(expected, magnitude, result[row], n, $"n={n} count={count} row={row}");
                        float alone = SimdKernels.DotBf16Row(w0 + (long)row * n, p, n);
                        Assert.AreEqual(BitConverter.SingleToInt32Bits(alone), BitConverter.SingleToInt32Bits(result[row]),
                            $"n={n} count={count} row {row}: {alone:R} alone, {result[row]:R} sixteen at a time");
                    }
                }
            }
    }

    [TestMethod]
    [DataRow((byte)0x00, 0f)]
    [DataRow((byte)0x38, 1f)]
    [DataRow((byte)0xB8, -1f)]
    [DataRow((byte)0x3C, 1.5f)]
    [DataRow((byte)0x40, 2f)]
    [DataRow((byte)0x7E, 448f)]
    [DataRow((byte)0xFE, -448f)]
    [DataRow((byte)0x78, 256f)]
    [DataRow((byte)0x77, 240f)]
    [DataRow((byte)0x08, 0.015625f)]        // 2^-6, smallest normal
    [DataRow((byte)0x07, 0.013671875f)]     // 7 · 2^-9, largest subnormal
    [DataRow((byte)0x01, 0.001953125f)]     // 2^-9, smallest subnormal
    public void Fp8E4M3ToFloat_PinnedCodes(byte code, float expected)
    {
        Assert.AreEqual(expected, WeightFormats.Fp8E4M3ToFloat(code));
    }

    [TestMethod]
    public void Fp8E4M3ToFloat_NaNCodesAndNegativeZero()
    {
        Assert.IsTrue(float.IsNaN(WeightFormats.Fp8E4M3ToFloat(0x7F)));
        Assert.IsTrue(float.IsNaN(WeightFormats.Fp8E4M3ToFloat(0xFF)));
        Assert.IsTrue(float.IsNegative(WeightFormats.Fp8E4M3ToFloat(0x80)) && WeightFormats.Fp8E4M3ToFloat(0x80) == 0);
    }

    [TestMethod]
    public void Fp8E4M3ToFloat_EveryCode_MatchesFieldDecoding()
    {
        for (int b = 0; b < 256; b++)
        {
            float expected = TestWeight.Fp8E4M3((byte)b), actual = WeightFormats.Fp8E4M3ToFloat((byte)b);
            if (float.IsNaN(expected))
                Assert.IsTrue(float.IsNaN(actual), $"code 0x{b:X2}: expected NaN, got {actual}");
            else
                Assert.IsTrue(expected == actual && float.IsNegative(expected) == float.IsNegative(actual), $"code 0x{b:X2}: expected {expected}, got {actual}");
        }
    }

    [TestMethod]
    public void FloatToFp8E4M3_EveryFiniteCode_RoundTrips()
    {
        for (int b = 0; b < 256; b++)
        {
            if ((b & 0x7F) == 0x7F || b == 0x80) continue;     // NaNs; -0 encodes as +0
            Assert.AreEqual((byte)b, WeightFormats.FloatToFp8E4M3(WeightFormats.Fp8E4M3ToFloat((byte)b)), $"code 0x{b:X2}");
        }
    }

    [TestMethod]
    [DataRow(1.06f, (byte)0x38)]      // neighbours 1 and 1.125
    [DataRow(1.1f, (byte)0x39)]
    [DataRow(-2.9f, (byte)0xC4)]      // neighbours -2.75 and -3
    [DataRow(1000f, (byte)0x7E)]      // saturates at 448
    [DataRow(-1e30f, (byte)0xFE)]
    [DataRow(1e10f, (byte)0x7E)]
    [DataRow(float.PositiveInfinity, (byte)0x7E)]
    [DataRow(float.NegativeInfinity, (byte)0xFE)]
    [DataRow(0.0004f, (byte)0x00)]    // below half the smallest subnormal
    public void FloatToFp8E4M3_RoundsToNearestAndSaturates(float value, byte expected)
    {
        Assert.AreEqual(expected, WeightFormats.FloatToFp8E4M3(value));
    }

    [TestMethod]
    [DataRow(0x3F800000u, (ushort)0x3F80, DisplayName = "1.0 exact")]
    [DataRow(0x3F808000u, (ushort)0x3F80, DisplayName = "tie, even below: down")]
    [DataRow(0x3F818000u, (ushort)0x3F82, DisplayName = "tie, odd below: up")]
    [DataRow(0x3F808001u, (ushort)0x3F81, DisplayName = "just above a tie: up")]
    [DataRow(0x3F807FFFu, (ushort)0x3F80, DisplayName = "just below a tie: down")]
    [DataRow(0xBFC00000u, (ushort)0xBFC0, DisplayName = "-1.5 exact")]
    [DataRow(0xBF818000u, (ushort)0xBF82, DisplayName = "negative tie, odd below: away from zero")]
    [DataRow(0x7F7FFFFFu, (ushort)0x7F80, DisplayName = "float.MaxValue rounds to infinity")]
    [DataRow(0x7F800000u, (ushort)0x7F80, DisplayName = "+inf")]
    [DataRow(0x00000001u, (ushort)0x0000, DisplayName = "smallest subnormal to zero")]
    [DataRow(0x80000000u, (ushort)0x8000, DisplayName = "-0")]
    public void FloatToBf16_RoundsToNearestEven(uint floatBits, ushort expected)
    {
        Assert.AreEqual(expected, WeightFormats.FloatToBf16(BitConverter.UInt32BitsToSingle(floatBits)));
    }

    [TestMethod]
    [DataRow(0x7F800001u, DisplayName = "signalling NaN with low payload")]
    [DataRow(0xFFC00000u, DisplayName = "negative quiet NaN")]
    [DataRow(0x7FFFFFFFu, DisplayName = "all-ones NaN (would carry into the sign when rounded naively)")]
    public void FloatToBf16_NaN_StaysNaN(uint floatBits)
    {
        ushort bits = WeightFormats.FloatToBf16(BitConverter.UInt32BitsToSingle(floatBits));

        Assert.IsTrue(float.IsNaN(WeightFormats.Bf16ToFloat(bits)), $"0x{floatBits:X8} became 0x{bits:X4}");
        Assert.AreEqual(floatBits >> 31, (uint)bits >> 15, "sign kept");
    }

    [TestMethod]
    public void FloatToBf16_EveryNonNaNBf16_RoundTrips()
    {
        for (int b = 0; b < 65536; b++)
        {
            float f = WeightFormats.Bf16ToFloat((ushort)b);
            if (float.IsNaN(f)) continue;
            Assert.AreEqual((ushort)b, WeightFormats.FloatToBf16(f), $"0x{b:X4}");
        }
    }
}
