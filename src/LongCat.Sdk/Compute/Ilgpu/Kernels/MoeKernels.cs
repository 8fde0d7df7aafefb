using ILGPU;
using ILGPU.Algorithms;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// Router and experts. Legend: T tokens, H hidden, E experts (real + identity), K top-k, F expert width, S = T·K slots.
/// The experts run in a fixed number of launches whatever the routing: <see cref="Route"/> groups the slots by expert (counts,
/// offsets, a permutation and a list of work tiles of up to four slots of one expert); <see cref="GateUp"/> and <see cref="Down"/>
/// run over all tiles of all active experts in one launch each, reading each expert's weights once per tile; <see cref="Combine"/>
/// sums the weighted slot outputs in slot order and folds the identity experts in as w·x. A decode step (one token) takes two launches:
/// <see cref="GateUp"/> over its K slots directly, then <see cref="DownCombine"/>.
/// </summary>
internal static class MoeKernels
{
    public const int MaxExperts = 1024, RouterThreads = 256, RouteThreads = 256;
    public const int TileSlots = MatMulKernels.RowTokens;

    internal struct RouterArgs<TW> where TW : struct, IWeightView
    {
        public TW Classifier;
        public FloatVector Bias, Norm;
        public ArrayView<float> X, Normed, Weights;
        public ArrayView<Float4> Normed4;
        public ArrayView<int> Ids;
        public int Tokens, Hidden, Experts, TopK, Vec;
        public float Eps, Scaling;
    }

    /// <summary>
    /// A group per token (grid-stride): x̂ = RmsNorm(x) written to Normed (the experts' input), logits of x̂ (warp per expert), F32
    /// softmax over all experts, then top-k of score + bias by k group arg-max reductions (first index on ties); weight = unbiased
    /// score × scaling.
    /// </summary>
    public static void Router<TW>(RouterArgs<TW> a) where TW : struct, IWeightView
    {
        var scores = SharedMemory.Allocate<float>(MaxExperts);
        var choice = SharedMemory.Allocate<float>(MaxExperts);
        var scratch = SharedMemory.Allocate<float>(DeviceMath.MaxWarps);
        var bestValue = SharedMemory.Allocate<float>(DeviceMath.MaxWarps);
        var bestIndex = SharedMemory.Allocate<int>(DeviceMath.MaxWarps);
        for (int t = Grid.IdxX; t < a.Tokens; t += Grid.DimX) RouteToken(a, t, scores, choice, scratch, bestValue, bestIndex);
    }

    internal static void RouteToken<TW>(RouterArgs<TW> a, int t, ArrayView<float> scores, ArrayView<float> choice, ArrayView<float> scratch,
        ArrayView<float> bestValue, ArrayView<int> bestIndex) where TW : struct, IWeightView
    {
        int tid = Group.IdxX, warps = Group.DimX / Warp.WarpSize;
        long xo = (long)t * a.Hidden;
        float ss = 0;
        for (int j = tid; j < a.Hidden; j += Group.DimX)
        {
            float v = a.X[xo + j];
            ss += v * v;
        }
        float inv = NormKernels.Factor(DeviceMath.GroupSum(ss, scratch), a.Hidden, a.Eps);
        for (int j = tid; j < a.Hidden; j += Group.DimX) a.Normed[xo + j] = a.X[xo + j] * inv * a.Norm.Load(j);
        Group.Barrier();                                           // the logits read the whole normed row
        for (int e = Warp.WarpIdx; e < a.Experts; e += warps)
        {
            var s = MatMulKernels.RowDot(a.Classifier, 0, e, a.Normed, a.Normed4, a.Hidden, a.Vec, xo, xo, xo, xo, 1);
            if (Warp.IsFirstLane) scores[e] = s.X;
        }
        Group.Barrier();
        float m = float.NegativeInfinity;
        for (int e = tid; e < a.Experts; e += Group.DimX) m = XMath.Max(m, scores[e]);
        m = DeviceMath.GroupMax(m, scratch);
        float sum = 0;
        for (int e = tid; e < a.Experts; e += Group.DimX)
        {
            float p = XMath.Exp(scores[e] - m);
            scores[e] = p;
            sum += p;
        }
        sum = DeviceMath.GroupSum(sum, scratch);
        for (int e = tid; e < a.Experts; e += Group.DimX)
        {
            scores[e] /= sum;
            choice[e] = scores[e] + a.Bias.Load(e);
        }
        Group.Barrier();
        for (int k = 0; k < a.TopK; k++)
        {
            float bv = float.NegativeInfinity;
            int bi = int.MaxValue;
            for (int e = tid; e < a.Experts; e += Group.DimX)
                if (choice[e] > bv) { bv = choice[e]; bi = e; }      // ascending: the first index wins ties
            var best = DeviceMath.WarpArgMax(new ValueIndex(bv, bi));
            bv = best.Value;
            bi = best.Index;
            if (Warp.IsFirstLane)
            {
                bestValue[Warp.WarpIdx] = bv;
                bestIndex[Warp.WarpIdx] = bi;
            }
            Group.Barrier();
            if (tid == 0)
            {
                for (int w = 1; w < warps; w++)
                    if (bestValue[w] > bv || (bestValue[w] == bv && bestIndex[w] < bi)) { bv = bestValue[w]; bi = bestIndex[w]; }
                if (bi == int.MaxValue) bi = k;                    // every choice was NaN or −∞: fall back to a valid id
                a.Ids[t * a.TopK + k] = bi;
                a.Weights[t * a.TopK + k] = scores[bi] * a.Scaling;
                choice[bi] = float.NegativeInfinity;
            }
            Group.Barrier();
        }
    }

