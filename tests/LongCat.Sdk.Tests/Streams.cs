namespace LongCat.Sdk.Tests;

/// <summary>Reading a generation stream to its end in tests.</summary>
internal static class Streams
{
    /// <summary>Every token the stream produced, and its last update (which carries the finish reason and usage).</summary>
    public static async Task<(List<int> Tokens, GenerationUpdate Last)> Collect(IAsyncEnumerable<GenerationUpdate> stream)
    {
        var tokens = new List<int>();
        GenerationUpdate? last = null;
        await foreach (var u in stream)
        {
            tokens.AddRange(u.TokenIds);
            last = u;
        }
        Assert.IsNotNull(last, "the stream produced no update");
        return (tokens, last);
    }
}
