using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.TextGeneration;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>What outside Semantic Kernel apps found missing (issue 15): other connectors' setting names, the finish reason, one
/// usage type, one engine per model folder however its path is spelled, and kernels built without waiting for a model.</summary>
[TestClass]
public sealed class SemanticKernelEdgeTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 9, IgnoreEos = true };

    [TestMethod]
    public void Settings_OtherConnectorsNames_AreRead_AndUnknownKeysAreLogged()
    {
        var plain = new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object> { ["stop"] = "END", ["num_predict"] = 7, ["mirostat"] = 2, ["temperature"] = 0.5 },
        };
        var log = new ListLogger();

        var s = LongCatPromptExecutionSettings.FromExecutionSettings(plain, log);

        CollectionAssert.AreEqual(new[] { "END" }, s.StopSequences!.ToArray(), "Ollama's stop, one string");
        Assert.AreEqual(7, s.MaxTokens, "Ollama's num_predict");
        Assert.AreEqual(0.5f, s.Temperature);
        Assert.AreEqual(1, log.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("'mirostat'", StringComparison.Ordinal)), "the unknown key is named");
        Assert.AreEqual(1, log.Entries.Count, "nothing else is logged");

        var both = LongCatPromptExecutionSettings.FromExecutionSettings(new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object> { ["stop"] = new[] { "a", "b" }, ["stop_sequences"] = new[] { "c" } },
        });
        CollectionAssert.AreEqual(new[] { "c" }, both.StopSequences!.ToArray(), "LongCat's own name wins");
    }

    [TestMethod]
    public async Task InvokePrompt_WithOllamasStopKey_StopsThere()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy with { MaxTokens = 40 }).Build();
        string full = (await kernel.InvokePromptAsync("Hello there")).GetValue<string>()!;
        string stop = full.Substring(full.Length / 2, 2);

        var cut = await kernel.InvokePromptAsync("Hello there", new KernelArguments(new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object> { ["stop"] = stop },
        }));

        Assert.AreEqual(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut.GetValue<string>());
    }

    [TestMethod]
    public async Task ChatAnswer_StreamingAndNot_CarryFinishReasonAndUsageDetails()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy).Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Hello there");

        var answer = (await chat.GetChatMessageContentsAsync(history)).Single();
        var streamed = new List<StreamingChatMessageContent>();
        await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history)) streamed.Add(chunk);

        Assert.AreEqual("Length", answer.Metadata![LongCat.Sdk.AI.LongCatChatClient.FinishReasonKey]);
        Assert.AreEqual(9L, ((UsageDetails)answer.Metadata["Usage"]!).OutputTokenCount);
        var last = streamed.Last(c => c.Metadata is not null && c.Metadata.ContainsKey("FinishReason"));
        Assert.AreEqual("Length", last.Metadata!["FinishReason"]);
        Assert.AreEqual(9L, ((UsageDetails)last.Metadata["Usage"]!).OutputTokenCount, "the same usage type as the non-streaming answer");
    }

    [TestMethod]
    public async Task KernelBuilder_OneFolderSpelledThreeWays_OneEngine()
    {
        string dir = TestModels.TinyWithTokenizer;
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, dir);
        var builder = Kernel.CreateBuilder()
            .AddLongCatChatCompletion(dir, defaults: Greedy)
            .AddLongCatTextGeneration(dir + Path.DirectorySeparatorChar, defaults: Greedy, serviceId: "text")
            .AddLongCatChatCompletion(Path.Combine(relative, ".", ""), defaults: Greedy, serviceId: "relative");
        await using var provider = builder.Services.BuildServiceProvider();
        var kernel = new Kernel(provider);

        var chat = (LongCatChatCompletionService)kernel.GetRequiredService<IChatCompletionService>();
        var text = (LongCatTextGenerationService)kernel.GetRequiredService<ITextGenerationService>("text");
        var other = (LongCatChatCompletionService)kernel.GetRequiredService<IChatCompletionService>("relative");

        Assert.AreEqual(1, provider.GetServices<LongCatEngineProvider>().Count() + CountKeyedProviders(builder.Services), "one provider registered");
        var engine = await chat.ChatClient.GetEngineAsync();
        Assert.AreSame(engine, await text.GetEngineAsync());
        Assert.AreSame(engine, await other.ChatClient.GetEngineAsync());
    }

    private static int CountKeyedProviders(IServiceCollection services) =>
        services.Count(d => d.IsKeyedService && d.ServiceType == typeof(LongCatEngineProvider));

    [TestMethod]
    public async Task KernelBuilder_BuildingTheKernelAndResolvingTheService_LoadsNothing_TheFirstRequestDoes()
    {
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(TestModels.TinyWithTokenizer, defaults: Greedy);
        await using var provider = builder.Services.BuildServiceProvider();
        var chat = (LongCatChatCompletionService)new Kernel(provider).GetRequiredService<IChatCompletionService>();
        var engineProvider = chat.ChatClient.GetService<LongCatEngineProvider>()!;

        Assert.IsFalse(engineProvider.IsLoaded, "resolving the service loads nothing");
        var history = new ChatHistory();
        history.AddUserMessage("Hello there");
        await chat.GetChatMessageContentsAsync(history);
        Assert.IsTrue(engineProvider.IsLoaded);
    }
}
