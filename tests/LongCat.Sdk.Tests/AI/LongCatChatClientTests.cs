using LongCat.Sdk.AI;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace LongCat.Sdk.Tests.AI;

/// <summary>IChatClient through the real engine on tiny-a with a byte-level tokenizer: the client must stream exactly what the engine generates.</summary>
[TestClass]
public sealed class LongCatChatClientTests
{
    // Greedy, and past the end-of-turn token so every run generates its full budget from the random tiny weights.
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 12, IgnoreEos = true };

    private static async Task<(string Text, GenerationUpdate Last)> EngineChat(LongCatEngine engine, IReadOnlyList<LongCatMessage> messages, GenerationOptions options)
    {
        var text = new System.Text.StringBuilder();
        GenerationUpdate? last = null;
        await foreach (var u in engine.ChatAsync(messages, options)) { text.Append(u.Text); last = u; }
        return (text.ToString(), last!);
    }

    [TestMethod]
    public async Task GetStreamingResponse_StreamsTheEnginesGreedyAnswerWithUsageAndFinishReason()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var client = engine.AsIChatClient(Greedy);
        var expected = await EngineChat(engine, [LongCatMessage.System("Be brief."), LongCatMessage.User("Hello there")], Greedy);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new(AIChatRole.System, "Be brief."), new(AIChatRole.User, "Hello there")]))
            updates.Add(u);

        Assert.IsTrue(expected.Text.Length >= 6, $"the tiny model writes text: '{expected.Text}'");
        Assert.AreEqual(expected.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.IsTrue(updates.Count > 1, "streamed in several updates");
        Assert.IsTrue(updates.All(u => u.Role == AIChatRole.Assistant && u.ModelId == engine.ModelId));
        Assert.AreEqual(ChatFinishReason.Length, updates[^1].FinishReason);
        var usage = updates[^1].Contents.OfType<UsageContent>().Single().Details;
        Assert.AreEqual(engine.TokenizeChat([LongCatMessage.System("Be brief."), LongCatMessage.User("Hello there")]).Count, (int)usage.InputTokenCount!);
        Assert.AreEqual(12, usage.OutputTokenCount);
        Assert.AreEqual(usage.InputTokenCount + 12, usage.TotalTokenCount);
        Assert.AreEqual(1, updates.Select(u => u.ResponseId).Distinct().Count());
    }

    [TestMethod]
    public async Task GetResponse_AggregatesTheSameStream()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var client = engine.AsIChatClient(Greedy);
        var expected = await EngineChat(engine, [LongCatMessage.User("Tell me a story")], Greedy with { MaxTokens = 7 });

        var response = await client.GetResponseAsync("Tell me a story", new ChatOptions { MaxOutputTokens = 7 });

        Assert.AreEqual(expected.Text, response.Text);
        Assert.AreEqual(1, response.Messages.Count);
        Assert.AreEqual(AIChatRole.Assistant, response.Messages[0].Role);
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual(7, response.Usage!.OutputTokenCount);
    }

    [TestMethod]
    public async Task ChatOptions_SamplingAndSeed_ReachTheEngine()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var client = engine.AsIChatClient(Greedy with { MaxTokens = 24 });
        var sampled = new ChatOptions { Temperature = 1.5f, Seed = 11, TopK = 200, AdditionalProperties = new() { ["min_p"] = 0.001f } };

        string a = (await client.GetResponseAsync("Hi", sampled)).Text;
        string b = (await client.GetResponseAsync("Hi", sampled)).Text;
        string c = (await client.GetResponseAsync("Hi", new ChatOptions { Temperature = 1.5f, Seed = 12, TopK = 200 })).Text;
        var direct = await EngineChat(engine, [LongCatMessage.User("Hi")], Greedy with { MaxTokens = 24, Temperature = 1.5f, Seed = 11, TopK = 200, MinP = 0.001f });

        Assert.AreEqual(a, b, "same seed, same answer");
        Assert.AreNotEqual(a, c, "another seed, another answer");
        Assert.AreEqual(direct.Text, a, "the options the engine saw are the ones mapped");
        // Stop sequences: ChatClientContractTests.StopSequence_TheAnswerEndsBeforeIt, in-process and remote.
    }

    [TestMethod]
    public async Task GetStreamingResponse_Cancelled_ThrowsAndFreesTheSequence()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer, new LongCatOptions { KvBlockSize = 4 });
        var client = engine.AsIChatClient(Greedy with { MaxTokens = 2000 });
        int free = engine.FreeKvBlocks;
        using var cts = new CancellationTokenSource();
        int seen = 0;

        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync("Count to a thousand", cancellationToken: cts.Token))
                if (++seen == 3) cts.Cancel();
        });

        Assert.IsTrue(seen < 2000);
        for (int i = 0; i < 500 && engine.FreeKvBlocks != free; i++) await Task.Delay(10);
        Assert.AreEqual(free, engine.FreeKvBlocks, "the cancelled request's KV blocks are back in the pool");
    }

    [TestMethod]
    public async Task ConcurrentCalls_OnOneRegisteredEngine_EachEqualsItsAnswerAlone()
    {
        await using var provider = TestServices.Build(s => s.AddLongCat(o => { o.ModelPath = TestModels.TinyWithTokenizer; o.Generation = Greedy with { MaxTokens = 10 }; o.Engine = new LongCatOptions { KvBlockSize = 8 }; }));
        var client = provider.GetRequiredService<IChatClient>();
        string[] prompts = ["one", "two words", "three little words", "and a fourth prompt"];
        var alone = new List<string>();
        foreach (var p in prompts) alone.Add((await client.GetResponseAsync(p)).Text);

        var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            (await provider.GetRequiredService<IChatClient>().GetResponseAsync(prompts[i % prompts.Length])).Text)));

        for (int i = 0; i < together.Length; i++) Assert.AreEqual(alone[i % prompts.Length], together[i], $"caller {i}");
    }

    [TestMethod]
    public async Task ToolModeRequired_ForcesTheCallOpeningIntoTheAnswer()
    {
        // The tiny model cannot finish a call, but its answer must start with the forced opening (LongCat's own tool-call format
        // with the required name): output tokens that MaxTokens, which counts the model's own choices, does not spend.
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var client = engine.AsIChatClient(Greedy with { MaxTokens = 4 });
        var clock = AIFunctionFactory.Create(() => "12:00", "clock", "The time.");
        var options = new ChatOptions { Tools = [clock], ToolMode = ChatToolMode.RequireSpecific("clock") };

        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync("What time is it?", options)) updates.Add(u);

        var last = (GenerationUpdate)updates[^1].RawRepresentation!;
        string forced = ChatTemplate.RenderToolCallPrefix("clock");
        Assert.AreEqual(1, last.MalformedToolCalls!.Count, "an unfinished call is reported, never silently dropped");
        StringAssert.StartsWith(last.MalformedToolCalls[0], forced);
        var tools = new[] { ChatOptionsConverter.ToToolDefinition(clock) };
        string prompt = ChatTemplate.Render([LongCatMessage.User("What time is it?")], tools);
        int promptTokens = engine.Tokenizer!.Encode(prompt).Length, forcedTokens = engine.Tokenizer.Encode(prompt + forced).Length - promptTokens;
        Assert.AreEqual(promptTokens, last.Usage!.PromptTokens);
        Assert.AreEqual(forcedTokens + 4, last.Usage.CompletionTokens, "the forced opening and the four tokens the model chose");
    }

    [TestMethod]
    public async Task GetService_ReturnsEngineMetadataAndItself()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        using var client = new LongCatChatClient(engine);

        Assert.AreSame(engine, client.GetService<LongCatEngine>());
        Assert.AreSame(client, client.GetService<LongCatChatClient>());
        var metadata = client.GetService<ChatClientMetadata>()!;
        Assert.AreEqual("longcat", metadata.ProviderName);
        Assert.AreEqual(engine.ModelId, metadata.DefaultModelId);
        Assert.IsNull(client.GetService<LongCatEngine>("some key"));
    }
}
