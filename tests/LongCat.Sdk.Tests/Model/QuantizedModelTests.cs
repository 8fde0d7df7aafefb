using LongCat.Sdk.Model;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Tests.Model;

/// <summary>
/// The demo model loaded with 8-bit and 4-bit weights (CPU backend, int8 activations in the products) against the same model
/// unquantized, and against the same quantized weights multiplied with F32 activations (the exact, slow path): the same next
/// token at nearly every position of a text and its greedy continuation, logits close. The bounds are the measured figures
/// with some room (the run prints them); they catch a kernel or wiring error, which scrambles the logits, not a change in the
/// last bits.
/// </summary>
[TestClass]
public sealed class QuantizedModelTests
{
    private const string Text = "And God said, Let there be light: and there was light. And God saw the light, that it was good: and God divided";

    [TestMethod]
    [DataRow(WeightQuantization.Q8, 0.95, 0.03, 0.025)]
    [DataRow(WeightQuantization.Q4, 0.90, 0.10, 0.025)]
    public void Quantized_DemoModel_PredictsTheUnquantizedModelsTokens(WeightQuantization quantization, double minAgreement, double maxLogitError,
        double maxActivationError)
    {
        // Arrange: the text, then 32 greedy tokens of the unquantized model; every position's logits from one prefill each.
        string dir = TestModels.DemoModel() ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");
        var tokenizer = Tokenizer.FromFile(Path.Combine(dir, "tokenizer.json"));
        using var reference = LongCatModel.Load(dir);
        using var quantized = LongCatModel.Load(dir, new ModelOptions { Quantization = quantization });
        using var exactBackend = new LongCat.Sdk.Compute.Cpu.CpuBackend { Int8Activations = false };
        using var exact = LongCatModel.Load(dir, new ModelOptions { Quantization = quantization, Backend = exactBackend });
        var tokens = new List<int>(tokenizer.Encode(Text));
        using (var s = reference.CreateSession())
        {
            var logits = s.Prefill(tokens.ToArray());
            for (int i = 0; i < 32; i++)
            {
                int next = ArgMax(logits);
                tokens.Add(next);
                logits = s.Decode(next);
            }
        }
        int vocab = reference.Config.VocabSize, positions = tokens.Count;

        // Act
        float[] expected, actual, exactActivations;
        using (var s = reference.CreateSession()) expected = s.Prefill(tokens.ToArray(), allLogits: true);
        using (var s = quantized.CreateSession()) actual = s.Prefill(tokens.ToArray(), allLogits: true);
        using (var s = exact.CreateSession()) exactActivations = s.Prefill(tokens.ToArray(), allLogits: true);

        // Assert: top-1 agreement, and the largest logit error relative to the position's logit range.
        var (agreement, error) = Compare(expected, actual, vocab);
        var (weightsAgreement, weightsError) = Compare(expected, exactActivations, vocab);
        var (activationAgreement, activationError) = Compare(exactActivations, actual, vocab);
        Console.WriteLine($"{quantization} over {positions} positions, top-1 agreement / largest logit error (fraction of the logit range): " +
            $"int8 path vs unquantized {agreement:F3} / {error:F4}; F32-activation path vs unquantized {weightsAgreement:F3} / {weightsError:F4}; " +
            $"int8 vs F32 activations {activationAgreement:F3} / {activationError:F4}");
        Assert.IsTrue(agreement >= minAgreement, $"{quantization}: top-1 agreement {agreement:F3} < {minAgreement}");
        Assert.IsTrue(error <= maxLogitError, $"{quantization}: logit error {error:F4} of the range > {maxLogitError}");
        Assert.IsTrue(activationError <= maxActivationError, $"{quantization}: int8 activations move the logits by {activationError:F4} of the range > {maxActivationError}");
    }

    private static (double Agreement, double Error) Compare(float[] expected, float[] actual, int vocab)
    {
        int agree = 0, positions = expected.Length / vocab;
        double worst = 0;
        for (int p = 0; p < positions; p++)
        {
            var e = expected.AsSpan(p * vocab, vocab);
            var a = actual.AsSpan(p * vocab, vocab);
            if (ArgMax(e) == ArgMax(a)) agree++;
            double range = System.Numerics.Tensors.TensorPrimitives.Max(e) - System.Numerics.Tensors.TensorPrimitives.Min(e);
            for (int v = 0; v < vocab; v++) worst = Math.Max(worst, Math.Abs(e[v] - a[v]) / range);
        }
        return ((double)agree / positions, worst);
    }

    private static int ArgMax(ReadOnlySpan<float> v) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(v);
}
