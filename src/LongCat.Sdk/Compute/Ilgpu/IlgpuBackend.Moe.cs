using ILGPU;
using ILGPU.Runtime;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Router and experts. Legend: T tokens, H hidden, E experts (real + identity), K top-k, F expert width, S = T·K slots.
internal sealed partial class IlgpuBackend
{
    private readonly Dictionary<ExpertWeights, PackedExperts> _expertPacks = new(ReferenceEqualityComparer.Instance);
    private IlgpuTensor? _moeHidden, _moeOut, _moePerm, _moeTiles, _moeTileCount;

    /// <inheritdoc/>
    public void RouterTopK(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed)
    {
        var xs = Own(x.X); var cls = Own(classifier); var b = Own(bias); var id = Own(ids); var wt = Own(weights); var xn = Own(normed);
        int tokens = xs.Rows, experts = cls.Rows;
        Require(id.Columns == topK && wt.Columns == topK && id.Rows >= tokens && wt.Rows >= tokens && b.Columns == experts && topK <= experts
            && topK > 0 && cls.Columns == xs.Columns && xn.Rows == tokens && xn.Columns == xs.Columns, nameof(RouterTopK),
            $"x {xs}, classifier {cls}, ids {id}, weights {wt}, normed {xn}, k {topK}");
        Require(experts <= MoeKernels.MaxExperts, nameof(RouterTopK), $"{experts} experts (at most {MoeKernels.MaxExperts})");
        var body = new RouterOp(this, xs, NormOf(x, xs.Columns, nameof(RouterTopK)), xn, Vector(b, nameof(RouterTopK)), id, wt, experts, topK, scaling);
        WeightDispatch.Run(nameof(RouterTopK), ref body, WeightRegion.Of(cls, nameof(RouterTopK)));
    }

    private readonly struct RouterOp(IlgpuBackend b, IlgpuTensor x, (FloatVector Weight, float Eps) norm, IlgpuTensor normed, FloatVector bias,
        IlgpuTensor ids, IlgpuTensor weights, int experts, int topK, float scaling) : IWeightOp
    {
        public void Run<TW>(TW w, TW unused1, TW unused2) where TW : struct, IWeightView
        {
            b.Launch(MoeKernels.Router<TW>, new Index3D(b.TokenGrid(x.Rows), 1, 1), MoeKernels.RouterThreads, new MoeKernels.RouterArgs<TW>
            {
                Classifier = w, Bias = bias, Norm = norm.Weight, X = x.F32, Normed = normed.F32, Normed4 = normed.F32x4, Weights = weights.F32,
                Ids = ids.I32, Tokens = x.Rows, Hidden = x.Columns, Experts = experts, TopK = topK, Vec = x.Columns % 4 == 0 ? 1 : 0,
                Eps = norm.Eps, Scaling = scaling,
            });
        }
    }

    /// <inheritdoc/>
    public void MoeExperts(DeviceTensor x, DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor output, bool accumulate = false)
    {
        ArgumentNullException.ThrowIfNull(experts);
        var xs = Own(x); var id = Own(ids); var wt = Own(weights); var o = Own(output);
        int tokens = xs.Rows, hidden = xs.Columns, k = id.Columns, real = experts.RealCount;
        Require(o.Columns == hidden && o.Rows >= tokens && id.Rows >= tokens && wt.Rows >= tokens && wt.Columns == k, nameof(MoeExperts),
            $"x {xs}, ids {id}, output {o}");
        Require(real <= MoeKernels.MaxExperts, nameof(MoeExperts), $"{real} experts (at most {MoeKernels.MaxExperts})");
        int slots = tokens * k;
        if (tokens == 1 && real > 0)
        {
            // Decode: GateUp over the K slots, then down projections and the combine in one kernel (two launches, not four).
            var pack = Packed(experts, hidden);
            var hiddenBuf = Scratch(ref _moeHidden, (long)k * pack.Ffn);
            var body = new ExpertOp(this, xs, hiddenBuf, hiddenBuf, hiddenBuf, hiddenBuf, hiddenBuf, k, hidden, pack.Ffn, k)
            {
                Ids = id, Weights = wt, Output = o, RealExperts = real, SingleToken = true, Accumulate = accumulate,
            };
            RunExperts(body, pack);
            return;
        }
        if (real > 0 && slots > 0)
        {
            var pack = Packed(experts, hidden);
            int maxTiles = Math.Min(slots, CeilDiv(slots, MoeKernels.TileSlots) + Math.Min(real, slots));
            var hiddenBuf = Scratch(ref _moeHidden, (long)slots * pack.Ffn);
            var outBuf = Scratch(ref _moeOut, (long)slots * hidden);
            var perm = Scratch(ref _moePerm, slots);
            var tiles = Scratch(ref _moeTiles, 3L * maxTiles);
            var tileCount = Scratch(ref _moeTileCount, 1);
            Launch(MoeKernels.Route, new Index3D(1, 1, 1), MoeKernels.RouteThreads, new MoeKernels.RouteArgs
            {
                Ids = id.I32, Perm = perm.I32, Tiles = tiles.I32, TileCount = tileCount.I32, Slots = slots, RealExperts = real,
            });
            RunExperts(new ExpertOp(this, xs, hiddenBuf, outBuf, perm, tiles, tileCount, k, hidden, pack.Ffn, maxTiles), pack);
        }
        var slotOut = _moeOut ?? xs;
        Launch(MoeKernels.Combine, ElementwiseGrid((long)tokens * hidden), ElementwiseGroup, new MoeKernels.CombineArgs
        {
            X = xs.F32, SlotOut = slotOut.F32, Weights = wt.F32, Output = o.F32, Ids = id.I32, Tokens = tokens, TopK = k, H = hidden,
            RealExperts = real, Accumulate = accumulate ? 1 : 0,
        });
    }

