using System.Text;
using System.Text.Json;
using LongCat.Sdk.AI;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;
using TextContent = Microsoft.Extensions.AI.TextContent;

#pragma warning disable SKEXP0110 // Semantic Kernel's reasoning contents are marked experimental

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// What the IChatClient and Semantic Kernel adapters promise, on the bundled demo models (the demo model's clock and calculator,
/// the thinking demo model's reasoning and XML calls), whoever answers: an in-process engine
/// (<see cref="InProcessChatClientContractTests"/>) or the same engine behind <c>longcat serve</c>'s endpoint, reached as a
/// remote engine (<see cref="RemoteChatClientContractTests"/>). Prompts are those the models were trained on. Contract
/// assertions only; what the small models answered goes to the test output.
/// </summary>
public abstract class ChatClientContractTests
{
    protected static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 64 };
    protected static readonly GenerationOptions ThinkingGreedy = new() { Temperature = 0, MaxTokens = 160 };

    public TestContext TestContext { get; set; } = null!;

    /// <summary>A chat client of the demo model (<paramref name="thinking"/>: the thinking demo model) with these defaults.</summary>
    protected abstract IChatClient Client(bool thinking, GenerationOptions defaults);

    /// <summary>A kernel builder whose chat completion service answers from that model.</summary>
    protected abstract IKernelBuilder KernelBuilder(bool thinking, GenerationOptions defaults);

    private static List<FunctionCallContent> Calls(ChatResponse response) => [.. response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()];

    [TestMethod]
    public async Task Streaming_AnAnswer_ArrivesInSeveralUpdatesThenUsageAndFinishReasonLast()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in Client(false, Greedy).GetStreamingResponseAsync("Who are you?")) updates.Add(u);
        string text = string.Concat(updates.Select(u => u.Text));
        TestContext.WriteLine($"answer: '{text}'");

        Assert.IsGreaterThan(1, updates.Count(u => u.Text.Length > 0), "the answer streams");
        Assert.IsFalse(text.Contains("longcat_", StringComparison.Ordinal), text);
        Assert.IsTrue(updates.Take(updates.Count - 1).All(u => u.FinishReason is null), "only the last update finishes");
        Assert.AreEqual(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.AreEqual("Stop", updates[^1].AdditionalProperties![LongCatChatClient.FinishReasonKey]);
        var usage = updates[^1].Contents.OfType<UsageContent>().Single().Details;
        Assert.AreSame(usage, updates[^1].AdditionalProperties![LongCatChatClient.UsageKey]);
        Assert.IsGreaterThan(0L, usage.InputTokenCount ?? 0);
        Assert.IsGreaterThan(0L, usage.OutputTokenCount ?? 0);
        Assert.AreEqual(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.AreEqual(1, updates.Select(u => u.ResponseId).Distinct().Count());
    }

    [TestMethod]
    public async Task StopSequence_TheAnswerEndsBeforeIt()
    {
        var client = Client(false, Greedy);
        string whole = (await client.GetResponseAsync("Who are you?")).Text;
        string stop = whole.Substring(whole.Length / 2, 3);

        var cut = await client.GetResponseAsync("Who are you?", new ChatOptions { StopSequences = [stop] });

        Assert.AreEqual(whole[..whole.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.AreEqual(ChatFinishReason.Stop, cut.FinishReason);
    }

    [TestMethod]
    public async Task SampledWithASeed_TheSameSeedGivesTheSameAnswer()
    {
        var client = Client(false, Greedy);
        ChatOptions Sampled(long seed) => new() { Temperature = 1.5f, TopK = 200, Seed = seed, MaxOutputTokens = 24, AdditionalProperties = new() { ["min_p"] = 0.001f } };

        string a = (await client.GetResponseAsync("Tell me a story.", Sampled(11))).Text;
        string b = (await client.GetResponseAsync("Tell me a story.", Sampled(11))).Text;
        string c = (await client.GetResponseAsync("Tell me a story.", Sampled(12))).Text;

        Assert.AreEqual(a, b);
        Assert.AreNotEqual(a, c, "another seed, another answer");
    }

    [TestMethod]
    public async Task ToolQuestion_ReturnsACallNotText()
    {
        var response = await Client(false, Greedy).GetResponseAsync("What time is it in Paris?", new ChatOptions { Tools = [DemoTools.Clock([]), DemoTools.Multiply([])] });
        TestContext.WriteLine($"calls: {string.Join(", ", Calls(response).Select(c => $"{c.Name}({JsonSerializer.Serialize(c.Arguments)})"))}; text: '{response.Text}'");

        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason, response.Text);
        Assert.AreEqual("get_current_time", Calls(response).Single().Name);
        Assert.AreEqual("ToolCalls", response.Messages[^1].AdditionalProperties![LongCatChatClient.FinishReasonKey]);
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
    }

    [TestMethod]
    public async Task Streaming_RequiredTool_NoMarkupReachesTheTextAndTheCallNamesIt()
    {
        var updates = new List<ChatResponseUpdate>();
        var options = new ChatOptions { Tools = [DemoTools.Multiply([]), DemoTools.Clock([])], ToolMode = ChatToolMode.RequireSpecific("get_current_time") };

        await foreach (var u in Client(false, Greedy).GetStreamingResponseAsync("What time is it in Tokyo?", options)) updates.Add(u);

        string text = string.Concat(updates.Select(u => u.Text));
        Assert.IsFalse(text.Contains("longcat_tool", StringComparison.Ordinal), text);
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason, text);
        Assert.AreEqual("get_current_time", updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single().Name);
    }

    [TestMethod]
    public async Task FunctionInvocation_RunsTheToolOnceAndTheModelAnswersInText()
    {
        var calls = new List<string>();
        var client = Client(false, Greedy).AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("What time is it in Tokyo?",
            new ChatOptions { Tools = [DemoTools.Clock(calls), DemoTools.Multiply([])], ToolMode = ChatToolMode.RequireAny });
        TestContext.WriteLine($"get_current_time({string.Join(", ", calls)}) -> answer '{response.Text}'");

        Assert.AreEqual(1, calls.Count, "Required applies to the first round; then the model answers");
        Assert.IsInstanceOfType<FunctionResultContent>(response.Messages[1].Contents.Single());
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
    }

    [TestMethod]
    public async Task ToolModeNone_ToolsDescribedButNeverCalled()
    {
        var response = await Client(false, Greedy).GetResponseAsync("What time is it in Paris?",
            new ChatOptions { Tools = [DemoTools.Clock([])], ToolMode = ChatToolMode.None });

        Assert.IsEmpty(Calls(response));
        Assert.IsFalse(response.Text.Contains("longcat_tool", StringComparison.Ordinal), response.Text);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
    }

    private (Kernel Kernel, ClockPlugin Clock, CountingFilter Filter) ClockKernel()
    {
        var clock = new ClockPlugin();
        var filter = new CountingFilter();
        var builder = KernelBuilder(false, Greedy);
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(filter);
        return (builder.Build(), clock, filter);
    }

    private static LongCatPromptExecutionSettings Required(Kernel kernel, bool autoInvoke = true) =>
        new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Required([kernel.Plugins["Clock"]["GetCurrentTime"]], autoInvoke) };

    [TestMethod]
    public async Task SemanticKernel_Required_RunsThePluginWithFiltersThenAnswersInText()
    {
        var (kernel, clock, filter) = ClockKernel();

        var answer = await kernel.InvokePromptAsync("What time is it in Tokyo?", new KernelArguments(Required(kernel)));
        TestContext.WriteLine($"GetCurrentTime({string.Join(", ", clock.Calls)}) -> '{answer}'");

        Assert.AreEqual(1, clock.Calls.Count);
        CollectionAssert.AreEqual(new[] { "Clock.GetCurrentTime" }, filter.Seen);
        Assert.IsFalse(answer.GetValue<string>()!.Contains("longcat_tool", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task SemanticKernel_StreamingRequired_StreamsNoMarkup()
    {
        var (kernel, clock, _) = ClockKernel();
        var text = new StringBuilder();

        await foreach (var chunk in kernel.InvokePromptStreamingAsync("What time is it in Tokyo?", new KernelArguments(Required(kernel)))) text.Append(chunk);

        Assert.AreEqual(1, clock.Calls.Count);
        Assert.IsFalse(text.ToString().Contains("longcat_tool", StringComparison.Ordinal), text.ToString());
    }

    [TestMethod]
    public async Task SemanticKernel_Manual_ReturnsACallThatInvokes()
    {
        var (kernel, clock, filter) = ClockKernel();
        var history = new ChatHistory();
        history.AddUserMessage("What time is it in Tokyo?");

        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, Required(kernel, autoInvoke: false), kernel);
        var call = Microsoft.SemanticKernel.FunctionCallContent.GetFunctionCalls(reply).Single();
        await call.InvokeAsync(kernel);

        Assert.AreEqual(("Clock", "GetCurrentTime"), (call.PluginName, call.FunctionName));
        Assert.AreEqual(1, clock.Calls.Count);
        Assert.IsEmpty(filter.Seen);
        Assert.AreEqual("ToolCalls", reply.Metadata![LongCatChatClient.FinishReasonKey]);
        Assert.IsInstanceOfType<UsageDetails>(reply.Metadata[LongCatChatClient.UsageKey]);
    }

    [TestMethod]
    [DataRow("What is 12 times 7?")]
    [DataRow("What is 250 plus 17?")]
    [DataRow("What is 90 minus 45?")]
    public async Task SemanticKernel_AutoCalculator_ArgumentsAreIntegersTheKernelBinds(string prompt)
    {
        var calculator = new CalculatorPlugin();
        var builder = KernelBuilder(false, Greedy);
        builder.Plugins.AddFromObject(calculator, "Calculator");
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        var answer = await builder.Build().InvokePromptAsync(prompt, new KernelArguments(settings));
        TestContext.WriteLine($"calls {string.Join(", ", calculator.Calls)} -> '{answer}'");

        // The call reached the plugin, so both arguments bound to long (a malformed or mistyped argument never does).
        Assert.IsNotEmpty(calculator.Calls, answer.ToString());
    }

    [TestMethod]
    public async Task Thinking_ReasoningIsTextReasoningContent_AndCanBeHiddenOrTurnedOff()
    {
        var client = Client(true, ThinkingGreedy);

        var response = await client.GetResponseAsync("Who are you?");
        var hidden = await client.GetResponseAsync("Who are you?", new ChatOptions { Reasoning = new ReasoningOptions { Output = ReasoningOutput.None } });
        var off = await client.GetResponseAsync("Who are you?", new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } });
        var offByKey = await client.GetResponseAsync("Who are you?", new ChatOptions { AdditionalProperties = new() { [LongCatChatClient.EnableThinkingKey] = false } });

        var contents = response.Messages.Single().Contents;
        Assert.IsGreaterThan(0, contents.OfType<TextReasoningContent>().Sum(r => r.Text.Length));
        Assert.AreEqual(response.Text, string.Concat(contents.OfType<TextContent>().Select(t => t.Text)));
        Assert.IsFalse(response.Text.Contains("longcat_", StringComparison.Ordinal), response.Text);
        Assert.IsGreaterThan(0L, response.Usage!.ReasoningTokenCount ?? 0);
        Assert.AreEqual(response.Text, hidden.Text, "hiding the reasoning does not change the answer");
        Assert.IsEmpty(hidden.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
        foreach (var thinkingOff in new[] { off, offByKey })
        {
            Assert.IsEmpty(thinkingOff.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
            Assert.IsNull(thinkingOff.Usage!.ReasoningTokenCount);
            Assert.IsGreaterThan(0, thinkingOff.Text.Length);
        }
    }

    [TestMethod]
    public async Task Thinking_Streamed_TheReasoningStreamsBeforeTheAnswer()
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in Client(true, ThinkingGreedy).GetStreamingResponseAsync("Who are you?")) updates.Add(u);

        int firstReasoning = updates.FindIndex(u => u.Contents.OfType<TextReasoningContent>().Any());
        int firstText = updates.FindIndex(u => u.Text.Length > 0);
        Assert.IsGreaterThanOrEqualTo(0, firstReasoning);
        Assert.IsLessThan(firstText, firstReasoning);
        Assert.IsTrue(updates.Skip(firstText + 1).All(u => !u.Contents.OfType<TextReasoningContent>().Any()), "no reasoning after the answer began");
    }

    [TestMethod]
    public async Task Thinking_Budget16_TheReasoningHolds16Tokens()
    {
        var client = Client(true, ThinkingGreedy);

        var bounded = await client.GetResponseAsync("Continue: In the beginning God", new ChatOptions { AdditionalProperties = new() { [LongCatChatClient.ThinkingBudgetKey] = 16 } });
        var unbounded = await client.GetResponseAsync("Continue: In the beginning God");
        TestContext.WriteLine($"answer after 16 reasoning tokens: '{bounded.Text}'");

        Assert.AreEqual(16L, bounded.Usage!.ReasoningTokenCount);
        Assert.IsGreaterThan(16L, unbounded.Usage!.ReasoningTokenCount ?? 0, "without the budget the model reasons longer");
        Assert.IsGreaterThan(0, bounded.Text.Trim().Length, "an answer follows the forced end of the reasoning");
    }

    [TestMethod]
    public async Task Thinking_XmlToolCall_IntStringAndObject_ParsedTypedAndInvokedByFunctionInvocation()
    {
        var reminders = new List<AIFunctionArguments>();
        var raw = await Client(true, ThinkingGreedy).GetResponseAsync("Remind me to pray in 15 minutes.", new ChatOptions { Tools = DemoTools.ThinkingToolSet([]) });
        var call = Calls(raw).Single();
        TestContext.WriteLine($"call: {call.Name}({JsonSerializer.Serialize(call.Arguments)}) {call.Exception?.Message}");

        Assert.AreEqual(ChatFinishReason.ToolCalls, raw.FinishReason);
        Assert.IsNull(call.Exception);
        Assert.AreEqual("Reminder-Create", call.Name);
        Assert.AreEqual(JsonValueKind.Number, ((JsonElement)call.Arguments!["minutes"]!).ValueKind);
        Assert.AreEqual(JsonValueKind.String, ((JsonElement)call.Arguments!["message"]!).ValueKind);
        Assert.AreEqual(JsonValueKind.Object, ((JsonElement)call.Arguments!["options"]!).ValueKind);

        var client = Client(true, ThinkingGreedy).AsBuilder().UseFunctionInvocation().Build();
        var response = await client.GetResponseAsync("Remind me to pray in 15 minutes.", new ChatOptions { Tools = DemoTools.ThinkingToolSet(reminders) });
        TestContext.WriteLine($"answer after the call: '{response.Text}'");

        var arguments = reminders.Single();
        Assert.IsTrue(((JsonElement)arguments["minutes"]!).TryGetInt32(out _), "minutes is an integer");
        Assert.AreEqual(JsonValueKind.Object, ((JsonElement)arguments["options"]!).ValueKind);
        Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason);
        Assert.IsFalse(response.Text.Contains("longcat_", StringComparison.Ordinal), response.Text);
    }

    [TestMethod]
    public async Task Thinking_SemanticKernelAutoFunctionCalling_BindsTheTypedArguments()
    {
        // The model's trained tool set, in its order: Clock, Calculator, Reminder (Semantic Kernel names them Plugin_Function).
        var reminder = new ReminderPlugin();
        var builder = KernelBuilder(true, ThinkingGreedy);
        builder.Plugins.AddFromObject(new ClockPlugin(), "Clock");
        builder.Plugins.AddFromObject(new AdderPlugin(), "Calculator");
        builder.Plugins.AddFromObject(reminder, "Reminder");

        var answer = await builder.Build().InvokePromptAsync("Remind me to pray in 15 minutes.",
            new KernelArguments(new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));
        TestContext.WriteLine($"calls: {string.Join(", ", reminder.Calls.Select(c => $"({c.Minutes}, {c.Message}, repeat {c.Options.Repeat})"))} -> '{answer}'");

        Assert.IsNotEmpty(reminder.Calls, answer.ToString());
        Assert.IsNotNull(reminder.Calls[0].Options, "the object argument bound to its class");
    }

    [TestMethod]
    public async Task Thinking_SemanticKernel_ReasoningIsKeptApartFromTheAnswer()
    {
        var service = KernelBuilder(true, ThinkingGreedy).Build().GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("Who are you?");

        var answer = (await service.GetChatMessageContentsAsync(history)).Single();
        var streamed = new List<StreamingChatMessageContent>();
        await foreach (var chunk in service.GetStreamingChatMessageContentsAsync(history)) streamed.Add(chunk);
        TestContext.WriteLine($"items: {string.Join(", ", answer.Items.Select(i => i.GetType().Name))}; content '{answer.Content}'");

        Assert.IsGreaterThan(0, answer.Items.OfType<ReasoningContent>().Sum(r => r.Text?.Length ?? 0), "reasoning as ReasoningContent");
        Assert.IsFalse(string.IsNullOrEmpty(answer.Content), "an answer");
        Assert.IsFalse(answer.Content.Contains("longcat_", StringComparison.Ordinal), answer.Content);
        Assert.IsGreaterThan(0, streamed.SelectMany(c => c.Items).OfType<StreamingReasoningContent>().Sum(r => r.Text?.Length ?? 0));
        Assert.AreEqual(answer.Content, string.Concat(streamed.Select(c => c.Content)), "the streamed text is the answer alone");
    }
}
