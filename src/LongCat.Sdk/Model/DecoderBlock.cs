using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;
using LongCat.Sdk.KvCache;

namespace LongCat.Sdk.Model;

/// <summary>
/// The shortcut-connected MoE block (LONGCAT.md §2): two MLA sublayers, two dense MLPs, and one MoE branch that reads the
/// first post-attention norm and is added at the very end.
/// </summary>
internal sealed class DecoderBlock
{
    private readonly int _layer;
    private readonly float _eps;
    private readonly DeviceTensor[] _inputNorm = new DeviceTensor[2], _postNorm = new DeviceTensor[2];
    private readonly MlaAttention[] _attention = new MlaAttention[2];
    private readonly DenseMlp[] _mlp = new DenseMlp[2];
    private readonly MoeBlock _moe;

    public DecoderBlock(WeightLoader w, int layer, LongCatConfig c, RopeParams rope, float softmaxMultiplier)
    {
        _layer = layer;
        _eps = c.RmsNormEps;
        for (int i = 0; i < 2; i++)
        {
            _inputNorm[i] = w.Vector(WeightNames.InputNorm(layer, i), c.HiddenSize);
            _postNorm[i] = w.Vector(WeightNames.PostAttentionNorm(layer, i), c.HiddenSize);
            _attention[i] = new MlaAttention(w, WeightNames.Attention(layer, i), c, rope, softmaxMultiplier);
            _mlp[i] = new DenseMlp(w, WeightNames.DenseMlp(layer, i), c.HiddenSize, c.FfnHiddenSize);
        }
        _moe = new MoeBlock(w, layer, c);
    }

    public MoeBlock Moe => _moe;

    /// <summary>Bytes of the weights every token reads: norms, both attention sublayers, both dense MLPs, the router (not the experts).</summary>
    public long DenseWeightBytes =>
        Enumerable.Range(0, 2).Sum(i => _inputNorm[i].WeightBytes + _postNorm[i].WeightBytes + _attention[i].WeightBytes + _mlp[i].WeightBytes)
        + _moe.RouterBytes;

    /// <summary>
    /// h [T, H] is updated in place. Each sublayer reads its norm of h and adds its output back: the norms run in the prologue of
    /// the sublayer's first projection and the residual adds in the epilogue of its last (docs/GPU.md, launch budget).
    /// </summary>
    public void Forward(IComputeBackend b, PagedKvCache cache, AttentionMetadata meta, in StepBuffers s)
    {
        var h = s.Hidden; var x = s.Normed;
        // ---- sublayer 0 ----
        _attention[0].Forward(b, Norm(h, _inputNorm[0]), h, cache.Layer(2 * _layer), meta, s);      // h += attn0(input_layernorm[0](h)); cache layer 2L
        // x = post_attention_layernorm[0](h), the MoE branch's input, is routed beside mlp0's SwiGLU of the same x (one op: ScMoE's
        // branch does not depend on mlp0, so the two share a launch on the GPU)
        _moe.RouteWithSwiGlu(b, Norm(h, _postNorm[0]), x, _mlp[0], s.MlpHidden, s);                 // router(x) ∥ silu(gate0·x) ⊙ up0·x
        _mlp[0].Down(b, s.MlpHidden, h);                                                            // h += mlp0(x)
        // ---- sublayer 1 ----
        _attention[1].Forward(b, Norm(h, _inputNorm[1]), h, cache.Layer(2 * _layer + 1), meta, s);  // h += attn1(input_layernorm[1](h))
        // h = residual + mlp1(post_attention_layernorm[1](h)) + moe_out(x): the experts (ScMoE: from sublayer 0's x) run beside mlp1,
        // SwiGLU ∥ experts' gate/up, then down ⊕ experts' down and combine, both added to h in one store per element on the GPU
        _mlp[1].ForwardWithExperts(b, Norm(h, _postNorm[1]), h, s.MlpHidden, _moe, x, s);
    }

    private RmsNormed Norm(DeviceTensor h, DeviceTensor weight) => new(h, weight, _eps);
}
