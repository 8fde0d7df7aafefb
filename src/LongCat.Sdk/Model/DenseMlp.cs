using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>SwiGLU MLP: down(silu(gate(x)) ⊙ up(x)), no biases.</summary>
internal sealed class DenseMlp(WeightLoader w, string prefix, int hidden, int ffn)
{
    private readonly DeviceTensor _gate = w.Linear($"{prefix}.{WeightNames.Gate}", ffn, hidden);
    private readonly DeviceTensor _up = w.Linear($"{prefix}.{WeightNames.Up}", ffn, hidden);
    private readonly DeviceTensor _down = w.Linear($"{prefix}.{WeightNames.Down}", hidden, ffn);

    public DeviceTensor Gate => _gate;

    /// <summary>Bytes of gate, up and down.</summary>
    public long WeightBytes => _gate.WeightBytes + _up.WeightBytes + _down.WeightBytes;

    public DeviceTensor Up => _up;

    /// <summary>h [T, H] += MLP(x), x the sublayer's normed input over h.</summary>
    public void Forward(IComputeBackend b, RmsNormed x, DeviceTensor h, DeviceTensor scratch)
    {
        b.MatMulSwiGlu(x, _gate, _up, scratch);           // [T, F]
        Down(b, scratch, h);
    }

    /// <summary>The second half of <see cref="Forward"/>: h [T, H] += down(hidden), hidden [T, F] the SwiGLU output.</summary>
    public void Down(IComputeBackend b, DeviceTensor hidden, DeviceTensor h) => b.MatMul(hidden, _down, h, accumulate: true);

    /// <summary>h [T, H] += MLP(x) + Σ_k w_k·E_k(moeX): this MLP and <paramref name="moe"/>'s experts in one backend op.</summary>
    public void ForwardWithExperts(IComputeBackend b, RmsNormed x, DeviceTensor h, DeviceTensor scratch, MoeBlock moe, DeviceTensor moeX, in StepBuffers s) =>
        b.MlpAndMoeExperts(x, _gate, _up, _down, scratch, moeX, s.RouterIds, s.RouterWeights, moe.ExpertWeights, h);
}
