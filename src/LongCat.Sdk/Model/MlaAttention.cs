using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// One MLA sublayer (LONGCAT.md §3) in absorbed form over the paged latent cache:
/// q = q_b(RmsNorm(q_a(x)))·s_q, latent = RmsNorm(kv_a(x)[:L])·s_kv cached with rope(k_rot), attention in latent space, W_UV, o_proj.
/// </summary>
internal sealed class MlaAttention
{
    private const float LoraNormEps = 1e-6f;   // q_a/kv_a norms use the LongcatFlashRMSNorm default, not rms_norm_eps
    private readonly DeviceTensor _qA, _kvA, _kvB, _o;
    private readonly MlaLatentWeights _latent;
    private readonly MlaShape _shape;
    private readonly float _softmaxScale;
    private readonly RopeParams _rope;

    public MlaAttention(WeightLoader w, string prefix, LongCatConfig c, RopeParams rope, float softmaxScaleMultiplier)
    {
        int h = c.HiddenSize, heads = c.NumAttentionHeads;
        _qA = w.Linear($"{prefix}.{WeightNames.QA}", c.QLoraRank, h);
        _kvA = w.Linear($"{prefix}.{WeightNames.KvA}", c.KvCacheWidth, h);
        _kvB = w.Linear($"{prefix}.{WeightNames.KvB}", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank);
        _latent = new MlaLatentWeights(
            QANorm: w.Vector($"{prefix}.{WeightNames.QANorm}", c.QLoraRank),
            QB: w.Linear($"{prefix}.{WeightNames.QB}", heads * c.QkHeadDim, c.QLoraRank),
            KvANorm: w.Vector($"{prefix}.{WeightNames.KvANorm}", c.KvLoraRank),
            KvB: _kvB,
            NormEps: LoraNormEps,
            QScale: c.MlaScaleQLora ? MathF.Sqrt((float)h / c.QLoraRank) : 1f,
            KvScale: c.MlaScaleKvLora ? MathF.Sqrt((float)h / c.KvLoraRank) : 1f);
        _o = w.Linear($"{prefix}.{WeightNames.O}", h, heads * c.VHeadDim);
        _shape = new MlaShape(heads, c.QkNopeHeadDim, c.QkRopeHeadDim, c.VHeadDim, c.KvLoraRank);
        _softmaxScale = 1f / MathF.Sqrt(c.QkHeadDim) * softmaxScaleMultiplier;
        _rope = rope;
    }

    /// <summary>Bytes of the sublayer's weights (each token's pass reads them all).</summary>
    public long WeightBytes => _qA.WeightBytes + _kvA.WeightBytes + _latent.QANorm.WeightBytes + _latent.QB.WeightBytes
        + _latent.KvANorm.WeightBytes + _kvB.WeightBytes + _o.WeightBytes;

    /// <summary>h [T, H] += MLA(x), x the sublayer's normed input over h; the step's latents are written into <paramref name="cache"/> first.</summary>
    public void Forward(IComputeBackend b, RmsNormed x, DeviceTensor h, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s)
    {
        QueryAndCache(b, x, cache, meta, s);
        Attend(b, h, cache, meta, s);
    }

    /// <summary>The first half of <see cref="Forward"/>: q for every row into s.QLat/s.QRot, and every row's latent into the cache.</summary>
    public void QueryAndCache(IComputeBackend b, RmsNormed x, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s)
    {
        b.MatMulPair(x, _qA, s.QA, _kvA, s.Ckv);                                            // q_a: [T, q_lora]; kv_a: [T, L+R] = [c | k_rot]
        b.MlaQueryAndCache(s.QA, s.Ckv, _latent, _shape, _rope, meta, cache, s.QLat, s.QRot); // q_lat = (s_q·q_b(norm(q_a)))_nope·W_UK; cache ← [norm(c)·s_kv | rope(k_rot)]
    }

    /// <summary>The second half: h [T, H] += o_proj(attention of s.QLat/s.QRot over the cache), T the rows of <paramref name="meta"/>.</summary>
    public void Attend(IComputeBackend b, DeviceTensor h, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s)
    {
        b.MlaAttentionValue(s.QLat, s.QRot, cache, _kvB, _shape, _softmaxScale, meta, s.OLat, s.O); // o_lat [T, nH·L] → o = o_lat·W_UV [T, nH·v]
        b.MatMul(s.O, _o, h, accumulate: true);                                             // h += o_proj(o)
    }
}
