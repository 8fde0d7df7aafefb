using ILGPU;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// y = x·Wᵀ for every weight format. Decode (few tokens): one warp per output row streams the row once with coalesced vector loads
/// and serves up to four tokens from it, then reduces by warp shuffles. Prefill: 64×64 output tiles per 256-thread group with
/// x and dequantized W staged through shared memory 32 columns at a time, each thread accumulating a 4×4 block in F32.
/// Every kernel can read x through RMSNorm (a prologue reduces the rows' factors; the norm weight scales the weight row or the
/// staged x), and MatVec/MatMulTiled can serve two weights of one x in one launch (MLA's q_a and kv_a).
/// Legend: T tokens, N output rows, K input width.
/// </summary>
internal static class MatMulKernels
{
    /// <summary>Tokens one pass of the row kernels serves; more tokens take more passes (or the tiled kernel).</summary>
    public const int RowTokens = 4;
    public const int TileT = 64, TileN = 64, TileK = 32, TileThreads = 256;
    private const int Pad = TileN + 1;           // odd row stride: the transposed shared-memory stores hit 32 banks

    internal struct MatMulArgs<TW> where TW : struct, IWeightView
    {
        public TW W, W2;                          // W2: SwiGLU's up projection, or a pair's second weight (Out2 rows into Y2)
        public ArrayView<float> X, Y, Y2;
        public ArrayView<Float4> X4;
        public FloatVector Norm;                  // HasNorm: x is read as RmsNorm(x; Norm, Eps)
        public int Tokens, In, Out, Out2, Accumulate, Vec, HasNorm;
        public float Eps;
    }

    /// <summary>
    /// One lane's share of Σ_k W[m, r, k]·x[row_i, k] for up to four x rows starting at element offsets o0..o3 (lane i of the result
    /// is row i). Lanes stride the row in 4-element vectors (Vec: K and the offsets are multiples of 4) or single elements.
    /// </summary>
    public static Float4 RowDot<TW>(TW w, int m, int r, ArrayView<float> x, ArrayView<Float4> x4, int k, int vec,
        long o0, long o1, long o2, long o3, int count) where TW : struct, IWeightView =>
        RowDot(w, m, r, x, x4, k, vec, o0, o1, o2, o3, count, default, 0);

    /// <summary>
    /// <see cref="RowDot{TW}(TW, int, int, ArrayView{float}, ArrayView{Float4}, int, int, long, long, long, long, int)"/> of normed rows
    /// when <paramref name="hasNorm"/>: the norm weight g is folded into the weight row (Σ_k W[r, k]·g[k]·x[k]); the caller scales
    /// each lane by its row's <see cref="NormKernels.RowFactors"/> factor.
    /// </summary>
    public static Float4 RowDot<TW>(TW w, int m, int r, ArrayView<float> x, ArrayView<Float4> x4, int k, int vec,
        long o0, long o1, long o2, long o3, int count, FloatVector g, int hasNorm) where TW : struct, IWeightView
    {
        var acc = default(Float4);
        int lane = Warp.LaneIdx, ws = Warp.WarpSize;
        if (vec != 0)
        {
            long b0 = o0 >> 2, b1 = o1 >> 2, b2 = o2 >> 2, b3 = o3 >> 2;
            for (int j = lane; j < k >> 2; j += ws)
            {
                var wv = w.Load4(m, r, j << 2);
                if (hasNorm != 0) wv *= g.Load4(j << 2);
                acc.X += Float4.Dot(wv, x4[b0 + j]);
                if (count > 1) acc.Y += Float4.Dot(wv, x4[b1 + j]);
                if (count > 2) acc.Z += Float4.Dot(wv, x4[b2 + j]);
                if (count > 3) acc.W += Float4.Dot(wv, x4[b3 + j]);
            }
        }
        else
        {
            for (int j = lane; j < k; j += ws)
            {
                float wv = w.Load(m, r, j);
                if (hasNorm != 0) wv *= g.Load(j);
                acc.X += wv * x[o0 + j];
                if (count > 1) acc.Y += wv * x[o1 + j];
                if (count > 2) acc.Z += wv * x[o2 + j];
                if (count > 3) acc.W += wv * x[o3 + j];
            }
        }
        return DeviceMath.WarpSum(acc);
    }

    /// <summary>Offset of x row t0+i, or of row t0 when i is past the tokens (a valid address whose result is discarded).</summary>
    private static long RowOffset(int t0, int i, int tokens, int width) => (long)(t0 + i < tokens ? t0 + i : t0) * width;

