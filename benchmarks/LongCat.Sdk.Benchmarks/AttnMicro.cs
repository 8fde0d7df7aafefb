using System.Diagnostics;
using LongCat.Sdk.Compute;
using LongCat.Sdk.Compute.Cpu;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// The CPU attention at the demo model's shape (4 heads, L = 64, R = 32, 220 cached rows): its inner loops per cached row, then
/// the whole op per call for 1 and 2 tokens on 1 and 2 threads (a diagnostic; figures in docs/PERFORMANCE.md).
/// </summary>
internal static class AttnMicro
{
    public static unsafe void Parts()
    {
        int ctx = 220, W = 96;
        var rnd = new Random(1);
        float* cache = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(512 * W * 4), 64);
        for (int i = 0; i < 512 * W; i++) cache[i] = (float)rnd.NextDouble();
        float* q = stackalloc float[96]; for (int i = 0; i < 96; i++) q[i] = (float)rnd.NextDouble();
        float* sc = stackalloc float[512]; float* o = stackalloc float[64];
        int* table = stackalloc int[8]; for (int i = 0; i < 8; i++) table[i] = i;
        int n = 200000;
        for (int rep = 0; rep < 2; rep++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) LongCat.Sdk.Compute.Cpu.LatentAttentionKernels.Scores(q, q + 64, cache, W, 64, 64, 32, 0.1f, sc);
            Console.WriteLine($"scores: {sw.Elapsed.TotalMilliseconds * 1e6 / n / 64:F2} ns/row");
            sw.Restart();
            for (int i = 0; i < n; i++) LongCat.Sdk.Compute.Cpu.LatentAttentionKernels.Values(sc, ctx, cache, W, table, 64, 64, o);
            Console.WriteLine($"values: {sw.Elapsed.TotalMilliseconds * 1e6 / n / ctx:F2} ns/row");
            sw.Restart();
            for (int i = 0; i < n; i++)
            {
                var s = new Span<float>(sc, ctx);
                System.Numerics.Tensors.TensorPrimitives.Subtract(s, System.Numerics.Tensors.TensorPrimitives.Max(s), s);
                System.Numerics.Tensors.TensorPrimitives.SoftMax(s, s);
            }
            Console.WriteLine($"softmax: {sw.Elapsed.TotalMilliseconds * 1e6 / n / ctx:F2} ns/row");
        }
    }

    public static void Run()
    {
        Parts();
        foreach (int threads in new[] { 1, 2, 1, 2 })
        foreach (int tokens in new[] { 1, 2 })
        {
            using var b = new CpuBackend(WeightResidency.Copied, threads);
            var shape = new MlaShape(4, 32, 32, 32, 64);
            int bs = 64, blocks = 8, ctx = 220;
            var rnd = new Random(1);
            float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
            DeviceTensor F(float[] v, params int[] s) { var t = b.Allocate(DType.F32, s); b.Upload<float>(t, v); return t; }
            DeviceTensor I(int[] v, params int[] s) { var t = b.Allocate(DType.I32, s); b.Upload<int>(t, v); return t; }
            var cache = F(R(blocks * bs * 96), blocks * bs, 96);
            var kvb = F(R(4 * 64 * 64), 4 * 64, 64);
            var ql = F(R(tokens * 4 * 64), tokens, 256); var qr = F(R(tokens * 4 * 32), tokens, 128);
            var pos = I(Enumerable.Range(ctx - tokens, tokens).ToArray(), tokens);
            var slots = I(new int[tokens], tokens); var seq = I(new int[tokens], tokens);
            var tables = I(Enumerable.Range(0, blocks).ToArray(), 1, blocks);
            var oLat = b.Allocate(DType.F32, tokens, 256); var o = b.Allocate(DType.F32, tokens, 128);
            var meta = new AttentionMetadata(pos, slots, seq, tables, bs);
            for (int i = 0; i < 2000; i++) b.MlaAttentionValue(ql, qr, cache, kvb, shape, 0.1f, meta, oLat, o);
            var sw = Stopwatch.StartNew();
            int n = 20000;
            for (int i = 0; i < n; i++) b.MlaAttentionValue(ql, qr, cache, kvb, shape, 0.1f, meta, oLat, o);
            Console.WriteLine($"threads {threads} tokens {tokens}: {sw.Elapsed.TotalMilliseconds * 1000 / n:F2} us/call");
            sw.Restart();
            for (int i = 0; i < n; i++) b.MlaAttention(ql, qr, cache, shape, 0.1f, meta, oLat);
            Console.WriteLine($"   without W_UV: {sw.Elapsed.TotalMilliseconds * 1000 / n:F2} us/call");
        }
    }

    /// <summary>The op for a batched decode step: S sequences of one token each at context ctx, 2 threads, BF16 W_UV (demo shape).</summary>
    public static void Batch(int sequences, int ctx)
    {
        using var b = new CpuBackend(WeightResidency.Copied, 2);
        var shape = new MlaShape(4, 32, 32, 32, 64);
        int bs = 64, perSeq = (ctx + bs - 1) / bs;
        var rnd = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
        DeviceTensor F(float[] v, params int[] s) { var t = b.Allocate(DType.F32, s); b.Upload<float>(t, v); return t; }
        DeviceTensor I(int[] v, params int[] s) { var t = b.Allocate(DType.I32, s); b.Upload<int>(t, v); return t; }
        var cache = F(R(sequences * perSeq * bs * 96), sequences * perSeq * bs, 96);
        var kvbF = R(4 * 64 * 64);
        var kvb = b.Allocate(DType.BF16, 4 * 64, 64);
        b.Upload<ushort>(kvb, kvbF.Select(LongCat.Sdk.Checkpoints.WeightFormats.FloatToBf16).ToArray());
        var ql = F(R(sequences * 4 * 64), sequences, 256); var qr = F(R(sequences * 4 * 32), sequences, 128);
        var pos = I(Enumerable.Repeat(ctx - 1, sequences).ToArray(), sequences);
        var slots = I(new int[sequences], sequences); var seq = I(Enumerable.Range(0, sequences).ToArray(), sequences);
        var tables = I(Enumerable.Range(0, sequences * perSeq).ToArray(), sequences, perSeq);
        var oLat = b.Allocate(DType.F32, sequences, 256); var o = b.Allocate(DType.F32, sequences, 128);
        var meta = new AttentionMetadata(pos, slots, seq, tables, bs);
        for (int rep = 0; rep < 3; rep++)
        {
            int n = 20000;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++) b.MlaAttentionValue(ql, qr, cache, kvb, shape, 0.1f, meta, oLat, o);
            double full = sw.Elapsed.TotalMilliseconds * 1000 / n;
            sw.Restart();
            for (int i = 0; i < n; i++) b.MlaAttention(ql, qr, cache, shape, 0.1f, meta, oLat);
            double attn = sw.Elapsed.TotalMilliseconds * 1000 / n;
            sw.Restart();
            for (int i = 0; i < n; i++) b.For(8, _ => { });
            Console.WriteLine($"{sequences} sequences at {ctx}: {full:F2} us/call, without W_UV {attn:F2} us; an empty For(8) {sw.Elapsed.TotalMilliseconds * 1000 / n:F2} us");
        }
    }
}
