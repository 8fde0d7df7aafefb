using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Horizontal fusion in ScMoE's overlap window: two model computations per launch in a decode step (docs/GPU.md, launch budget).
// Legend: T tokens, H hidden, F dense width, K top-k. Other steps, and weights of mixed formats, run the separate ops.
internal sealed partial class IlgpuBackend
{
    /// <inheritdoc/>
    public void RouterTopKAndSwiGlu(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed, DeviceTensor gate, DeviceTensor up, DeviceTensor hidden)
    {
        var xs = Own(x.X); var cls = Own(classifier); var g = Own(gate); var u = Own(up);
        int tokens = xs.Rows;
        if (tokens == 0 || tokens > MatMulKernels.RowTokens || (cls.DType != g.DType && cls.DType != DType.F32) || u.DType != g.DType)
        {
            RouterTopK(x, classifier, bias, topK, scaling, ids, weights, normed);
            MatMulSwiGlu(x, gate, up, hidden);
            return;
        }
        var b = Own(bias); var id = Own(ids); var wt = Own(weights); var xn = Own(normed); var hs = Own(hidden);
        int experts = cls.Rows, inDim = xs.Columns;
        Require(id.Columns == topK && wt.Columns == topK && id.Rows >= tokens && wt.Rows >= tokens && b.Columns == experts && topK <= experts
            && topK > 0 && cls.Columns == inDim && xn.Rows == tokens && xn.Columns == inDim && experts <= MoeKernels.MaxExperts, nameof(RouterTopKAndSwiGlu),
            $"x {xs}, classifier {cls} (at most {MoeKernels.MaxExperts} experts), ids {id}, weights {wt}, normed {xn}, k {topK}");
        Require(g.Columns == inDim && u.Rows == g.Rows && u.Columns == inDim && hs.Columns == g.Rows && hs.Rows == tokens, nameof(RouterTopKAndSwiGlu),
            $"x {xs}, gate {g}, up {u}, hidden {hs}");
        var norm = NormOf(x, inDim, nameof(RouterTopKAndSwiGlu));
        var router = new MoeKernels.RouterArgs<F32Weights>
        {
            Bias = Vector(b, nameof(RouterTopKAndSwiGlu)), Norm = norm.Weight, X = xs.F32, Normed = xn.F32, Normed4 = xn.F32x4, Weights = wt.F32,
            Ids = id.I32, Tokens = tokens, Hidden = inDim, Experts = experts, TopK = topK, Vec = inDim % 4 == 0 ? 1 : 0, Eps = norm.Eps, Scaling = scaling,
        };
        var body = new RouterSwiGluOp(this, router, xs, hs, norm, WeightRegion.Of(cls, nameof(RouterTopKAndSwiGlu)));
        WeightDispatch.Run(nameof(RouterTopKAndSwiGlu), ref body, WeightRegion.Of(g, nameof(RouterTopKAndSwiGlu)), WeightRegion.Of(u, nameof(RouterTopKAndSwiGlu)));
    }

    private readonly struct RouterSwiGluOp(IlgpuBackend b, MoeKernels.RouterArgs<F32Weights> r, IlgpuTensor x, IlgpuTensor hidden,
        (FloatVector Weight, float Eps) norm, WeightRegion classifier) : IWeightOp
    {
        public void Run<TW>(TW gate, TW up, TW unused) where TW : struct, IWeightView
        {
            // The classifier in the MLP's format, or F32 (LongCat's router_dtype) beside any MLP format.
            if (classifier.DType == DType.F32 && typeof(TW) != typeof(F32Weights)) Launch(gate, up, classifier.AsF32());
            else Launch(gate, up, WeightDispatch.View<TW>(nameof(RouterTopKAndSwiGlu), classifier));
        }

        private void Launch<TW, TC>(TW gate, TW up, TC classifier) where TW : struct, IWeightView where TC : struct, IWeightView
        {
            var args = new FusedKernels.RouterSwiGluArgs<TW, TC>
            {
                Router = new MoeKernels.RouterArgs<TC>
                {
                    Classifier = classifier, Bias = r.Bias, Norm = r.Norm, X = r.X, Normed = r.Normed, Normed4 = r.Normed4, Weights = r.Weights,
                    Ids = r.Ids, Tokens = r.Tokens, Hidden = r.Hidden, Experts = r.Experts, TopK = r.TopK, Vec = r.Vec, Eps = r.Eps, Scaling = r.Scaling,
                },
                Mlp = new MatMulKernels.MatMulArgs<TW>
                {
                    W = gate, W2 = up, X = x.F32, X4 = x.F32x4, Y = hidden.F32, Y2 = hidden.F32, Norm = norm.Weight, HasNorm = 1, Eps = norm.Eps,
                    Tokens = x.Rows, In = x.Columns, Out = hidden.Columns, Vec = x.Columns % 4 == 0 ? 1 : 0,
                },
            };
            // Group 0 routes; the rest are MatVecSwiGlu's grid.
            b.Launch(FusedKernels.RouterAndSwiGlu<TW, TC>, new Index3D(1 + b.RowGrid(hidden.Columns), 1, 1), b.RowGroup, args);
        }
    }