    private static void Store(ArrayView<float> y, long index, float v, int accumulate)
    {
        y[index] = accumulate != 0 ? y[index] + v : v;
    }

    /// <summary>The norm prologue of the row kernels: the factors of the (at most four) token rows, or 1 without a norm.</summary>
    private static Float4 RowNormFactors<TW>(MatMulArgs<TW> a, ArrayView<Float4> scratch) where TW : struct, IWeightView =>
        a.HasNorm == 0 ? Float4.Splat(1f) : NormKernels.RowFactors(a.X, a.X4, a.Vec, a.In, RowOffset(0, 0, a.Tokens, a.In),
            RowOffset(0, 1, a.Tokens, a.In), RowOffset(0, 2, a.Tokens, a.In), RowOffset(0, 3, a.Tokens, a.In), a.Tokens, a.Eps, scratch);

    /// <summary>
    /// Decode matmul (T ≤ 4): a warp per output row over the Out rows of W, then the Out2 rows of W2 (a pair: one launch for two
    /// projections of the same x), each row streamed once for all tokens. With a norm, the group first reduces the rows' factors.
    /// </summary>
    public static void MatVec<TW>(MatMulArgs<TW> a) where TW : struct, IWeightView
    {
        var scratch = SharedMemory.Allocate<Float4>(DeviceMath.MaxWarps);
        var inv = RowNormFactors(a, scratch);
        int warps = Group.DimX / Warp.WarpSize, count = a.Tokens;
        long o0 = RowOffset(0, 0, count, a.In), o1 = RowOffset(0, 1, count, a.In), o2 = RowOffset(0, 2, count, a.In), o3 = RowOffset(0, 3, count, a.In);
        // Grid-stride over rows (uniform per warp; no group barrier inside): CUDA launches a group per 8 rows, the emulator a few.
        for (int r = Grid.IdxX * warps + Warp.WarpIdx; r < a.Out + a.Out2; r += Grid.DimX * warps)
        {
            bool first = r < a.Out;
            var s = first
                ? RowDot(a.W, 0, r, a.X, a.X4, a.In, a.Vec, o0, o1, o2, o3, count, a.Norm, a.HasNorm)
                : RowDot(a.W2, 0, r - a.Out, a.X, a.X4, a.In, a.Vec, o0, o1, o2, o3, count, a.Norm, a.HasNorm);
            s *= inv;
            if (Warp.IsFirstLane)
                for (int i = 0; i < count; i++)
                {
                    if (first) Store(a.Y, (long)i * a.Out + r, s.Get(i), a.Accumulate);
                    else Store(a.Y2, (long)i * a.Out2 + r - a.Out, s.Get(i), a.Accumulate);
                }
        }
    }

    /// <summary>Decode SwiGLU (T ≤ 4): warp per hidden row f, h[t, f] = silu(x·G[f])·(x·U[f]), x normed when HasNorm.</summary>
    public static void MatVecSwiGlu<TW>(MatMulArgs<TW> a) where TW : struct, IWeightView
    {
        var scratch = SharedMemory.Allocate<Float4>(DeviceMath.MaxWarps);
        SwiGluRows(a, Grid.IdxX, Grid.DimX, scratch);
    }

    /// <summary><see cref="MatVecSwiGlu{TW}"/> as group <paramref name="group"/> of <paramref name="groups"/> (a fused grid's share).</summary>
    internal static void SwiGluRows<TW>(MatMulArgs<TW> a, int group, int groups, ArrayView<Float4> scratch) where TW : struct, IWeightView
    {
        var inv = RowNormFactors(a, scratch);
        int warps = Group.DimX / Warp.WarpSize, count = a.Tokens;
        long o0 = RowOffset(0, 0, count, a.In), o1 = RowOffset(0, 1, count, a.In), o2 = RowOffset(0, 2, count, a.In), o3 = RowOffset(0, 3, count, a.In);
        for (int r = group * warps + Warp.WarpIdx; r < a.Out; r += groups * warps)
        {
            var g = RowDot(a.W, 0, r, a.X, a.X4, a.In, a.Vec, o0, o1, o2, o3, count, a.Norm, a.HasNorm) * inv;
            var u = RowDot(a.W2, 0, r, a.X, a.X4, a.In, a.Vec, o0, o1, o2, o3, count, a.Norm, a.HasNorm) * inv;
            if (Warp.IsFirstLane)
                for (int i = 0; i < count; i++) a.Y[(long)i * a.Out + r] = DeviceMath.SiluMul(g.Get(i), u.Get(i));
        }
    }

