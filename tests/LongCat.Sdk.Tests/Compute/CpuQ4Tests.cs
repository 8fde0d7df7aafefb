using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Model;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Tests.Compute;

/// <summary>The CPU backend's products with <see cref="DType.Q4"/> weights against w = scale·(q − zero) written out in F64.</summary>
[TestClass]
public sealed class CpuQ4Tests
{
    [TestMethod]
    [DataRow(5, 96, 32, true, 1)]
    [DataRow(8, 64, 64, false, 3)]
    [DataRow(13, 160, 32, false, 6)]
    public void MatMul_Q4Weight_MatchesDequantizedReference(int rows, int columns, int group, bool symmetric, int tokens)
    {
        // Arrange: random nibbles, scales and zeros; q[r, c] sits in byte 16·(c/32) + c%16 of row r, low nibble when c%32 < 16.
        var rng = new Random(rows * 1000 + columns);
        int groups = columns / group;
        var q = new int[rows, columns];
        var values = new byte[rows * columns / 2];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
            {
                q[r, c] = rng.Next(16);
                values[r * columns / 2 + c / 32 * 16 + c % 16] |= (byte)(c % 32 < 16 ? q[r, c] : q[r, c] << 4);
            }
        var scales = Enumerable.Range(0, rows * groups).Select(_ => (Half)(rng.NextSingle() * 0.1f - 0.05f)).ToArray();
        var zeros = symmetric ? [] : Enumerable.Range(0, rows * groups).Select(_ => (byte)rng.Next(16)).ToArray();
        var x = Enumerable.Range(0, tokens * columns).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
        using var cpu = new CpuBackend(threads: 2) { Int8Activations = false };     // exact products: this checks the Q4 reads
        var w = WeightLoader.UploadQ4(cpu, "w", rows, columns, new Q4Weight(values, scales, zeros, group));
        using var xt = cpu.Allocate(DType.F32, tokens, columns);
        using var yt = cpu.Allocate(DType.F32, tokens, rows);
        cpu.Upload<float>(xt, x);

        // Act
        cpu.MatMul(xt, w, yt);
        var y = new float[tokens * rows];
        cpu.Download<float>(yt, y);

        // Assert
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int c = 0; c < columns; c++)
                {
                    int g = r * groups + c / group;
                    sum += (double)scales[g] * (q[r, c] - (symmetric ? 8 : zeros[g])) * x[t * columns + c];
                }
                Assert.AreEqual(sum, y[t * rows + r], 1e-5, $"y[{t}, {r}]");
            }
    }
}
