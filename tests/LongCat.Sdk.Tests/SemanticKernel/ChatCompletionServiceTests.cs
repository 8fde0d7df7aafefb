using System.Text;
using LongCat.Sdk.SemanticKernel;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using Microsoft.SemanticKernel.TextGeneration;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>The Semantic Kernel services through the real engine (tiny-a with a byte-level tokenizer): they must return what the engine generates.</summary>
[TestClass]
public sealed class ChatCompletionServiceTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 9, IgnoreEos = true };

    private static async Task<string> EngineText(IAsyncEnumerable<GenerationUpdate> stream)
    {
        var sb = new StringBuilder();
        await foreach (var u in stream) sb.Append(u.Text);
        return sb.ToString();
    }

    [TestMethod]
    public async Task InvokePrompt_NonStreamingAndStreaming_ReturnTheEnginesAnswer()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy).Build();
        string expected = await EngineText(engine.ChatAsync([LongCatMessage.User("Hello there")], Greedy));

        var result = await kernel.InvokePromptAsync("Hello there");
        var streamed = new StringBuilder();
        await foreach (var chunk in kernel.InvokePromptStreamingAsync("Hello there")) streamed.Append(chunk);

        Assert.IsTrue(expected.Length >= 6, $"the tiny model writes text: '{expected}'");
        Assert.AreEqual(expected, result.GetValue<string>());
        Assert.AreEqual(expected, streamed.ToString());
    }

    [TestMethod]
    public async Task GetChatMessageContents_History_RendersThroughTheTemplateAndReportsUsage()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        IChatCompletionService service = new LongCatChatCompletionService(engine, Greedy);
        var history = new ChatHistory("Be brief.");
        history.AddUserMessage("Hi");
        history.AddAssistantMessage("Hello!");
        history.AddUserMessage("And now?");
        var messages = new[] { LongCatMessage.System("Be brief."), LongCatMessage.User("Hi"), LongCatMessage.Assistant("Hello!"), LongCatMessage.User("And now?") };
        string expected = await EngineText(engine.ChatAsync(messages, Greedy));

        var reply = (await service.GetChatMessageContentsAsync(history)).Single();

        Assert.AreEqual(expected, reply.Content);
        Assert.AreEqual(AuthorRole.Assistant, reply.Role);
        Assert.AreEqual(engine.ModelId, service.GetModelId());
        var usage = (UsageDetails)reply.Metadata!["Usage"]!;
        Assert.AreEqual(engine.TokenizeChat(messages).Count, (int)usage.InputTokenCount!);
        Assert.AreEqual(9, usage.OutputTokenCount);
    }

    [TestMethod]
    public async Task InvokePrompt_PlainSettingsWithExtensionData_AreApplied()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy with { Temperature = 1.5f }).Build();
        var plain = new PromptExecutionSettings { ExtensionData = new Dictionary<string, object> { ["temperature"] = 0, ["max_tokens"] = "4" } };
        string expected = await EngineText(engine.ChatAsync([LongCatMessage.User("Hello")], Greedy with { MaxTokens = 4 }));

        var result = await kernel.InvokePromptAsync("Hello", new KernelArguments(plain));

        Assert.AreEqual(expected, result.GetValue<string>());
        Assert.AreEqual(4L, ((UsageDetails)result.Metadata!["Usage"]!).OutputTokenCount);
    }

    [TestMethod]
    public async Task InvokePromptStreaming_Cancelled_Throws()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy with { MaxTokens = 2000 }).Build();
        using var cts = new CancellationTokenSource();
        int chunks = 0;

        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in kernel.InvokePromptStreamingAsync("Go on and on", cancellationToken: cts.Token))
                if (++chunks == 2) cts.Cancel();
        });
        Assert.IsTrue(chunks < 2000);
    }

    [TestMethod]
    public async Task TextGeneration_ContinuesThePromptWithoutTheTemplate()
    {
        await using var engine = await LongCatEngine.LoadAsync(TestModels.TinyWithTokenizer);
        ITextGenerationService service = new LongCatTextGenerationService(engine, Greedy);
        string expected = await EngineText(engine.GenerateAsync("Once upon a time", Greedy));

        var whole = (await service.GetTextContentsAsync("Once upon a time")).Single();
        var streamed = new StringBuilder();
        await foreach (var chunk in service.GetStreamingTextContentsAsync("Once upon a time")) streamed.Append(chunk.Text);

        Assert.AreEqual(expected, whole.Text);
        Assert.AreEqual(expected, streamed.ToString());
        Assert.AreEqual("Length", whole.Metadata![LongCatTextGenerationService.FinishReasonKey]);
        Assert.AreEqual(9L, ((UsageDetails)whole.Metadata[LongCatTextGenerationService.UsageKey]!).OutputTokenCount, "the chat service's usage type");
        Assert.AreEqual(engine.ModelId, service.Attributes[AIServiceExtensions.ModelIdKey]);
    }

    [TestMethod]
    public async Task KernelBuilder_OverTheEngineOfAddLongCat_SharesIt()
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddLongCat(o => o.ModelPath = TestModels.TinyWithTokenizer);
        builder.Services.AddKeyedLongCat("lite", o => o.ModelPath = Fixtures.Dir("tiny-lite-a"));
        builder.AddLongCatChatCompletion(Greedy).AddLongCatTextGeneration(serviceId: "lite", engineKey: "lite");
        var kernel = builder.Build();

        var chat = (LongCatChatCompletionService)kernel.GetRequiredService<IChatCompletionService>();
        var text = (LongCatTextGenerationService)kernel.GetRequiredService<ITextGenerationService>("lite");

        Assert.AreSame(kernel.Services.GetRequiredService<LongCatEngine>(), await chat.ChatClient.GetEngineAsync());
        Assert.AreSame(kernel.Services.GetRequiredKeyedService<LongCatEngine>("lite"), await text.GetEngineAsync());
        ((IDisposable)kernel.Services).Dispose();
    }

    [TestMethod]
    public void KernelBuilder_NoRegisteredEngine_FailsNamingAddLongCat()
    {
        var kernel = Kernel.CreateBuilder().AddLongCatChatCompletion(Greedy).Build();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => kernel.GetRequiredService<IChatCompletionService>());

        StringAssert.Contains(e.Message, "services.AddLongCat");
    }

    [TestMethod]
    public async Task KernelBuilder_ChatAndTextForOneFolder_ShareOneEngineDisposedWithTheKernel()
    {
        var builder = Kernel.CreateBuilder()
            .AddLongCatChatCompletion(TestModels.TinyWithTokenizer, defaults: Greedy)
            .AddLongCatTextGeneration(TestModels.TinyWithTokenizer, defaults: Greedy, serviceId: "text");
        LongCatEngine engine;
        using (var provider = (ServiceProvider)builder.Services.BuildServiceProvider())
        {
            var kernel = new Kernel(provider);
            var chat = (LongCatChatCompletionService)kernel.GetRequiredService<IChatCompletionService>();
            var text = (LongCatTextGenerationService)kernel.GetRequiredService<ITextGenerationService>("text");
            engine = await chat.ChatClient.GetEngineAsync();
            Assert.AreSame(engine, await text.GetEngineAsync());
            Assert.AreEqual(LongCatEngineProvider.NormalizePath(TestModels.TinyWithTokenizer), engine.ModelDirectory);
            var answer = await kernel.InvokePromptAsync("hi");
            Assert.AreEqual(9L, ((UsageDetails)answer.Metadata!["Usage"]!).OutputTokenCount, "the kernel answered through the shared engine");
        }
        Assert.ThrowsExactly<ObjectDisposedException>(() => engine.GenerateAsync([1, 2], Greedy));
    }
}