    /// <summary>
    /// The norm prologue of the tiled kernels: factors of the tile's 64 token rows into <paramref name="factors"/> (a warp per row,
    /// 1 past the tokens or without a norm), then a group barrier.
    /// </summary>
    private static void TileNormFactors<TW>(MatMulArgs<TW> a, int t0, ArrayView<float> factors) where TW : struct, IWeightView
    {
        int warps = Group.DimX / Warp.WarpSize;
        for (int i = Warp.WarpIdx; i < TileT; i += warps)
        {
            int t = t0 + i;
            float ss = 0;
            if (a.HasNorm != 0 && t < a.Tokens)
                for (int j = Warp.LaneIdx; j < a.In; j += Warp.WarpSize)
                {
                    float v = a.X[(long)t * a.In + j];
                    ss += v * v;
                }
            ss = DeviceMath.WarpSum(ss);
            if (Warp.IsFirstLane) factors[i] = a.HasNorm != 0 && t < a.Tokens ? NormKernels.Factor(ss, a.In, a.Eps) : 1f;
        }
        Group.Barrier();
    }

    /// <summary>
    /// Stages x[t0.., k0..] (normed: times g[k] and the row's factor, when HasNorm) and W[n0.., k0..] (dequantized) into shared
    /// tiles stored k-major.
    /// </summary>
    private static void LoadTiles<TW>(MatMulArgs<TW> a, TW w, int outRows, ArrayView<float> xs, ArrayView<float> wt, ArrayView<float> factors,
        int t0, int n0, int k0) where TW : struct, IWeightView
    {
        // 64 rows × 32 columns = 2048 values per tile, 8 per thread; consecutive threads read consecutive columns (coalesced).
        for (int e = Group.IdxX; e < TileT * TileK; e += Group.DimX)
        {
            int row = e / TileK, kk = e - row * TileK;
            int t = t0 + row, kc = k0 + kk, n = n0 + row;
            float xv = t < a.Tokens && kc < a.In ? a.X[(long)t * a.In + kc] : 0f;
            if (a.HasNorm != 0 && kc < a.In) xv = xv * factors[row] * a.Norm.Load(kc);
            xs[kk * Pad + row] = xv;
            wt[kk * Pad + row] = n < outRows && kc < a.In ? w.Load(0, n, kc) : 0f;
        }
    }

    /// <summary>Prefill matmul: a 64×64 tile of y per group (blocks: (⌈Out/64⌉ + ⌈Out2/64⌉) × T/64, the pair's W2 tiles after W's).</summary>
    public static void MatMulTiled<TW>(MatMulArgs<TW> a) where TW : struct, IWeightView
    {
        var xs = SharedMemory.Allocate<float>(TileK * Pad);
        var wt = SharedMemory.Allocate<float>(TileK * Pad);
        var factors = SharedMemory.Allocate<float>(TileT);
        int t0 = Grid.IdxY * TileT, tiles = (a.Out + TileN - 1) / TileN;
        TileNormFactors(a, t0, factors);
        if (Grid.IdxX < tiles) Tile(a, a.W, a.Y, a.Out, Grid.IdxX * TileN, t0, xs, wt, factors);
        else Tile(a, a.W2, a.Y2, a.Out2, (Grid.IdxX - tiles) * TileN, t0, xs, wt, factors);
    }