    internal struct RouteArgs
    {
        public ArrayView<int> Ids;
        public ArrayView<int> Perm;                                // [S]: slots ordered by expert
        public ArrayView<int> Tiles;                               // [maxTiles, 3]: expert, first perm index, slot count
        public ArrayView<int> TileCount;                           // [1]
        public int Slots, RealExperts;
    }

    /// <summary>A single group: per-expert counts (shared-memory atomics), offsets, work tiles, then the permutation.</summary>
    public static void Route(RouteArgs a)
    {
        var counts = SharedMemory.Allocate<int>(MaxExperts);
        var cursor = SharedMemory.Allocate<int>(MaxExperts);
        int tid = Group.IdxX;
        for (int e = tid; e < a.RealExperts; e += Group.DimX) counts[e] = 0;
        Group.Barrier();
        for (int i = tid; i < a.Slots; i += Group.DimX)
        {
            int e = a.Ids[i];
            if ((uint)e < (uint)a.RealExperts) Atomic.Add(ref counts[e], 1);
        }
        Group.Barrier();
        if (tid == 0)
        {
            // Serial scan over experts: a few hundred steps, once per layer.
            int offset = 0, tiles = 0;
            for (int e = 0; e < a.RealExperts; e++)
            {
                int n = counts[e];
                cursor[e] = offset;
                for (int s = 0; s < n; s += TileSlots)
                {
                    a.Tiles[3 * tiles] = e;
                    a.Tiles[3 * tiles + 1] = offset + s;
                    a.Tiles[3 * tiles + 2] = n - s < TileSlots ? n - s : TileSlots;
                    tiles++;
                }
                offset += n;
            }
            a.TileCount[0] = tiles;
        }
        Group.Barrier();
        for (int i = tid; i < a.Slots; i += Group.DimX)
        {
            int e = a.Ids[i];
            if ((uint)e < (uint)a.RealExperts) a.Perm[Atomic.Add(ref cursor[e], 1)] = i;
        }
    }

    internal struct ExpertArgs<TW> where TW : struct, IWeightView
    {
        public TW Gate, Up, Down;                                  // stacked over experts: [E, F, H], [E, F, H], [E, H, F]
        public ArrayView<float> X, Hidden, Out;                    // x [T, H]; hidden [S, F]; out [S, H]
        public ArrayView<Float4> X4, Hidden4;
        public ArrayView<int> Perm, Tiles, TileCount, Ids;
        public ArrayView<float> Weights, Output;                   // DownCombine: routing weights [K], output [H]
        public int TopK, H, F, Vec, RealExperts, SingleToken, Accumulate;
    }

    /// <summary>hidden[slot, f] = silu(G_e[f]·x[t])·(U_e[f]·x[t]) for the slots of each tile: grid (F / warps or fewer, tiles).</summary>
    public static void GateUp<TW>(ExpertArgs<TW> a) where TW : struct, IWeightView => GateUpTile(a, Grid.IdxY, Grid.IdxX, Grid.DimX);

    /// <summary><see cref="GateUp{TW}"/> for one tile as group <paramref name="group"/> of the <paramref name="groups"/> serving it.</summary>
    internal static void GateUpTile<TW>(ExpertArgs<TW> a, int tile, int group, int groups) where TW : struct, IWeightView
    {
        int e, first, n, s0, s1, s2, s3;
        if (a.SingleToken != 0)
        {
            // Decode: slot k is its own tile (one token), so no Route pass is needed.
            e = a.Ids[tile];
            if ((uint)e >= (uint)a.RealExperts) return;            // identity expert: folded in by DownCombine
            n = 1;
            s0 = s1 = s2 = s3 = tile;
        }
        else
        {
            if (tile >= a.TileCount[0]) return;                    // the grid is sized for the most tiles routing can produce
            e = a.Tiles[3 * tile]; first = a.Tiles[3 * tile + 1]; n = a.Tiles[3 * tile + 2];
            s0 = a.Perm[first]; s1 = a.Perm[first + (n > 1 ? 1 : 0)]; s2 = a.Perm[first + (n > 2 ? 2 : 0)]; s3 = a.Perm[first + (n > 3 ? 3 : 0)];
        }
        long o0 = (long)(s0 / a.TopK) * a.H, o1 = (long)(s1 / a.TopK) * a.H, o2 = (long)(s2 / a.TopK) * a.H, o3 = (long)(s3 / a.TopK) * a.H;
        int warps = Group.DimX / Warp.WarpSize;
        for (int f = group * warps + Warp.WarpIdx; f < a.F; f += groups * warps)
        {
        var g = MatMulKernels.RowDot(a.Gate, e, f, a.X, a.X4, a.H, a.Vec, o0, o1, o2, o3, n);
        var u = MatMulKernels.RowDot(a.Up, e, f, a.X, a.X4, a.H, a.Vec, o0, o1, o2, o3, n);
        if (Warp.IsFirstLane)
        {
            a.Hidden[(long)s0 * a.F + f] = DeviceMath.SiluMul(g.X, u.X);
            if (n > 1) a.Hidden[(long)s1 * a.F + f] = DeviceMath.SiluMul(g.Y, u.Y);
            if (n > 2) a.Hidden[(long)s2 * a.F + f] = DeviceMath.SiluMul(g.Z, u.Z);
            if (n > 3) a.Hidden[(long)s3 * a.F + f] = DeviceMath.SiluMul(g.W, u.W);
        }
        }
    }