    /// <summary>GateUp in the format of gate and up, then Down (or DownCombine) in the format of down, which may differ (an AutoRound
    /// checkpoint may keep the experts' down projections as stored).</summary>
    private static void RunExperts(ExpertOp body, PackedExperts pack)
    {
        var gateUp = body with { Down = false };
        WeightDispatch.Run(nameof(MoeExperts), ref gateUp, pack.Gate, pack.Up);
        var down = body with { Down = true };
        WeightDispatch.Run(nameof(MoeExperts), ref down, pack.Down);
    }

    private readonly record struct ExpertOp(IlgpuBackend B, IlgpuTensor X, IlgpuTensor HiddenBuffer, IlgpuTensor SlotOut, IlgpuTensor Perm,
        IlgpuTensor Tiles, IlgpuTensor TileCount, int TopK, int H, int Ffn, int MaxTiles) : IWeightOp
    {
        public IlgpuTensor? Ids { get; init; }
        public IlgpuTensor? Weights { get; init; }
        public IlgpuTensor? Output { get; init; }
        public int RealExperts { get; init; }
        public bool SingleToken { get; init; }
        public bool Accumulate { get; init; }

        /// <summary>False: the GateUp launch (views: gate, up); true: the Down or DownCombine launch (view: down).</summary>
        public bool Down { get; init; }

        public void Run<TW>(TW first, TW second, TW unused) where TW : struct, IWeightView
        {
            var args = new MoeKernels.ExpertArgs<TW>
            {
                Gate = first, Up = second, Down = first, X = X.F32, X4 = X.F32x4, Hidden = HiddenBuffer.F32, Hidden4 = HiddenBuffer.F32x4,
                Out = SlotOut.F32, Perm = Perm.I32, Tiles = Tiles.I32, TileCount = TileCount.I32, TopK = TopK, H = H, F = Ffn, Vec = H % 4 == 0 ? 1 : 0,
                Ids = (Ids ?? Perm).I32, Weights = (Weights ?? X).F32, Output = (Output ?? X).F32, RealExperts = RealExperts,
                SingleToken = SingleToken ? 1 : 0, Accumulate = Accumulate ? 1 : 0,
            };
            if (!Down) B.Launch(MoeKernels.GateUp<TW>, new Index3D(B.IsCuda ? B.RowGrid(Ffn) : 1, MaxTiles, 1), B.RowGroup, args);
            else if (SingleToken) B.Launch(MoeKernels.DownCombine<TW>, new Index3D(B.RowGrid(H), 1, 1), B.RowGroup, args);
            else B.Launch(MoeKernels.Down<TW>, new Index3D(B.IsCuda ? B.RowGrid(H) : 1, MaxTiles, 1), B.RowGroup, args);
        }
    }

    /// <summary>A growing scratch vector of at least <paramref name="elements"/> 4-byte values, reused across calls.</summary>
    private IlgpuTensor Scratch(ref IlgpuTensor? slot, long elements)
    {
        if (slot is null || slot.ElementCount < elements)
        {
            slot?.Dispose();
            slot = AllocateRaw(DType.F32, [checked((int)Math.Max(elements, 64))], null);
        }
        return slot;
    }

