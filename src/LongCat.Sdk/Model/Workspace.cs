using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// Scratch activations for one forward, allocated once for a token capacity and viewed at the step's size.
/// Legend: T tokens, H hidden, nH heads, L latent, R rope, F ffn, K top-k.
/// </summary>
internal sealed class Workspace : IDisposable
{
    private readonly IComputeBackend _backend;
    private readonly LongCatConfig _c;
    private readonly List<DeviceTensor> _owned = [];

    public Workspace(IComputeBackend backend, LongCatConfig config, int capacity)
    {
        _backend = backend;
        _c = config;
        Capacity = capacity;
        int h = config.HiddenSize, heads = config.NumAttentionHeads;
        Hidden = Make(DType.F32, h);                                   // residual stream h: [T, H]
        Normed = Make(DType.F32, h);                                   // x: [T, H]
        Delta = Make(DType.F32, h);                                    // [T, H]: the MTP head's and the logits' row scratch
        QA = Make(DType.F32, config.QLoraRank);                        // [T, q_lora]
        Ckv = Make(DType.F32, config.KvCacheWidth);                    // [T, L+R]
        QLat = Make(DType.F32, heads * config.KvLoraRank);             // [T, nH·L]
        QRot = Make(DType.F32, heads * config.QkRopeHeadDim);          // [T, nH·R]
        OLat = Make(DType.F32, heads * config.KvLoraRank);             // [T, nH·L]
        O = Make(DType.F32, heads * config.VHeadDim);                  // [T, nH·v]
        MlpHidden = Make(DType.F32, config.FfnHiddenSize);             // [T, F]
        RouterIds = Make(DType.I32, config.MoeTopK);                   // [T, K]
        RouterWeights = Make(DType.F32, config.MoeTopK);               // [T, K]
        if (config.NgramEmbedderCount > 0)
        {
            NgramIds = Make(DType.I32, config.NgramEmbedderCount);     // [T, K(N−1)]
            NgramSlice = Make(DType.F32, h / config.NgramEmbedderCount);
        }
    }

    public int Capacity { get; }
    public DeviceTensor Hidden, Normed, Delta, QA, Ckv, QLat, QRot, OLat, O, MlpHidden, RouterIds, RouterWeights;
    public DeviceTensor? NgramIds, NgramSlice;

    private DeviceTensor Make(DType t, int columns)
    {
        var tensor = _backend.Allocate(t, Capacity, columns);
        _owned.Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        foreach (var t in _owned) t.Dispose();
    }
}

/// <summary>Views of the workspace at a step's token count.</summary>
internal readonly struct StepBuffers(Workspace w, int tokens)
{
    public int Tokens => tokens;
    public DeviceTensor Hidden => w.Hidden.SliceRows(0, tokens);
    public DeviceTensor Normed => w.Normed.SliceRows(0, tokens);
    public DeviceTensor Delta => w.Delta.SliceRows(0, tokens);
    public DeviceTensor QA => w.QA.SliceRows(0, tokens);
    public DeviceTensor Ckv => w.Ckv.SliceRows(0, tokens);
    public DeviceTensor QLat => w.QLat.SliceRows(0, tokens);
    public DeviceTensor QRot => w.QRot.SliceRows(0, tokens);
    public DeviceTensor OLat => w.OLat.SliceRows(0, tokens);
    public DeviceTensor O => w.O.SliceRows(0, tokens);
    public DeviceTensor MlpHidden => w.MlpHidden.SliceRows(0, tokens);
    public DeviceTensor RouterIds => w.RouterIds.SliceRows(0, tokens);
    public DeviceTensor RouterWeights => w.RouterWeights.SliceRows(0, tokens);
    public DeviceTensor NgramIds => w.NgramIds!.SliceRows(0, tokens);
    public DeviceTensor NgramSlice => w.NgramSlice!.SliceRows(0, tokens);
}
