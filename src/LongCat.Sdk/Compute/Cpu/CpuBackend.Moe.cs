using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace LongCat.Sdk.Compute.Cpu;

// Router and experts. Legend: T tokens, H hidden, E experts (real + identity), K top-k, F expert width.
internal sealed unsafe partial class CpuBackend
{
    /// <inheritdoc/>
    public void RouterTopK(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed)
    {
        var cls = Cpu(classifier); var b = Cpu(bias); var id = Cpu(ids); var wt = Cpu(weights); var xn = Cpu(normed);
        int tokens = x.X.Rows, experts = cls.Rows;
        Require(id.Columns == topK && wt.Columns == topK && id.Rows >= tokens && wt.Rows >= tokens && b.Columns == experts && topK <= experts && topK > 0,
            nameof(RouterTopK), $"classifier {cls}, ids {id}, weights {wt}, k {topK}");
        Require(xn.Rows == tokens && xn.Columns == x.X.Columns, nameof(RouterTopK), $"x {x.X}, normed {xn}");
        RmsNorm(x.X, x.Weight, x.Eps, normed);                                     // the experts' input, kept
        using var logits = CpuTensor.Allocate(DType.F32, [tokens, experts]);       // [T, E]
        MatMul(normed, classifier, logits);
        var biasF = WeightAsFloats(b);
        var choice = new float[experts];
        for (int t = 0; t < tokens; t++)
        {
            var scores = new Span<float>(logits.RowF32(t), experts);
            // TensorPrimitives.SoftMax does not subtract the maximum: a logit above ~88 overflows exp to ∞ and ∞/∞ is NaN.
            TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);
            TensorPrimitives.SoftMax(scores, scores);                            // over real AND identity experts, F32
            TensorPrimitives.Add(scores, biasF, choice);                         // bias only selects
            for (int k = 0; k < topK; k++)
            {
                int best = TensorPrimitives.IndexOfMax(choice);                  // first index on ties
                id.I32[t * topK + k] = best;
                wt.F32[t * topK + k] = scores[best] * scaling;                   // unbiased score × routed_scaling_factor
                choice[best] = float.NegativeInfinity;
            }
        }
    }

    /// <inheritdoc/>
    public void RouterTopKAndSwiGlu(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed, DeviceTensor gate, DeviceTensor up, DeviceTensor hidden)
    {
        RouterTopK(x, classifier, bias, topK, scaling, ids, weights, normed);
        MatMulSwiGlu(x, gate, up, hidden);
    }

    /// <inheritdoc/>
    public void MlpAndMoeExperts(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor down, DeviceTensor mlpHidden, DeviceTensor moeX,
        DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor h)
    {
        MatMulSwiGlu(x, gate, up, mlpHidden);
        MatMul(mlpHidden, down, h, accumulate: true);
        MoeExperts(moeX, ids, weights, experts, h, accumulate: true);
    }

    /// <inheritdoc/>
    public void MoeExperts(DeviceTensor x, DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor output, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(experts);
        var xs = Cpu(x); var id = Cpu(ids); var wt = Cpu(weights); var o = Cpu(output);
        int tokens = xs.Rows, hidden = xs.Columns, k = id.Columns, real = experts.RealCount;
        Require(o.Columns == hidden && o.Rows >= tokens && id.Rows >= tokens && wt.Rows >= tokens && wt.Columns == k, nameof(MoeExperts), $"x {xs}, ids {id}, output {o}");

        // Group (token, slot) pairs by real expert (a counting sort: pairs[start[e]..start[e + 1]) in token order) so each expert's
        // weights are streamed once per step.
        int[] start = new int[real + 1];
        for (int p = 0; p < tokens * k; p++)
            if (id.I32[p] < real) start[id.I32[p] + 1]++;
        int activeCount = 0;
        for (int e = 0; e < real; e++)
        {
            if (start[e + 1] > 0) activeCount++;
            start[e + 1] += start[e];
        }
        int pairCount = start[real];
        int[] pairs = new int[pairCount], active = new int[activeCount], fill = start[..real];
        for (int p = 0; p < tokens * k; p++)
            if (id.I32[p] < real) pairs[fill[id.I32[p]]++] = p;
        for (int e = 0, a = 0; e < real; e++)
            if (start[e + 1] > start[e]) active[a++] = e;

        // Each token's input prepared once for every expert it chose (permuted for BF16 weights, quantized for Q8/Q4), in
        // parallel, then gathered per expert: the bytes the kernels read are the same as preparing each expert's rows itself.
        bool inBf16 = false, in8 = false, in4 = false, inF32 = false, midBf16 = false, midQ = false;
        int ffn = real > 0 ? experts.Gate[0].Rows : 0;
        foreach (int e in active)
        {
            CpuTensor gate = Cpu(experts.Gate[e]), up = Cpu(experts.Up[e]), down = Cpu(experts.Down[e]);
            Require(gate.Rows == ffn && up.Rows == ffn && down.Columns == ffn && gate.Columns == hidden && up.Columns == hidden && down.Rows == hidden,
                nameof(MoeExperts), $"expert {e}: {gate}, {up}, {down}");
            foreach (var w in (ReadOnlySpan<CpuTensor>)[gate, up])
            {
                inBf16 |= w.DType == DType.BF16;
                in8 |= Int8Activations && w.DType == DType.Q8;
                in4 |= Int8Activations && w.DType == DType.Q4;
                inF32 |= ReadsF32(w);
            }
            midBf16 |= down.DType == DType.BF16;
            midQ |= Int8Activations && down.DType.IsBlockQuantized();
        }
        var all = Prepared(xs, inBf16, in8, in4);

        // One buffer for the step: the results [pairs, H] (each routed pair's expert output, written there by its down product
        // and combined below in slot order), then each expert's rows at its pairs' offset: its gathered inputs and hidden [n, F]
        // with the hidden's prepared copies.
        long qIn = QuantizedRows.RowBytes(hidden), qMid = QuantizedRows.RowBytes(ffn);
        long in8Bytes = in8 ? qIn : 0, in4Bytes = in4 ? qIn : 0, midQBytes = midQ ? qMid : 0;      // multiples of 64: first
        long inPermBytes = inBf16 ? hidden * 4L : 0, inF32Bytes = inF32 ? hidden * 4L : 0, midBytes = ffn * 4L, midPermBytes = midBf16 ? midBytes : 0;
        long perPair = Align64(in8Bytes + in4Bytes + midQBytes + inPermBytes + inF32Bytes + midBytes + midPermBytes);
        long resultBytes = Align64((long)pairCount * hidden * 4);
        byte* buffer = ExpertBuffer(resultBytes + pairCount * perPair);
        float* results = (float*)buffer;
        For(activeCount, a =>
        {
            int e = active[a], first = start[e], n = start[e + 1] - first;
            CpuTensor gate = Cpu(experts.Gate[e]), up = Cpu(experts.Up[e]), down = Cpu(experts.Down[e]);
            // The expert's rows, each part [n, ·] packed (the kernels' row strides); quantized rows 64-byte aligned.
            byte* p = buffer + resultBytes + first * perPair;
            byte* q8 = p; p += n * in8Bytes;
            byte* q4 = p; p += n * in4Bytes;
            byte* midQuantized = p; p += n * midQBytes;
            float* inPerm = (float*)p; p += n * inPermBytes;
            float* f32Rows = (float*)p; p += n * inF32Bytes;
            float* mid = (float*)p; p += n * midBytes;
            float* midPerm = (float*)p;
            for (int i = 0; i < n; i++)
            {
                int t = pairs[first + i] / k;
                if (inBf16) Buffer.MemoryCopy(all.PermutedRow(t), inPerm + i * hidden, hidden * 4L, hidden * 4L);
                if (in8) Buffer.MemoryCopy(all.Quantized(DType.Q8).Values(t), q8 + i * qIn, qIn, qIn);
                if (in4) Buffer.MemoryCopy(all.Quantized(DType.Q4).Values(t), q4 + i * qIn, qIn, qIn);
                if (inF32) Buffer.MemoryCopy(xs.RowF32(t), f32Rows + i * hidden, hidden * 4L, hidden * 4L);
            }
            // The F32 rows are read only by weights in neither form (ReadsF32); otherwise the view's memory is never read.
            var xin = new CpuTensor(DType.F32, [n, hidden], (byte*)(inF32 ? f32Rows : results + (long)first * hidden), owned: false);
            var input = new MatMulInput(xin, inBf16 ? inPerm : null, in8 ? new QuantizedRows(q8, n, hidden, DType.Q8) : default,
                in4 ? new QuantizedRows(q4, n, hidden, DType.Q4) : default, _quantPath);
            var hmid = new CpuTensor(DType.F32, [n, ffn], (byte*)mid, owned: false);
            var yout = new CpuTensor(DType.F32, [n, hidden], (byte*)(results + (long)first * hidden), owned: false);
            // The expert's product for a token has the same bits whichever other tokens chose the expert (see MatMulRows).
            SwiGluRows(input, gate, up, hmid, 0, ffn);
            MatMulRows(Input(hmid, down.DType == DType.BF16 ? midPerm : null, Int8Activations && down.DType == DType.Q8 ? midQuantized : null,
                Int8Activations && down.DType == DType.Q4 ? midQuantized : null, _quantPath), down, yout, 0, hidden, accumulate: false);
        });

        // Σ_k in slot order, then added to the output when accumulating (the GPU kernels' order); tokens spread over the workers.
        var rowOf = new int[tokens * k];
        for (int i = 0; i < pairCount; i++) rowOf[pairs[i]] = i;
        ForRanges(tokens, 4, (t0, t1) =>
        {
            float[]? sum = accumulate ? new float[hidden] : null;
            for (int t = t0; t < t1; t++)
            {
                var row = new Span<float>(o.RowF32(t), hidden);
                var dst = sum ?? row;
                dst.Clear();
                for (int s = 0; s < k; s++)
                {
                    int e = id.I32[t * k + s];
                    float w = wt.F32[t * k + s];
                    // identity (zero-computation) expert: w · x
                    float* src = e < real ? results + (long)rowOf[t * k + s] * hidden : xs.RowF32(t);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(src, hidden), w, dst, dst);
                }
                if (sum is not null) TensorPrimitives.Add(row, sum, row);
            }
        });
    }

    /// <summary>
    /// Whether a product with <paramref name="w"/> reads its token rows as F32 (<see cref="SimdKernels.Dot"/>): weights neither
    /// BF16 (permuted rows) nor Q8/Q4 with int8 activations (quantized rows).
    /// </summary>
    private bool ReadsF32(CpuTensor w) => !(w.DType == DType.BF16 || (w.DType.IsBlockQuantized() && Int8Activations));

    private static long Align64(long bytes) => (bytes + 63) / 64 * 64;

    /// <summary>
    /// Up to this size the experts' step buffer is kept between steps: a decode step's, and a prefill's of a few hundred tokens
    /// (lite-mini's 128-token prompt: 8-10 MB, which with an 8 MB bound was allocated, cleared and freed at every layer, 1.4 ms
    /// each); longer prefills' are freed. Within what <see cref="MemoryPlan"/> reserves for a 512-token chunk's intermediates.
    /// </summary>
    private const long KeptExpertBufferBytes = 64L << 20;

    private CpuTensor? _expertBuffer;

    /// <summary>
    /// <paramref name="bytes"/> of 64-byte aligned memory for one <see cref="MoeExperts"/> call: the kept buffer when it is small
    /// enough, else a buffer freed by the next call.
    /// </summary>
    private byte* ExpertBuffer(long bytes)
    {
        if (_expertBuffer is null || _expertBuffer.ElementCount * 4 < bytes || (_expertBuffer.ElementCount * 4 > KeptExpertBufferBytes && bytes <= KeptExpertBufferBytes))
        {
            _expertBuffer?.Dispose();
            _expertBuffer = CpuTensor.Allocate(DType.F32, [checked((int)Math.Max(1024, (bytes + 3) / 4))], clear: false);   // every byte read is written first
        }
        return _expertBuffer.Data;
    }
}
