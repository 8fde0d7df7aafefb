using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// The dense multi-token-prediction head (LONGCAT.md §5): x = eh_proj([enorm(E[token_{t+1}]) ‖ hnorm(h_t)]), one pre-norm layer of
/// MLA (its own cache sublayer) and a dense SwiGLU MLP, mtp.norm, then the target's lm_head. It drafts token t+2 from position t.
/// </summary>
internal sealed class MtpHead
{
    private readonly DeviceTensor _embedding, _eNorm, _hNorm, _ehProj, _inputNorm, _postNorm, _norm;
    private readonly MlaAttention _attention;
    private readonly DenseMlp _mlp;
    private readonly float _eps;

    public MtpHead(WeightLoader w, LongCatConfig c, RopeParams rope, float softmaxMultiplier, DeviceTensor targetEmbedding)
    {
        int h = c.HiddenSize;
        _eps = c.RmsNormEps;
        // VLLM loads the head's own embedding; SGL shares the target's. Use the head's when the checkpoint has one.
        _embedding = w.Checkpoint.Contains(WeightNames.MtpEmbedding) ? w.Table(WeightNames.MtpEmbedding, c.VocabSize, h) : targetEmbedding;
        _eNorm = w.Vector(WeightNames.MtpENorm, h);
        _hNorm = w.Vector(WeightNames.MtpHNorm, h);
        _ehProj = w.Linear(WeightNames.MtpEhProj, h, 2 * h);
        _inputNorm = w.Vector(WeightNames.MtpInputNorm, h);
        _attention = new MlaAttention(w, WeightNames.MtpAttention, c, rope, softmaxMultiplier);
        _postNorm = w.Vector(WeightNames.MtpPostAttentionNorm, h);
        _mlp = new DenseMlp(w, WeightNames.MtpMlp, h, c.FfnHiddenSize);
        _norm = w.Vector(WeightNames.MtpNorm, h);
    }

    /// <summary>
    /// normed [T, H] = mtp.norm(layer(eh_proj([enorm(E[ids]) ‖ hnorm(hidden)]))) for next-token ids I32 [T] and the target's
    /// final-normed hidden states [T, H]; the layer's latents go to <paramref name="cache"/>.
    /// </summary>
    public void Forward(IComputeBackend b, DeviceTensor ids, DeviceTensor hidden, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s,
        DeviceTensor concat, DeviceTensor normed)
    {
        var x = s.Hidden; var xn = s.Normed; var delta = s.Delta;
        b.Embedding(_embedding, ids, 0, delta);                     // e: [T, H]
        b.RmsNorm(delta, _eNorm, _eps, xn);
        b.RmsNorm(hidden, _hNorm, _eps, delta);
        b.ConcatColumns(xn, delta, concat);                         // [T, 2H] = [enorm(e) ‖ hnorm(h)]: embedding first
        b.MatMul(concat, _ehProj, x);                               // x: [T, H]
        _attention.Forward(b, new RmsNormed(x, _inputNorm, _eps), x, cache, meta, s);   // x += attn(input_layernorm(x))
        _mlp.Forward(b, new RmsNormed(x, _postNorm, _eps), x, s.MlpHidden);             // x += mlp(post_attention_layernorm(x))
        b.RmsNorm(x, _norm, _eps, normed);
    }
}
