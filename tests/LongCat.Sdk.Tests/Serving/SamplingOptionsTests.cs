using LongCat.Sdk.Serving;

namespace LongCat.Sdk.Tests.Serving;

/// <summary>Sampling options are checked up front; errors name the option.</summary>
[TestClass]
public sealed class SamplingOptionsTests
{
    [TestMethod]
    [DataRow("Temperature", -0.5f)]
    [DataRow("Temperature", float.NaN)]
    [DataRow("Temperature", float.PositiveInfinity)]
    [DataRow("TopK", -1f)]
    [DataRow("TopP", 0f)]
    [DataRow("TopP", 1.01f)]
    [DataRow("TopP", float.NaN)]
    [DataRow("MinP", -0.01f)]
    [DataRow("MinP", 1.5f)]
    [DataRow("RepetitionPenalty", 0f)]
    [DataRow("RepetitionPenalty", -1f)]
    [DataRow("PresencePenalty", 2.5f)]
    [DataRow("FrequencyPenalty", -3f)]
    public void Validate_OutOfRange_ThrowsNamingTheOption(string option, float value)
    {
        var options = option switch
        {
            "Temperature" => new SamplingOptions { Temperature = value },
            "TopK" => new SamplingOptions { TopK = (int)value },
            "TopP" => new SamplingOptions { TopP = value },
            "MinP" => new SamplingOptions { MinP = value },
            "RepetitionPenalty" => new SamplingOptions { RepetitionPenalty = value },
            "PresencePenalty" => new SamplingOptions { PresencePenalty = value },
            _ => new SamplingOptions { FrequencyPenalty = value },
        };

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(options.Validate);

        Assert.AreEqual(option, ex.ParamName);
        Assert.IsTrue(ex.Message.StartsWith(option + " must be", StringComparison.Ordinal), ex.Message);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Sampler(options));
    }

    [TestMethod]
    public void Validate_DefaultsAndEdges_Pass()
    {
        new SamplingOptions().Validate();
        SamplingOptions.Greedy.Validate();
        new SamplingOptions { TopP = 1f, MinP = 1f, TopK = 1, RepetitionPenalty = 0.5f, PresencePenalty = -2f, FrequencyPenalty = 2f, Seed = -1 }.Validate();

        Assert.IsTrue(SamplingOptions.Greedy.IsGreedy);
        Assert.IsFalse(new SamplingOptions().IsGreedy);
    }
}
