using System.Reflection;
using LongCat.Sdk.Compute.Ilgpu.Kernels;

namespace LongCat.Sdk.Compute.Ilgpu;

/// <summary>One compiled kernel: a kernel method, instantiated for a weight format when it is generic.</summary>
/// <param name="Name">File-safe name, e.g. "MatMul.MatVec.Bf16".</param>
/// <param name="Family">Op family (the static class in Kernels/): Elementwise, Norm, MatMul, Mla, Moe, Fused.</param>
/// <param name="Method">The entry point (a closed generic method for per-format kernels).</param>
internal sealed record KernelEntry(string Name, string Family, MethodInfo Method)
{
    /// <summary>Matrix, attention, MoE and fused kernels: the hot loops that must not spill registers.</summary>
    public bool IsHot => Family is "MatMul" or "Mla" or "Moe" or "Fused";
}

/// <summary>
/// Every kernel the backend can launch, with one entry per weight format for the generic ones: what the PTX tool compiles and CI
/// assembles with ptxas. Listed as delegates (no reflection); a test checks that every public kernel method appears.
/// </summary>
internal static class KernelCatalog
{
    public static IReadOnlyList<KernelEntry> All { get; } =
    [
        Entry("Elementwise", "Scale", (Action<ElementwiseKernels.ScaleArgs>)ElementwiseKernels.Scale),
        Entry("Elementwise", "ConcatColumns", (Action<ElementwiseKernels.ConcatArgs>)ElementwiseKernels.ConcatColumns),
        Entry("Elementwise", "GatherRows", (Action<ElementwiseKernels.GatherArgs>)ElementwiseKernels.GatherRows),
        Entry("Elementwise", "Embedding", (Action<ElementwiseKernels.EmbeddingArgs>)ElementwiseKernels.Embedding),
        Entry("Norm", "RmsNorm", (Action<NormKernels.RmsNormArgs>)NormKernels.RmsNorm),
        Entry("Mla", "Attention", (Action<MlaKernels.AttentionArgs>)MlaKernels.Attention),
        Entry("Moe", "Route", (Action<MoeKernels.RouteArgs>)MoeKernels.Route),
        Entry("Moe", "Combine", (Action<MoeKernels.CombineArgs>)MoeKernels.Combine),
        .. PerFormat<F32Weights>("F32"),
        .. PerFormat<Bf16Weights>("Bf16"),
        .. PerFormat<F16Weights>("F16"),
        .. PerFormat<Fp8Weights>("Fp8"),
        .. PerFormat<Q8Weights>("Q8"),
        .. PerFormat<Q4Weights>("Q4"),
        .. F32Router<Bf16Weights>("Bf16"),
        .. F32Router<F16Weights>("F16"),
        .. F32Router<Fp8Weights>("Fp8"),
        .. F32Router<Q8Weights>("Q8"),
        .. F32Router<Q4Weights>("Q4"),
        // Mixed formats the quantization presets produce: q_b quantized beside kv_b as stored; Q8 dense MLPs beside Q4 experts.
        .. QueryAndCache<Q8Weights, F32Weights>("Q8", "F32"),
        .. QueryAndCache<Q8Weights, Bf16Weights>("Q8", "Bf16"),
        .. QueryAndCache<Q8Weights, F16Weights>("Q8", "F16"),
        .. QueryAndCache<Q8Weights, Fp8Weights>("Q8", "Fp8"),
        .. QueryAndCache<Q4Weights, F32Weights>("Q4", "F32"),
        .. QueryAndCache<Q4Weights, Bf16Weights>("Q4", "Bf16"),
        .. QueryAndCache<Q4Weights, F16Weights>("Q4", "F16"),
        .. QueryAndCache<Q4Weights, Fp8Weights>("Q4", "Fp8"),
        .. MlpAndExperts<Q8Weights, Q4Weights>("Q8", "Q4"),
        // And GPTQ/AutoRound int4 checkpoints (the fixtures): q_b as stored beside a packed kv_b; experts' down kept as stored.
        .. QueryAndCache<Bf16Weights, Q4Weights>("Bf16", "Q4"),
        .. QueryAndCache<F16Weights, Q4Weights>("F16", "Q4"),
        Entry("Fused", "DownAndDownCombine.Q4.Bf16Experts",
            (Action<FusedKernels.MlpExpertArgs<Q4Weights, Bf16Weights>>)FusedKernels.DownAndDownCombine<Q4Weights, Bf16Weights>),
    ];

