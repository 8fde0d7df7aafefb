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

    /// <summary>h [T, H] is updated in place.</summary>
    public void Forward(IComputeBackend b, PagedKvCache cache, AttentionMetadata meta, in StepBuffers s)
    {
        var h = s.Hidden; var x = s.Normed; var delta = s.Delta;
        // ---- sublayer 0 ----
        b.RmsNorm(h, _inputNorm[0], _eps, x);                                  // x = input_layernorm[0](h)
        _attention[0].Forward(b, x, delta, cache.Layer(2 * _layer), meta, s);  // cache layer 2L
        b.AddRmsNorm(h, delta, _postNorm[0], _eps, x);                         // h += attn0; x = post_attention_layernorm[0](h)
        _moe.Forward(b, x, s.MoeOut, s);                                       // shortcut MoE branch from the same x, used at the end
        _mlp[0].Forward(b, x, delta, s.MlpHidden);
        // ---- sublayer 1 ----
        b.AddRmsNorm(h, delta, _inputNorm[1], _eps, x);                        // h += mlp0; x = input_layernorm[1](h)
        _attention[1].Forward(b, x, delta, cache.Layer(2 * _layer + 1), meta, s);
        b.AddRmsNorm(h, delta, _postNorm[1], _eps, x);                         // h += attn1; x = post_attention_layernorm[1](h)
        _mlp[1].Forward(b, x, delta, s.MlpHidden);
        b.Add(h, delta);                                                       // h = residual + mlp1 + moe_out
        b.Add(h, s.MoeOut);
    }
}
