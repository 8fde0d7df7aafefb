using System.Diagnostics;
using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Benchmarks;

/// <summary>Wraps a backend and accumulates wall time and call counts per op: where a decode step spends its time.</summary>
internal sealed class ProfilingBackend(IComputeBackend inner) : IComputeBackend
{
    private readonly Dictionary<string, (long Ticks, int Calls)> _ops = [];

    public string Name => inner.Name + "+profile";

    public void Reset() => _ops.Clear();

    /// <summary>Prepended to op names while set: separates the phases of a step (verify, head).</summary>
    public string Phase { get; set; } = "";

    public IEnumerable<(string Op, double Ms, int Calls)> Report(int steps) =>
        _ops.OrderByDescending(kv => kv.Value.Ticks)
            .Select(kv => (kv.Key, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency / steps, kv.Value.Calls / steps));

    /// <summary>Off: ops run untimed (step totals without the profiler's per-op cost).</summary>
    public bool Enabled { get; set; } = true;

    private void Time(string op, Action a)
    {
        if (!Enabled)
        {
            a();
            return;
        }
        long t0 = Stopwatch.GetTimestamp();
        a();
        long dt = Stopwatch.GetTimestamp() - t0;
        var (ticks, calls) = _ops.GetValueOrDefault(Phase + op);
        _ops[Phase + op] = (ticks + dt, calls + 1);
    }

    public DeviceTensor Allocate(DType dtype, params int[] shape) => inner.Allocate(dtype, shape);
    public DeviceTensor AllocateWeight(DType dtype, int[] shape, string name, DeviceTensor? scales = null, DeviceTensor? zeros = null, int groupSize = 0) =>
        inner.AllocateWeight(dtype, shape, name, scales, zeros, groupSize);
    public DeviceTensor LoadWeight(SafetensorsFile file, TensorInfo info, int[] shape, DeviceTensor? blockScales = null, DType? format = null, int groupSize = 0) =>
        inner.LoadWeight(file, info, shape, blockScales, format, groupSize);

    public DeviceTensor LoadTable(SafetensorsFile file, TensorInfo info, int[] shape) => inner.LoadTable(file, info, shape);
    public void Upload<T>(DeviceTensor destination, ReadOnlySpan<T> values) where T : unmanaged => inner.Upload(destination, values);
    public void Download<T>(DeviceTensor source, Span<T> values) where T : unmanaged => inner.Download(source, values);
    public void Embedding(DeviceTensor table, DeviceTensor ids, int column, DeviceTensor output) => Time("Embedding", () => inner.Embedding(table, ids, column, output));
    public void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output) => Time("RmsNorm", () => inner.RmsNorm(x, weight, eps, output));
    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor y, bool accumulate = false) => Time($"MatMul {weight.Rows}x{weight.Columns}", () => inner.MatMul(x, weight, y, accumulate));
    public void MatMulPair(RmsNormed x, DeviceTensor weight1, DeviceTensor y1, DeviceTensor weight2, DeviceTensor y2) =>
        Time($"MatMulPair {weight1.Rows}+{weight2.Rows}x{weight1.Columns}", () => inner.MatMulPair(x, weight1, y1, weight2, y2));
    public void MatMulSwiGlu(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor h) => Time("MatMulSwiGlu", () => inner.MatMulSwiGlu(x, gate, up, h));
    public void Scale(DeviceTensor x, float scale) => Time("Scale", () => inner.Scale(x, scale));
    public void MlaQueryAndCache(DeviceTensor qa, DeviceTensor ckv, MlaLatentWeights weights, MlaShape shape, RopeParams rope, AttentionMetadata meta,
        DeviceTensor cache, DeviceTensor qLat, DeviceTensor qRot) =>
        Time("MlaQueryAndCache", () => inner.MlaQueryAndCache(qa, ckv, weights, shape, rope, meta, cache, qLat, qRot));
    public void MlaAttention(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, MlaShape shape, float softmaxScale, AttentionMetadata meta, DeviceTensor oLat) =>
        Time("MlaAttention", () => inner.MlaAttention(qLat, qRot, cache, shape, softmaxScale, meta, oLat));
    public void MlaValue(DeviceTensor oLat, DeviceTensor kvB, MlaShape shape, DeviceTensor o) => Time("MlaValue", () => inner.MlaValue(oLat, kvB, shape, o));
    public void MlaAttentionValue(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, DeviceTensor kvB, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat, DeviceTensor o) =>
        Time("MlaAttentionValue", () => inner.MlaAttentionValue(qLat, qRot, cache, kvB, shape, softmaxScale, meta, oLat, o));
    public void RouterTopK(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed) => Time("RouterTopK", () => inner.RouterTopK(x, classifier, bias, topK, scaling, ids, weights, normed));
    public void MoeExperts(DeviceTensor x, DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor output, bool accumulate = false) =>
        Time("MoeExperts", () => inner.MoeExperts(x, ids, weights, experts, output, accumulate));
    public void RouterTopKAndSwiGlu(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed, DeviceTensor gate, DeviceTensor up, DeviceTensor hidden) =>
        Time("RouterTopKAndSwiGlu", () => inner.RouterTopKAndSwiGlu(x, classifier, bias, topK, scaling, ids, weights, normed, gate, up, hidden));
    public void MlpAndMoeExperts(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor down, DeviceTensor mlpHidden, DeviceTensor moeX,
        DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor h) =>
        Time("MlpAndMoeExperts", () => inner.MlpAndMoeExperts(x, gate, up, down, mlpHidden, moeX, ids, weights, experts, h));
    public void ConcatColumns(DeviceTensor a, DeviceTensor b, DeviceTensor output) => Time("ConcatColumns", () => inner.ConcatColumns(a, b, output));
    public void GatherRows(DeviceTensor x, DeviceTensor rows, DeviceTensor output) => Time("GatherRows", () => inner.GatherRows(x, rows, output));
    public void Synchronize() => inner.Synchronize();
    public void Dispose() => inner.Dispose();
}
