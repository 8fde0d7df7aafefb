using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// The MoE branch (LONGCAT.md §4): F32 softmax router over real + identity experts, correction bias for selection only,
/// unnormalized weights × routed_scaling_factor on every slot; SwiGLU experts, identity experts contribute w·x.
/// </summary>
internal sealed class MoeBlock
{
    private readonly DeviceTensor _classifier, _bias;
    private readonly ExpertWeights _experts;
    private readonly int _topK;
    private readonly float _scaling;

    public MoeBlock(WeightLoader w, int layer, LongCatConfig c)
    {
        _classifier = w.Linear(WeightNames.RouterClassifier(layer), c.TotalExperts, c.HiddenSize);
        _bias = w.Vector(WeightNames.RouterBias(layer), c.TotalExperts);
        int n = c.NRoutedExperts;
        var gate = new DeviceTensor[n];
        var up = new DeviceTensor[n];
        var down = new DeviceTensor[n];
        for (int e = 0; e < n; e++)
        {
            string p = WeightNames.Expert(layer, e);
            gate[e] = w.Linear($"{p}.{WeightNames.Gate}", c.ExpertFfnHiddenSize, c.HiddenSize);
            up[e] = w.Linear($"{p}.{WeightNames.Up}", c.ExpertFfnHiddenSize, c.HiddenSize);
            down[e] = w.Linear($"{p}.{WeightNames.Down}", c.HiddenSize, c.ExpertFfnHiddenSize);
        }
        _experts = new ExpertWeights(gate, up, down);
        _topK = c.MoeTopK;
        _scaling = c.RoutedScalingFactor;
    }

    /// <summary>
    /// The router and <paramref name="mlp"/>'s SwiGLU of the same normed input x in one backend op: normed [T, H] = x (the experts'
    /// input), the step's ids and weights [T, K] = the router's picks, hidden [T, F] = silu(gate·x) ⊙ up·x.
    /// </summary>
    public void RouteWithSwiGlu(IComputeBackend b, RmsNormed x, DeviceTensor normed, DenseMlp mlp, DeviceTensor hidden, in StepBuffers s)
    {
        b.RouterTopKAndSwiGlu(x, _classifier, _bias, _topK, _scaling, s.RouterIds, s.RouterWeights, normed, mlp.Gate, mlp.Up, hidden);
    }

    /// <summary>Bytes of the router (classifier and correction bias), read for every token.</summary>
    public long RouterBytes => _classifier.WeightBytes + _bias.WeightBytes;

    /// <summary>Experts each token is routed to (real or identity).</summary>
    public int TopK => _topK;

    /// <summary>Mean bytes of one routed expert's gate, up and down.</summary>
    public double MeanExpertBytes =>
        Enumerable.Range(0, _experts.RealCount).Average(e => (double)(_experts.Gate[e].WeightBytes + _experts.Up[e].WeightBytes + _experts.Down[e].WeightBytes));

    /// <summary>The routed experts' weights (run beside the second dense MLP by <see cref="DenseMlp.ForwardWithExperts"/>).</summary>
    public ExpertWeights ExpertWeights => _experts;
}
