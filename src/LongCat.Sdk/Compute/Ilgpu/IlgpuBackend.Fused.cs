using ILGPU;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

// Horizontal fusion in ScMoE's overlap window: two model computations per launch in a decode step (docs/GPU.md, launch budget).
// Legend: T tokens, H hidden, F dense width, K top-k. Other steps, and layouts the fused kernels do not take, run the separate ops.
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
        // Each half may have its own format (Q8 dense MLPs beside Q4 experts); within a half, gate and up share one, and every
        // expert has the formats of the first.
        if (xs.Rows != 1 || mx.Rows != 1 || real == 0 || u.DType != g.DType || !UniformExperts(experts))
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
        var first = new MlpExpertOp(this, xs, mh, hs, mx, slotHidden, id, wt, norm, pack, real, Down: false);
        var dense = WeightRegion.Of(g, nameof(MlpAndMoeExperts));
        WeightDispatch.Run2(nameof(MlpAndMoeExperts), ref first, dense, WeightRegion.Of(u, nameof(MlpAndMoeExperts)), pack.Gate, pack.Up);
        var second = first with { Down = true };
        var denseDown = WeightRegion.Of(d, nameof(MlpAndMoeExperts));
        WeightDispatch.Run2(nameof(MlpAndMoeExperts), ref second, denseDown, denseDown, pack.Down, pack.Down);
    }

    /// <summary>Whether every expert's gate and up share one format and every expert has the first one's formats (a packable layer).</summary>
    private bool UniformExperts(ExpertWeights experts)
    {
        var gate = Own(experts.Gate[0]).DType;
        var down = Own(experts.Down[0]).DType;
        return experts.Gate.Concat(experts.Up).All(e => Own(e).DType == gate) && experts.Down.All(e => Own(e).DType == down);
    }

    /// <summary>
    /// The first launch (<see cref="Down"/> false: SwiGLU ∥ GateUp, a1/a2 the dense gate/up, b1/b2 the experts') or the second (down ⊕
    /// DownCombine, a1 the dense down, b1 the experts'); each launch is one kernel per pair of formats.
    /// </summary>
    private readonly record struct MlpExpertOp(IlgpuBackend B, IlgpuTensor X, IlgpuTensor MlpHidden, IlgpuTensor H, IlgpuTensor MoeX,
        IlgpuTensor SlotHidden, IlgpuTensor Ids, IlgpuTensor Weights, (FloatVector Weight, float Eps) Norm, PackedExperts Pack, int Real, bool Down)
        : IWeightOp2
    {
        public void Run<TW, TE>(TW w1, TW w2, TE e1, TE e2) where TW : struct, IWeightView where TE : struct, IWeightView
        {
            int hs = X.Columns, ffn = MlpHidden.Columns, k = Ids.Columns;
            var experts = new MoeKernels.ExpertArgs<TE>
            {
                // The launch reads either gate/up or down; the other slots hold the same view.
                Gate = e1, Up = e2, Down = e1,
                X = MoeX.F32, X4 = MoeX.F32x4, Hidden = SlotHidden.F32, Hidden4 = SlotHidden.F32x4, Out = SlotHidden.F32,
                Perm = Ids.I32, Tiles = Ids.I32, TileCount = Ids.I32, Ids = Ids.I32, Weights = Weights.F32, Output = H.F32,
                TopK = k, H = hs, F = Pack.Ffn, Vec = hs % 4 == 0 ? 1 : 0, RealExperts = Real, SingleToken = 1, Accumulate = 1,
            };
            int mlpGroups = B.RowGrid(ffn), expertGroups = B.IsCuda ? B.RowGrid(Pack.Ffn) : 1;
            if (!Down)
            {
                var args = new FusedKernels.MlpExpertArgs<TW, TE>
                {
                    Mlp = new MatMulKernels.MatMulArgs<TW>
                    {
                        W = w1, W2 = w2, X = X.F32, X4 = X.F32x4, Y = MlpHidden.F32, Y2 = MlpHidden.F32, Norm = Norm.Weight, HasNorm = 1,
                        Eps = Norm.Eps, Tokens = 1, In = hs, Out = ffn, Vec = hs % 4 == 0 ? 1 : 0,
                    },
                    Experts = experts, MlpGroups = mlpGroups, ExpertGroups = expertGroups,
                };
                // Groups [0, mlpGroups): the dense SwiGLU; then expertGroups per slot: the experts' gate/up of one token.
                B.Launch(FusedKernels.SwiGluAndGateUp<TW, TE>, new Index3D(mlpGroups + k * expertGroups, 1, 1), B.RowGroup, args);
                return;
            }
            var second = new FusedKernels.MlpExpertArgs<TW, TE>
            {
                Mlp = new MatMulKernels.MatMulArgs<TW>
                {
                    W = w1, W2 = w1, X = MlpHidden.F32, X4 = MlpHidden.F32x4, Y = H.F32, Y2 = H.F32, Tokens = 1, In = ffn, Out = hs,
                    Vec = ffn % 4 == 0 ? 1 : 0, Accumulate = 1,
                },
                Experts = experts, MlpGroups = mlpGroups, ExpertGroups = expertGroups,
            };
            B.Launch(FusedKernels.DownAndDownCombine<TW, TE>, new Index3D(B.RowGrid(hs), 1, 1), B.RowGroup, second);
        }
    }
}