    /// <summary>out[slot, i] = D_e[i]·hidden[slot] for the slots of each tile: grid (H / warps or fewer, tiles).</summary>
    public static void Down<TW>(ExpertArgs<TW> a) where TW : struct, IWeightView
    {
        int tile = Grid.IdxY;
        if (tile >= a.TileCount[0]) return;
        int e = a.Tiles[3 * tile], first = a.Tiles[3 * tile + 1], n = a.Tiles[3 * tile + 2];
        int s0 = a.Perm[first], s1 = a.Perm[first + (n > 1 ? 1 : 0)], s2 = a.Perm[first + (n > 2 ? 2 : 0)], s3 = a.Perm[first + (n > 3 ? 3 : 0)];
        int vec = (a.F & 3) == 0 ? 1 : 0;
        int warps = Group.DimX / Warp.WarpSize;
        for (int i = Grid.IdxX * warps + Warp.WarpIdx; i < a.H; i += Grid.DimX * warps)
        {
        var y = MatMulKernels.RowDot(a.Down, e, i, a.Hidden, a.Hidden4, a.F, vec, (long)s0 * a.F, (long)s1 * a.F, (long)s2 * a.F, (long)s3 * a.F, n);
        if (Warp.IsFirstLane)
        {
            a.Out[(long)s0 * a.H + i] = y.X;
            if (n > 1) a.Out[(long)s1 * a.H + i] = y.Y;
            if (n > 2) a.Out[(long)s2 * a.H + i] = y.Z;
            if (n > 3) a.Out[(long)s3 * a.H + i] = y.W;
        }
        }
    }

    /// <summary>
    /// Decode (one token): output[i] (+)= Σ_k w_k·(real ? D_{e_k}[i]·hidden[k] : x[i]) in slot order: the down projections of all active
    /// experts and the combine in one launch, a warp per output row (each expert's down matrix is still read once).
    /// </summary>
    public static void DownCombine<TW>(ExpertArgs<TW> a) where TW : struct, IWeightView
    {
        int warps = Group.DimX / Warp.WarpSize;
        for (int i = Grid.IdxX * warps + Warp.WarpIdx; i < a.H; i += Grid.DimX * warps)
        {
            float acc = DownCombineRow(a, i);
            if (Warp.IsFirstLane) a.Output[i] = a.Accumulate != 0 ? a.Output[i] + acc : acc;
        }
    }

    /// <summary>Σ_k w_k·(real ? D_{e_k}[i]·hidden[k] : x[i]) in slot order (the whole warp; every lane gets the sum).</summary>
    internal static float DownCombineRow<TW>(ExpertArgs<TW> a, int i) where TW : struct, IWeightView
    {
        int vec = (a.F & 3) == 0 ? 1 : 0;
        float acc = 0;
        for (int k = 0; k < a.TopK; k++)
        {
            int e = a.Ids[k];
            float v = (uint)e < (uint)a.RealExperts
                ? MatMulKernels.RowDot(a.Down, e, i, a.Hidden, a.Hidden4, a.F, vec, (long)k * a.F, 0, 0, 0, 1).X
                : a.X[i];
            acc += v * a.Weights[k];
        }
        return acc;
    }

    internal struct CombineArgs
    {
        public ArrayView<float> X, SlotOut, Weights, Output;
        public ArrayView<int> Ids;
        public int Tokens, TopK, H, RealExperts, Accumulate;
    }

    /// <summary>output[t, i] (+)= Σ_k w[t, k]·(real ? slot output : x[t, i]), in slot order (deterministic, as on the CPU).</summary>
    public static void Combine(CombineArgs a)
    {
        int n = a.Tokens * a.H;
        for (int idx = Grid.GlobalIndex.X; idx < n; idx += Grid.DimX * Group.DimX)
        {
            int t = idx / a.H, i = idx - t * a.H;
            float acc = 0;
            for (int k = 0; k < a.TopK; k++)
            {
                int slot = t * a.TopK + k;
                float v = a.Ids[slot] < a.RealExperts ? a.SlotOut[(long)slot * a.H + i] : a.X[idx];
                acc += v * a.Weights[slot];
            }
            a.Output[idx] = a.Accumulate != 0 ? a.Output[idx] + acc : acc;
        }
    }
}
