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

        // One buffer for the step: results [pairs, H] (expert output of each routed pair, combined below in slot order), then
        // each expert's rows at its pairs' offset: xin [n, H], hmid [n, F], yout [n, H], both inputs again in even/odd order for
        // BF16 weights and quantized for Q8/Q4 weights (as the dense ops' scratch slots hold them).
        int ffn = real > 0 ? experts.Gate[0].Rows : 0;
        long perPairFloats = hidden + 2L * (hidden + ffn + hidden);
        long perPairQuantized = Int8Activations ? 2 * QuantizedRows.RowBytes(hidden) + QuantizedRows.RowBytes(ffn) : 0;
        long perPairBytes = perPairFloats * 4 + (perPairQuantized + 63) / 64 * 64;
        byte* buffer = ExpertBuffer((long)pairCount * perPairBytes);
        For(activeCount, a =>
        {
            int e = active[a], first = start[e], n = start[e + 1] - first;
            CpuTensor gate = Cpu(experts.Gate[e]), up = Cpu(experts.Up[e]), down = Cpu(experts.Down[e]);
            Require(gate.Rows == ffn && up.Rows == ffn && down.Columns == ffn, nameof(MoeExperts), $"expert {e}: {gate}, {up}, {down}");
            float* results = (float*)buffer, buf = results + (long)pairCount * hidden + first * (perPairFloats - hidden);
            var xin = new CpuTensor(DType.F32, [n, hidden], (byte*)buf, owned: false);
            var hmid = new CpuTensor(DType.F32, [n, ffn], (byte*)(buf + (long)n * hidden), owned: false);
            var yout = new CpuTensor(DType.F32, [n, hidden], (byte*)(buf + (long)n * (hidden + ffn)), owned: false);
            float* xinPermuted = buf + (long)n * (hidden + ffn + hidden), hmidPermuted = xinPermuted + (long)n * hidden;
            byte* quantized = buffer + (long)pairCount * perPairFloats * 4 + first * (perPairBytes - perPairFloats * 4);
            long xinQuantized = n * QuantizedRows.RowBytes(hidden);
            bool quantizedIn = Int8Activations && (gate.DType.IsBlockQuantized() || up.DType.IsBlockQuantized());
            bool quantizedMid = Int8Activations && down.DType.IsBlockQuantized();
            byte* xin8 = quantizedIn && (gate.DType == DType.Q8 || up.DType == DType.Q8) ? quantized : null;
            byte* xin4 = quantizedIn && (gate.DType == DType.Q4 || up.DType == DType.Q4) ? quantized + xinQuantized : null;
            byte* hmidQ = quantizedMid ? quantized + 2 * xinQuantized : null;
            for (int i = 0; i < n; i++) Buffer.MemoryCopy(xs.RowF32(pairs[first + i] / k), xin.RowF32(i), hidden * 4L, hidden * 4L);
            // The expert's product for a token has the same bits whichever other tokens chose the expert (see MatMulRows).
            SwiGluRows(Input(xin, gate.DType == DType.BF16 || up.DType == DType.BF16 ? xinPermuted : null, xin8, xin4, _quantPath), gate, up, hmid, 0, ffn);
            MatMulRows(Input(hmid, down.DType == DType.BF16 ? hmidPermuted : null, down.DType == DType.Q8 ? hmidQ : null,
                down.DType == DType.Q4 ? hmidQ : null, _quantPath), down, yout, 0, hidden, accumulate: false);
            Buffer.MemoryCopy(yout.F32, results + (long)first * hidden, (long)n * hidden * 4, (long)n * hidden * 4);
        });

        // Σ_k in slot order, then added to the output when accumulating (the GPU kernels' order).
        var rowOf = new int[tokens * k];
        for (int i = 0; i < pairCount; i++) rowOf[pairs[i]] = i;
        var sum = accumulate ? new float[hidden] : null;
        for (int t = 0; t < tokens; t++)
        {
            var row = new Span<float>(o.RowF32(t), hidden);
            var dst = sum ?? row;
            dst.Clear();
            for (int s = 0; s < k; s++)
            {
                int e = id.I32[t * k + s];
                float w = wt.F32[t * k + s];
                // identity (zero-computation) expert: w · x
                float* src = e < real ? (float*)buffer + (long)rowOf[t * k + s] * hidden : xs.RowF32(t);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(src, hidden), w, dst, dst);
            }
            if (sum is not null) TensorPrimitives.Add(row, sum, row);
        }
    }

    /// <summary>Up to this size the experts' step buffer is kept between steps (a decode step's; a long prefill's is freed).</summary>
    private const long KeptExpertBufferBytes = 8L << 20;

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
            _expertBuffer = CpuTensor.Allocate(DType.F32, [checked((int)Math.Max(1024, (bytes + 3) / 4))]);
        }
        return _expertBuffer.Data;
    }
}