    /// <inheritdoc/>
    public void MlpAndMoeExperts(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor down, DeviceTensor mlpHidden, DeviceTensor moeX,
        DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor h)
    {
        ArgumentNullException.ThrowIfNull(experts);
        var xs = Own(x.X); var g = Own(gate); var u = Own(up); var d = Own(down); var mx = Own(moeX);
        int real = experts.RealCount;
        if (xs.Rows != 1 || mx.Rows != 1 || real == 0 || u.DType != g.DType || d.DType != g.DType
            || experts.Gate.Concat(experts.Up).Concat(experts.Down).Any(e => Own(e).DType != g.DType))
        {
            MatMulSwiGlu(x, gate, up, mlpHidden);
            MatMul(mlpHidden, down, h, accumulate: true);
            MoeExperts(moeX, ids, weights, experts, h, accumulate: true);
            return;
        }
        var mh = Own(mlpHidden); var id = Own(ids); var wt = Own(weights); var hs = Own(h);
        int hiddenSize = xs.Columns, ffn = g.Rows, k = id.Columns;
        Require(g.Columns == hiddenSize && u.Rows == ffn && u.Columns == hiddenSize && mh.Rows == 1 && mh.Columns == ffn && d.Rows == hiddenSize
            && d.Columns == ffn && hs.Rows == 1 && hs.Columns == hiddenSize, nameof(MlpAndMoeExperts), $"x {xs}, gate {g}, up {u}, down {d}, hidden {mh}, h {hs}");
        Require(mx.Columns == hiddenSize && id.Rows >= 1 && wt.Rows >= 1 && wt.Columns == k && real <= MoeKernels.MaxExperts, nameof(MlpAndMoeExperts),
            $"moeX {mx}, ids {id}, weights {wt}, {real} experts (at most {MoeKernels.MaxExperts})");
        var norm = NormOf(x, hiddenSize, nameof(MlpAndMoeExperts));
        var pack = Packed(experts, hiddenSize);
        var slotHidden = Scratch(ref _moeHidden, (long)k * pack.Ffn);
        var body = new MlpExpertOp(this, xs, mh, hs, mx, slotHidden, id, wt, norm, pack, real);
        WeightDispatch.Run(nameof(MlpAndMoeExperts), ref body, WeightRegion.Of(g, nameof(MlpAndMoeExperts)), WeightRegion.Of(u, nameof(MlpAndMoeExperts)),
            WeightRegion.Of(d, nameof(MlpAndMoeExperts)));
    }

    private readonly struct MlpExpertOp(IlgpuBackend b, IlgpuTensor x, IlgpuTensor mlpHidden, IlgpuTensor h, IlgpuTensor moeX, IlgpuTensor slotHidden,
        IlgpuTensor ids, IlgpuTensor weights, (FloatVector Weight, float Eps) norm, PackedExperts pack, int real) : IWeightOp
    {
        public void Run<TW>(TW gate, TW up, TW down) where TW : struct, IWeightView
        {
            const string op = nameof(MlpAndMoeExperts);
            int hs = x.Columns, ffn = mlpHidden.Columns, k = ids.Columns;
            var experts = new MoeKernels.ExpertArgs<TW>
            {
                Gate = WeightDispatch.View<TW>(op, pack.Gate), Up = WeightDispatch.View<TW>(op, pack.Up), Down = WeightDispatch.View<TW>(op, pack.Down),
                X = moeX.F32, X4 = moeX.F32x4, Hidden = slotHidden.F32, Hidden4 = slotHidden.F32x4, Out = slotHidden.F32,
                Perm = ids.I32, Tiles = ids.I32, TileCount = ids.I32, Ids = ids.I32, Weights = weights.F32, Output = h.F32,
                TopK = k, H = hs, F = pack.Ffn, Vec = hs % 4 == 0 ? 1 : 0, RealExperts = real, SingleToken = 1, Accumulate = 1,
            };
            int mlpGroups = b.RowGrid(ffn), expertGroups = b.IsCuda ? b.RowGrid(pack.Ffn) : 1;
            var first = new FusedKernels.MlpExpertArgs<TW>
            {
                Mlp = new MatMulKernels.MatMulArgs<TW>
                {
                    W = gate, W2 = up, X = x.F32, X4 = x.F32x4, Y = mlpHidden.F32, Y2 = mlpHidden.F32, Norm = norm.Weight, HasNorm = 1, Eps = norm.Eps,
                    Tokens = 1, In = hs, Out = ffn, Vec = hs % 4 == 0 ? 1 : 0,
                },
                Experts = experts, MlpGroups = mlpGroups, ExpertGroups = expertGroups,
            };
            // Groups [0, mlpGroups): the dense SwiGLU; then expertGroups per slot: the experts' gate/up of one token.
            b.Launch(FusedKernels.SwiGluAndGateUp<TW>, new Index3D(mlpGroups + k * expertGroups, 1, 1), b.RowGroup, first);
            var second = first with
            {
                Mlp = new MatMulKernels.MatMulArgs<TW>
                {
                    W = down, W2 = down, X = mlpHidden.F32, X4 = mlpHidden.F32x4, Y = h.F32, Y2 = h.F32, Tokens = 1, In = ffn, Out = hs,
                    Vec = ffn % 4 == 0 ? 1 : 0, Accumulate = 1,
                },
            };
            b.Launch(FusedKernels.DownAndDownCombine<TW>, new Index3D(b.RowGrid(hs), 1, 1), b.RowGroup, second);
        }
    }
}
