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

        // Group (token, slot) pairs by real expert so each expert's weights are streamed once per step.
        var byExpert = new List<int>?[real];
        for (int t = 0; t < tokens; t++)
            for (int s = 0; s < k; s++)
            {
                int e = id.I32[t * k + s];
                if (e < real) (byExpert[e] ??= []).Add(t * k + s);
            }
        var active = Enumerable.Range(0, real).Where(e => byExpert[e] is not null).ToArray();

        // results[t·K + s]: expert output of token t's slot s, [H]; combined below in slot order (deterministic).
        using var results = CpuTensor.Allocate(DType.F32, [tokens * k, hidden]);
        For(active.Length, a =>
        {
            int e = active[a];
            var pairs = byExpert[e]!;
            CpuTensor gate = Cpu(experts.Gate[e]), up = Cpu(experts.Up[e]), down = Cpu(experts.Down[e]);
            int n = pairs.Count, ffn = gate.Rows;
            // xin [n, H], hmid [n, F], yout [n, H], then both inputs again in even/odd order for BF16 weights and quantized for
            // Q8/Q4 weights (as the dense ops' scratch slots hold them).
            long floats = (long)n * (hidden + ffn + hidden) * 2;
            long xinQuantized = n * QuantizedRows.RowBytes(hidden), hmidQuantized = n * QuantizedRows.RowBytes(ffn);
            bool quantizedIn = Int8Activations && (gate.DType.IsBlockQuantized() || up.DType.IsBlockQuantized());
            bool quantizedMid = Int8Activations && down.DType.IsBlockQuantized();
            long bytes = floats * 4 + (quantizedIn ? 2 * xinQuantized : 0) + (quantizedMid ? hmidQuantized : 0);
            float* buf = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            try
            {
                var xin = new CpuTensor(DType.F32, [n, hidden], (byte*)buf, owned: false);
                var hmid = new CpuTensor(DType.F32, [n, ffn], (byte*)(buf + (long)n * hidden), owned: false);
                var yout = new CpuTensor(DType.F32, [n, hidden], (byte*)(buf + (long)n * (hidden + ffn)), owned: false);
                float* xinPermuted = buf + (long)n * (hidden + ffn + hidden), hmidPermuted = xinPermuted + (long)n * hidden;
                byte* quantized = (byte*)(buf + floats);
                byte* xin8 = quantizedIn && (gate.DType == DType.Q8 || up.DType == DType.Q8) ? quantized : null;
                byte* xin4 = quantizedIn && (gate.DType == DType.Q4 || up.DType == DType.Q4) ? quantized + xinQuantized : null;
                byte* hmidQ = quantizedMid ? quantized + (quantizedIn ? 2 * xinQuantized : 0) : null;
                for (int i = 0; i < n; i++) Buffer.MemoryCopy(xs.RowF32(pairs[i] / k), xin.RowF32(i), hidden * 4L, hidden * 4L);
                // The expert's product for a token has the same bits whichever other tokens chose the expert (see MatMulRows).
                SwiGluRows(Input(xin, gate.DType == DType.BF16 || up.DType == DType.BF16 ? xinPermuted : null, xin8, xin4, _quantPath), gate, up, hmid, 0, ffn);
                MatMulRows(Input(hmid, down.DType == DType.BF16 ? hmidPermuted : null, down.DType == DType.Q8 ? hmidQ : null,
                    down.DType == DType.Q4 ? hmidQ : null, _quantPath), down, yout, 0, hidden, accumulate: false);
                for (int i = 0; i < n; i++) Buffer.MemoryCopy(yout.RowF32(i), results.RowF32(pairs[i]), hidden * 4L, hidden * 4L);
            }
            finally
            {
                NativeMemory.AlignedFree(buf);
            }
        });

        // Σ_k in slot order, then added to the output when accumulating (the GPU kernels' order).
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
                float* src = e < real ? results.RowF32(t * k + s) : xs.RowF32(t);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(src, hidden), w, dst, dst);
            }
            if (sum is not null) TensorPrimitives.Add(row, sum, row);
        }
    }
}
