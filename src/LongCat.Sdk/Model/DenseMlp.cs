using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)), no biases.</summary>
internal sealed class DenseMlp(WeightLoader w, string prefix, int hidden, int ffn)
{
    private readonly DeviceTensor _gate = w.Linear($"{prefix}.{WeightNames.Gate}", ffn, hidden);
    private readonly DeviceTensor _up = w.Linear($"{prefix}.{WeightNames.Up}", ffn, hidden);
    private readonly DeviceTensor _down = w.Linear($"{prefix}.{WeightNames.Down}", hidden, ffn);

    /// <summary>h [T, H] += MLP(x), x the sublayer's normed input over h.</summary>
    public void Forward(IComputeBackend b, RmsNormed x, DeviceTensor h, DeviceTensor scratch)
    {
        b.MatMulSwiGlu(x, _gate, _up, scratch);           // [T, F]
        b.MatMul(scratch, _down, h, accumulate: true);     // h += down(·): [T, H]
    }
}
