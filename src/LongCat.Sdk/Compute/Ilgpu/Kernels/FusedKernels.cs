using ILGPU;

namespace LongCat.Sdk.Compute.Ilgpu.Kernels;

/// <summary>
/// Horizontal fusion in ScMoE's overlap window (LONGCAT.md §2, docs/GPU.md "Launch budget"): two independent computations of a decode
/// step in one grid, whose groups branch on their index into one or the other. The two halves write disjoint outputs, except
/// <see cref="DownAndDownCombine{TW, TE}"/>, where one warp computes both sums of an output element and stores it once.
/// Legend: T tokens (≤ 4; 1 for the experts), H hidden, F dense width, K top-k.
/// </summary>
/// <remarks>
/// ILGPU's CPU accelerator (the tests' emulator) runs the groups of a launch that fall on one emulated multiprocessor on the same
/// threads, one after another; a thread that leaves a group early can start the next group while others still run the previous
/// one, which the same-kernel grids tolerate (every group passes the same barriers) but a fused grid, whose halves pass different
/// barriers, did not: a SwiGLU group followed by GateUp groups corrupted native memory. On the emulator only
/// (<see cref="DeviceMath.Emulated"/> is a compile-time constant, so the PTX has none of it) every group whose half uses group
/// barriers ends at one. <see cref="DownAndDownCombine{TW, TE}"/> uses none.
/// </remarks>
internal static class FusedKernels
{
    /// <summary>The router's and the MLP's arguments; the classifier's format <typeparamref name="TC"/> is the MLP's or F32 (router_dtype).</summary>
    internal struct RouterSwiGluArgs<TW, TC> where TW : struct, IWeightView where TC : struct, IWeightView
    {
        public MoeKernels.RouterArgs<TC> Router;
        public MatMulKernels.MatMulArgs<TW> Mlp;
    }

    /// <summary>
    /// Group 0: <see cref="MoeKernels.Router{TW}"/> over every token; groups 1..: <see cref="MatMulKernels.MatVecSwiGlu{TW}"/> (both read
    /// RmsNorm(x), each reducing the norm factors itself).
    /// </summary>
    public static void RouterAndSwiGlu<TW, TC>(RouterSwiGluArgs<TW, TC> a) where TW : struct, IWeightView where TC : struct, IWeightView
    {
        var scores = SharedMemory.Allocate<float>(MoeKernels.MaxExperts);
        var choice = SharedMemory.Allocate<float>(MoeKernels.MaxExperts);
        var scratch = SharedMemory.Allocate<float>(DeviceMath.MaxWarps);
        var bestValue = SharedMemory.Allocate<float>(DeviceMath.MaxWarps);
        var bestIndex = SharedMemory.Allocate<int>(DeviceMath.MaxWarps);
        var scratch4 = SharedMemory.Allocate<Float4>(DeviceMath.MaxWarps);
        if (Grid.IdxX == 0)
        {
            for (int t = 0; t < a.Router.Tokens; t++) MoeKernels.RouteToken(a.Router, t, scores, choice, scratch, bestValue, bestIndex);
        }
        else MatMulKernels.SwiGluRows(a.Mlp, Grid.IdxX - 1, Grid.DimX - 1, scratch4);
        if (DeviceMath.Emulated) Group.Barrier();                 // see the class remarks
    }

    /// <summary>The dense MLP's weights in format <typeparamref name="TW"/>, the experts' in <typeparamref name="TE"/> (Q8 beside Q4
    /// under the Q4Experts preset).</summary>
    internal struct MlpExpertArgs<TW, TE> where TW : struct, IWeightView where TE : struct, IWeightView
    {
        public MatMulKernels.MatMulArgs<TW> Mlp;                   // SwiGLU: W gate, W2 up, X x, Y hidden; down: W down, X hidden, Y h
        public MoeKernels.ExpertArgs<TE> Experts;                  // one token: GateUp over the K slots, DownCombine into h
        public int MlpGroups, ExpertGroups;                        // groups of the first half; groups per slot of the experts' half
    }

    /// <summary>
    /// Groups [0, MlpGroups): <see cref="MatMulKernels.MatVecSwiGlu{TW}"/>; the next K·ExpertGroups: <see cref="MoeKernels.GateUp{TW}"/>
    /// of one token, slot (g − MlpGroups) / ExpertGroups.
    /// </summary>
    public static void SwiGluAndGateUp<TW, TE>(MlpExpertArgs<TW, TE> a) where TW : struct, IWeightView where TE : struct, IWeightView
    {
        var scratch = SharedMemory.Allocate<Float4>(DeviceMath.MaxWarps);
        int g = Grid.IdxX;
        if (g < a.MlpGroups) MatMulKernels.SwiGluRows(a.Mlp, g, a.MlpGroups, scratch);
        else
        {
            int i = g - a.MlpGroups, slot = i / a.ExpertGroups;
            MoeKernels.GateUpTile(a.Experts, slot, i - slot * a.ExpertGroups, a.ExpertGroups);
        }
        if (DeviceMath.Emulated) Group.Barrier();                 // see the class remarks
    }

    /// <summary>
    /// A warp per output row i of H: h[i] = (h[i] + down[i]·hidden) + Σ_k w_k·(expert k's down row · its hidden, or x[i]) in slot
    /// order, the dense MLP's down projection and the experts' down projections and combine in one store (one token).
    /// </summary>
    public static void DownAndDownCombine<TW, TE>(MlpExpertArgs<TW, TE> a) where TW : struct, IWeightView where TE : struct, IWeightView
    {
        var m = a.Mlp;
        int warps = Group.DimX / Warp.WarpSize;
        for (int i = Grid.IdxX * warps + Warp.WarpIdx; i < m.Out; i += Grid.DimX * warps)
        {
            float mlp = MatMulKernels.RowDot(m.W, 0, i, m.X, m.X4, m.In, m.Vec, 0, 0, 0, 0, 1).X;
            float moe = MoeKernels.DownCombineRow(a.Experts, i);
            if (Warp.IsFirstLane) m.Y[i] = m.Y[i] + mlp + moe;
        }
    }
}
