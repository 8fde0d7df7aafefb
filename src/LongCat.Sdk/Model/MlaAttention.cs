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
    private readonly DeviceTensor _qA, _qANorm, _qB, _kvA, _kvANorm, _kvB, _o;
    private readonly MlaShape _shape;
    private readonly float _qScale, _kvScale, _softmaxScale;
    private readonly RopeParams _rope;

    public MlaAttention(WeightLoader w, string prefix, LongCatConfig c, RopeParams rope, float softmaxScaleMultiplier)
    {
        int h = c.HiddenSize, heads = c.NumAttentionHeads;
        _qA = w.Linear($"{prefix}.{WeightNames.QA}", c.QLoraRank, h);
        _qANorm = w.Vector($"{prefix}.{WeightNames.QANorm}", c.QLoraRank);
        _qB = w.Linear($"{prefix}.{WeightNames.QB}", heads * c.QkHeadDim, c.QLoraRank);
        _kvA = w.Linear($"{prefix}.{WeightNames.KvA}", c.KvCacheWidth, h);
        _kvANorm = w.Vector($"{prefix}.{WeightNames.KvANorm}", c.KvLoraRank);
        _kvB = w.Linear($"{prefix}.{WeightNames.KvB}", heads * (c.QkNopeHeadDim + c.VHeadDim), c.KvLoraRank);
        _o = w.Linear($"{prefix}.{WeightNames.O}", h, heads * c.VHeadDim);
        _shape = new MlaShape(heads, c.QkNopeHeadDim, c.QkRopeHeadDim, c.VHeadDim, c.KvLoraRank);
        _qScale = c.MlaScaleQLora ? MathF.Sqrt((float)h / c.QLoraRank) : 1f;
        _kvScale = c.MlaScaleKvLora ? MathF.Sqrt((float)h / c.KvLoraRank) : 1f;
        _softmaxScale = 1f / MathF.Sqrt(c.QkHeadDim) * softmaxScaleMultiplier;
        _rope = rope;
    }

    /// <summary>output [T, H] = MLA(x [T, H]); the step's latents are written into <paramref name="cache"/> first.</summary>
    public void Forward(IComputeBackend b, DeviceTensor x, DeviceTensor output, DeviceTensor cache, AttentionMetadata meta, in StepBuffers s)
    {
        b.MatMul(x, _qA, s.QA);                                                          // [T, q_lora]
        b.RmsNorm(s.QA, _qANorm, LoraNormEps, s.QANormed);
        b.MatMul(s.QANormed, _qB, s.Q);                                                  // [T, nH·(nope+R)]
        b.MatMul(x, _kvA, s.Ckv);                                                        // [T, L+R] = [c | k_rot]
        b.MlaCacheLatent(s.Ckv, _kvANorm, LoraNormEps, _kvScale, _shape, _rope, meta, cache);
        b.MlaQuery(s.Q, _kvB, _shape, _qScale, meta.Positions, _rope, s.QLat, s.QRot);   // q_lat = (s_q·q_nope)·W_UK
        b.MlaAttention(s.QLat, s.QRot, cache, _shape, _softmaxScale, meta, s.OLat);      // [T, nH·L]
        b.MlaValue(s.OLat, _kvB, _shape, s.O);                                           // [T, nH·v]
        b.MatMul(s.O, _o, output);                                                       // [T, H]
    }
}