    /// <summary>The experts of one layer, stacked as [E, F, H] (gate, up) and [E, H, F] (down) so one kernel reaches all of them.</summary>
    private sealed record PackedExperts(WeightRegion Gate, WeightRegion Up, WeightRegion Down, int Ffn);

    /// <summary>
    /// On first use, copies the layer's expert weights (and their FP8 block scales, or Q8/Q4 scales and zero points) into one device
    /// buffer, device to device, and moves the tensors' homes there (their own buffers are freed, so memory does not double). Gate and
    /// up share one format; down may have another.
    /// </summary>
    private PackedExperts Packed(ExpertWeights experts, int hidden)
    {
        if (_expertPacks.TryGetValue(experts, out var pack)) return pack;
        int n = experts.RealCount;
        var gate = experts.Gate.Select(Own).ToArray();
        var up = experts.Up.Select(Own).ToArray();
        var down = experts.Down.Select(Own).ToArray();
        int ffn = gate[0].Rows;
        for (int e = 0; e < n; e++)
            Require(gate[e].Rows == ffn && gate[e].Columns == hidden && up[e].Rows == ffn && up[e].Columns == hidden && down[e].Rows == hidden
                && down[e].Columns == ffn && Same(gate[e], gate[0]) && Same(up[e], gate[0]) && Same(down[e], down[0]), nameof(MoeExperts),
                $"expert {e}: gate {gate[e]}, up {up[e]}, down {down[e]} (all experts share one shape, gate and up one format, down one format)");
        // Per projection: the values, then the scales and zero points where the format has them.
        var parts = new List<IlgpuTensor[]>();
        foreach (var g in new[] { gate, up, down })
        {
            parts.Add(g);
            if (g[0].DType is DType.F8E4M3 or DType.Q8 or DType.Q4)
                parts.Add(g.Select(t => Own(t.BlockScales ?? throw new NotSupportedException($"{nameof(MoeExperts)}: {t.DType} weight {t} has no scales."))).ToArray());
            if (g[0].Zeros is not null) parts.Add(g.Select(t => Own(t.Zeros!)).ToArray());
        }
        static long Align(long v) => (v + 255) & ~255L;
        long total = 0;
        foreach (var p in parts) total += Align(n * p[0].ByteLength);
        var buffer = _accelerator.Allocate1D<byte>(Math.Max(total, 16));
        _packed.Add(buffer);
        long offset = 0;
        var regions = new Dictionary<IlgpuTensor[], ArrayView<byte>>(ReferenceEqualityComparer.Instance);
        foreach (var p in parts) regions[p] = Stack(p);
        _stream.Synchronize();
        foreach (var p in parts)
            for (int e = 0; e < n; e++) p[e].Relocate(regions[p].SubView(e * p[0].ByteLength, p[0].ByteLength));

        WeightRegion Region(IlgpuTensor[] g, string name)
        {
            // The first expert's region now spans all of them: a region over its (relocated) tensors, widened to the stacks.
            var r = WeightRegion.Of(g[0], nameof(MoeExperts));
            var scales = parts.Find(p => ReferenceEquals(p[0], g[0].BlockScales));
            var zeros = parts.Find(p => ReferenceEquals(p[0], g[0].Zeros));
            return r with
            {
                Name = name, Data = regions[g], Scales = scales is null ? regions[g] : regions[scales],
                Zeros = zeros is null ? (scales is null ? regions[g] : regions[scales]) : regions[zeros],
            };
        }
        pack = new PackedExperts(Region(gate, "experts.gate_proj"), Region(up, "experts.up_proj"), Region(down, "experts.down_proj"), ffn);
        _expertPacks[experts] = pack;
        return pack;

        static bool Same(IlgpuTensor a, IlgpuTensor b) =>
            a.DType == b.DType && a.GroupSize == b.GroupSize && (a.Zeros is null) == (b.Zeros is null)
            && (a.BlockScales is null) == (b.BlockScales is null) && (a.BlockScales is null || a.BlockScales.ByteLength == b.BlockScales!.ByteLength);

        ArrayView<byte> Stack(IlgpuTensor[] tensors)
        {
            long each = tensors[0].ByteLength;
            var region = buffer.View.SubView(offset, Math.Max(n * each, 1));
            for (int e = 0; e < n; e++)
            {
                Require(tensors[e].ByteLength == each, nameof(MoeExperts), $"{tensors[e]} differs in size from {tensors[0]}");
                ArrayView1D<byte, Stride1D.Dense> source = tensors[e].Bytes.SubView(0, each), target = region.SubView(e * each, each);
                source.CopyTo(_stream, target);
            }
            offset += Align(n * each);
            return region;
        }
    }
}