    /// <summary>MLA's latent projections with q_b in format <typeparamref name="TQ"/> beside kv_b in <typeparamref name="TK"/>.</summary>
    private static IEnumerable<KernelEntry> QueryAndCache<TQ, TK>(string q, string k) where TQ : struct, IWeightView where TK : struct, IWeightView =>
    [
        Entry("Mla", $"QueryAndCache.{q}.{k}KvB", (Action<MlaKernels.QueryCacheArgs<TQ, TK>>)MlaKernels.QueryAndCache<TQ, TK>),
    ];

    /// <summary>The fused dense MLP ∥ experts kernels with the dense weights in <typeparamref name="TW"/>, the experts' in <typeparamref name="TE"/>.</summary>
    private static IEnumerable<KernelEntry> MlpAndExperts<TW, TE>(string w, string e) where TW : struct, IWeightView where TE : struct, IWeightView =>
    [
        Entry("Fused", $"SwiGluAndGateUp.{w}.{e}Experts", (Action<FusedKernels.MlpExpertArgs<TW, TE>>)FusedKernels.SwiGluAndGateUp<TW, TE>),
        Entry("Fused", $"DownAndDownCombine.{w}.{e}Experts", (Action<FusedKernels.MlpExpertArgs<TW, TE>>)FusedKernels.DownAndDownCombine<TW, TE>),
    ];

    /// <summary>The fused router ∥ SwiGLU with an F32 classifier (LongCat's router_dtype) beside <typeparamref name="TW"/> MLP weights.</summary>
    private static IEnumerable<KernelEntry> F32Router<TW>(string format) where TW : struct, IWeightView =>
    [
        Entry("Fused", $"RouterAndSwiGlu.{format}.F32Router",
            (Action<FusedKernels.RouterSwiGluArgs<TW, F32Weights>>)FusedKernels.RouterAndSwiGlu<TW, F32Weights>),
    ];

    private static KernelEntry Entry(string family, string name, Delegate kernel) => new($"{family}.{name}", family, kernel.Method);

    /// <summary>The kernels generic over the weight format, closed over <typeparamref name="TW"/>.</summary>
    private static IEnumerable<KernelEntry> PerFormat<TW>(string format) where TW : struct, IWeightView =>
    [
        Entry("MatMul", $"MatVec.{format}", (Action<MatMulKernels.MatMulArgs<TW>>)MatMulKernels.MatVec<TW>),
        Entry("MatMul", $"MatVecSwiGlu.{format}", (Action<MatMulKernels.MatMulArgs<TW>>)MatMulKernels.MatVecSwiGlu<TW>),
        Entry("MatMul", $"MatMulTiled.{format}", (Action<MatMulKernels.MatMulArgs<TW>>)MatMulKernels.MatMulTiled<TW>),
        Entry("MatMul", $"MatMulTiledSwiGlu.{format}", (Action<MatMulKernels.MatMulArgs<TW>>)MatMulKernels.MatMulTiledSwiGlu<TW>),
        Entry("Mla", $"QueryAndCache.{format}", (Action<MlaKernels.QueryCacheArgs<TW, TW>>)MlaKernels.QueryAndCache<TW, TW>),
        Entry("Mla", $"Value.{format}", (Action<MlaKernels.ValueArgs<TW>>)MlaKernels.Value<TW>),
        Entry("Mla", $"AttentionValue.{format}", (Action<MlaKernels.AttentionValueArgs<TW>>)MlaKernels.AttentionValue<TW>),
        Entry("Moe", $"Router.{format}", (Action<MoeKernels.RouterArgs<TW>>)MoeKernels.Router<TW>),
        Entry("Moe", $"GateUp.{format}", (Action<MoeKernels.ExpertArgs<TW>>)MoeKernels.GateUp<TW>),
        Entry("Moe", $"Down.{format}", (Action<MoeKernels.ExpertArgs<TW>>)MoeKernels.Down<TW>),
        Entry("Moe", $"DownCombine.{format}", (Action<MoeKernels.ExpertArgs<TW>>)MoeKernels.DownCombine<TW>),
        Entry("Fused", $"RouterAndSwiGlu.{format}", (Action<FusedKernels.RouterSwiGluArgs<TW, TW>>)FusedKernels.RouterAndSwiGlu<TW, TW>),
        Entry("Fused", $"SwiGluAndGateUp.{format}", (Action<FusedKernels.MlpExpertArgs<TW, TW>>)FusedKernels.SwiGluAndGateUp<TW, TW>),
        Entry("Fused", $"DownAndDownCombine.{format}", (Action<FusedKernels.MlpExpertArgs<TW, TW>>)FusedKernels.DownAndDownCombine<TW, TW>),
    ];
}