    private static void Tile<TW>(MatMulArgs<TW> a, TW w, ArrayView<float> y, int outRows, int n0, int t0, ArrayView<float> xs, ArrayView<float> wt,
        ArrayView<float> factors) where TW : struct, IWeightView
    {
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        Float4 c0 = default, c1 = default, c2 = default, c3 = default;   // tokens ty·4+i, outputs tx·4..+3
        for (int k0 = 0; k0 < a.In; k0 += TileK)
        {
            LoadTiles(a, w, outRows, xs, wt, factors, t0, n0, k0);
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int xb = kk * Pad + ty * 4, wb = kk * Pad + tx * 4;
                var wv = new Float4(wt[wb], wt[wb + 1], wt[wb + 2], wt[wb + 3]);
                c0 = Float4.Fma(xs[xb], wv, c0);
                c1 = Float4.Fma(xs[xb + 1], wv, c1);
                c2 = Float4.Fma(xs[xb + 2], wv, c2);
                c3 = Float4.Fma(xs[xb + 3], wv, c3);
            }
            Group.Barrier();
        }
        StoreTile(y, c0, t0 + ty * 4, n0 + tx * 4, a.Tokens, outRows, a.Accumulate);
        StoreTile(y, c1, t0 + ty * 4 + 1, n0 + tx * 4, a.Tokens, outRows, a.Accumulate);
        StoreTile(y, c2, t0 + ty * 4 + 2, n0 + tx * 4, a.Tokens, outRows, a.Accumulate);
        StoreTile(y, c3, t0 + ty * 4 + 3, n0 + tx * 4, a.Tokens, outRows, a.Accumulate);
    }

    private static void StoreTile(ArrayView<float> y, Float4 v, int t, int n, int tokens, int outRows, int accumulate)
    {
        if (t >= tokens) return;
        long row = (long)t * outRows;
        for (int j = 0; j < 4; j++)
            if (n + j < outRows) Store(y, row + n + j, v.Get(j), accumulate);
    }

    /// <summary>Prefill SwiGLU: gate and up tiles share the staged (normed) x tile; h = silu(g)·u written once.</summary>
    public static void MatMulTiledSwiGlu<TW>(MatMulArgs<TW> a) where TW : struct, IWeightView
    {
        var xs = SharedMemory.Allocate<float>(TileK * Pad);
        var gt = SharedMemory.Allocate<float>(TileK * Pad);
        var ut = SharedMemory.Allocate<float>(TileK * Pad);
        var factors = SharedMemory.Allocate<float>(TileT);
        int tid = Group.IdxX, tx = tid % 16, ty = tid / 16;
        int n0 = Grid.IdxX * TileN, t0 = Grid.IdxY * TileT;
        TileNormFactors(a, t0, factors);
        Float4 g0 = default, g1 = default, g2 = default, g3 = default, u0 = default, u1 = default, u2 = default, u3 = default;
        for (int k0 = 0; k0 < a.In; k0 += TileK)
        {
            LoadTiles(a, a.W, a.Out, xs, gt, factors, t0, n0, k0);
            for (int e = tid; e < TileN * TileK; e += Group.DimX)
            {
                int row = e / TileK, kk = e - row * TileK, n = n0 + row, kc = k0 + kk;
                ut[kk * Pad + row] = n < a.Out && kc < a.In ? a.W2.Load(0, n, kc) : 0f;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int xb = kk * Pad + ty * 4, wb = kk * Pad + tx * 4;
                var gv = new Float4(gt[wb], gt[wb + 1], gt[wb + 2], gt[wb + 3]);
                var uv = new Float4(ut[wb], ut[wb + 1], ut[wb + 2], ut[wb + 3]);
                float x0 = xs[xb], x1 = xs[xb + 1], x2 = xs[xb + 2], x3 = xs[xb + 3];
                g0 = Float4.Fma(x0, gv, g0); u0 = Float4.Fma(x0, uv, u0);
                g1 = Float4.Fma(x1, gv, g1); u1 = Float4.Fma(x1, uv, u1);
                g2 = Float4.Fma(x2, gv, g2); u2 = Float4.Fma(x2, uv, u2);
                g3 = Float4.Fma(x3, gv, g3); u3 = Float4.Fma(x3, uv, u3);
            }
            Group.Barrier();
        }
        StoreSwiGlu(a.Y, g0, u0, t0 + ty * 4, n0 + tx * 4, a.Tokens, a.Out);
        StoreSwiGlu(a.Y, g1, u1, t0 + ty * 4 + 1, n0 + tx * 4, a.Tokens, a.Out);
        StoreSwiGlu(a.Y, g2, u2, t0 + ty * 4 + 2, n0 + tx * 4, a.Tokens, a.Out);
        StoreSwiGlu(a.Y, g3, u3, t0 + ty * 4 + 3, n0 + tx * 4, a.Tokens, a.Out);
    }

    private static void StoreSwiGlu(ArrayView<float> y, Float4 g, Float4 u, int t, int n, int tokens, int outRows)
    {
        if (t >= tokens) return;
        long row = (long)t * outRows;
        for (int j = 0; j < 4; j++)
            if (n + j < outRows) y[row + n + j] = DeviceMath.SiluMul(g.Get(j), u.Get(j));
    }
}
