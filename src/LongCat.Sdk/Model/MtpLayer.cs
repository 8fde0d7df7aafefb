using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// The dense multi-token-prediction head (LONGCAT.md §5): x = eh_proj([enorm(E[token_{t+1}]) ‖ hnorm(h_t)]), one pre-norm layer of
/// MLA (its own cache sublayer) and a dense SwiGLU MLP, mtp.norm, then the target's lm_head. It drafts token t+2 from position t.
/// </summary>
internal sealed class MtpLayer
{
    private readonly DeviceTensor _embedding, _eNorm, _hNorm, _ehProj, _inputNorm, _postNorm, _norm;
    private readonly MlaAttention _attention;
    private readonly DenseMlp _mlp;
    private readonly float _eps;

    public MtpLayer(WeightLoader w, LongCatConfig c, RopeParams rope, float softmaxMultiplier, DeviceTensor targetEmbedding)
    {
        int h = c.HiddenSize;
        _eps = c.RmsNormEps;
        // VLLM loads the head's own embedding; SGL shares the target's. Use the head's when the checkpoint has one.
        _embedding = w.Checkpoint.Contains(WeightNames.MtpEmbedding) ? w.Table(WeightNames.MtpEmbedding, c.VocabSize, h, rowsOnly: true) : targetEmbedding;
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
        DeviceTensor concat, DeviceTensor normed) => Forward(b, ids, hidden, cache, meta, s, concat, normed, null);

    /// <summary>
    /// As the overload above, but with <paramref name="output"/> only its rows go past the cache write: every row's latent is
    /// cached (later drafts attend to it), while attention, the MLP and the norm run for the output rows alone, into
    /// <paramref name="normed"/> [n, H]. A step that accepted drafts needs draft logits at its last position only.
    /// </summary>
    public void Forward(IComputeBackend b, DeviceTensor ids, DeviceTensor hidden, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s,
        DeviceTensor concat, DeviceTensor normed, MtpOutputRows? output)
    {
        var x = s.Hidden; var xn = s.Normed; var delta = s.Delta;
        b.Embedding(_embedding, ids, 0, delta);                     // e: [T, H]
        b.RmsNorm(delta, _eNorm, _eps, xn);
        b.RmsNorm(hidden, _hNorm, _eps, delta);
        b.ConcatColumns(xn, delta, concat);                         // [T, 2H] = [enorm(e) ‖ hnorm(h)]: embedding first
        b.MatMul(concat, _ehProj, x);                               // x: [T, H]
        _attention.QueryAndCache(b, new RmsNormed(x, _inputNorm, _eps), cache, meta, s);   // every row's latent → cache
        var o = s;
        var attentionMeta = meta;
        if (output is { } only)
        {
            o = only.Buffers;
            b.GatherRows(x, only.Rows, o.Hidden);
            b.GatherRows(s.QLat, only.Rows, o.QLat);
            b.GatherRows(s.QRot, only.Rows, o.QRot);
            x = o.Hidden;
            attentionMeta = only.Meta;
        }
        _attention.Attend(b, x, cache, attentionMeta, o);                              // x += attn(input_layernorm(x))
        _mlp.Forward(b, new RmsNormed(x, _postNorm, _eps), x, o.MlpHidden);             // x += mlp(post_attention_layernorm(x))
        b.RmsNorm(x, _norm, _eps, normed);
    }
}

/// <summary>The rows of an MTP step that need the whole layer: their indices among the step's rows, their attention metadata, and
/// buffers of their count.</summary>
internal readonly record struct MtpOutputRows(DeviceTensor Rows, AttentionMetadata Meta, StepBuffers Buffers);
