using System.Text;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>
/// Semantic Kernel function calling on the bundled demo model with a clock plugin shaped as the model's training tools: auto invocation runs
/// the plugin with its filters and the model answers in text; manual invocation returns calls that invoke. Contract assertions
/// only; what the small model answered is written to the test output.
/// </summary>
[TestClass]
public sealed class DemoModelFunctionCallingTests
{
    private static LongCatEngine? _engine;
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 64 };

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        _engine = await TestModels.SharedDemoAsync();
    }

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    public sealed class Clock
    {
        public List<string> Calls { get; } = [];

        [KernelFunction, Description("Get the current time in a city.")]
        public string GetCurrentTime([Description("The city, e.g. Paris")] string city) { Calls.Add(city); return "14:30"; }
    }

    private sealed class CountingFilter : IAutoFunctionInvocationFilter
    {
        public List<string> Seen { get; } = [];
        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            Seen.Add($"{context.Function.PluginName}.{context.Function.Name}");
            await next(context);
        }
    }

    private static (Kernel Kernel, Clock Clock, CountingFilter Filter) Build()
    {
        var clock = new Clock();
        var filter = new CountingFilter();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(Engine, Greedy);
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(filter);
        return (builder.Build(), clock, filter);
    }

    private static LongCatPromptExecutionSettings Required(Kernel kernel, bool autoInvoke = true) =>
        new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Required([kernel.Plugins["Clock"]["GetCurrentTime"]], autoInvoke) };

    [TestMethod]
    public async Task InvokePrompt_Required_RunsThePluginWithFiltersThenAnswersInText()
    {
        var (kernel, clock, filter) = Build();

        var answer = await kernel.InvokePromptAsync("What time is it in Tokyo?", new KernelArguments(Required(kernel)));
        TestContext.WriteLine($"GetCurrentTime({string.Join(", ", clock.Calls)}) -> '{answer}'");

        Assert.AreEqual(1, clock.Calls.Count);
        CollectionAssert.AreEqual(new[] { "Clock.GetCurrentTime" }, filter.Seen);
        Assert.IsFalse(answer.GetValue<string>()!.Contains("longcat_tool", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task InvokePromptStreaming_Required_StreamsNoMarkup()
    {
        var (kernel, clock, _) = Build();
        var text = new StringBuilder();

        await foreach (var chunk in kernel.InvokePromptStreamingAsync("What time is it in Tokyo?", new KernelArguments(Required(kernel)))) text.Append(chunk);

        Assert.AreEqual(1, clock.Calls.Count);
        Assert.IsFalse(text.ToString().Contains("longcat_tool", StringComparison.Ordinal), text.ToString());
    }

    [TestMethod]
    public async Task ChatCompletion_Manual_ReturnsACallThatInvokes()
    {
        var (kernel, clock, filter) = Build();
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("What time is it in Tokyo?");

        var reply = await service.GetChatMessageContentAsync(history, Required(kernel, autoInvoke: false), kernel);
        var call = FunctionCallContent.GetFunctionCalls(reply).Single();
        await call.InvokeAsync(kernel);

        Assert.AreEqual(("Clock", "GetCurrentTime"), (call.PluginName, call.FunctionName));
        Assert.AreEqual(1, clock.Calls.Count);
        Assert.AreEqual(0, filter.Seen.Count);
    }

    /// <summary>The samples' calculator (long a, long b), as the demo model was trained to call it.</summary>
    public sealed class Calculator
    {
        public List<(long A, long B)> Calls { get; } = [];

        [KernelFunction, Description("Add two numbers.")]
        public long Add(long a, long b) { Calls.Add((a, b)); return a + b; }

        [KernelFunction, Description("Multiply two numbers.")]
        public long Multiply(long a, long b) { Calls.Add((a, b)); return a * b; }

        [KernelFunction, Description("Subtract the second number from the first.")]
        public long Subtract(long a, long b) { Calls.Add((a, b)); return a - b; }
    }

    [TestMethod]
    [DataRow("What is 12 times 7?")]
    [DataRow("What is 250 plus 17?")]
    [DataRow("What is 90 minus 45?")]
    public async Task InvokePrompt_AutoCalculator_ArgumentsAreIntegersTheKernelBinds(string prompt)
    {
        // Arrange: the samples' Semantic Kernel setup with auto function calling (the model decides to call).
        var calculator = new Calculator();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(Engine, Greedy);
        builder.Plugins.AddFromObject(calculator, "Calculator");
        var kernel = builder.Build();
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        // Act
        var answer = await kernel.InvokePromptAsync(prompt, new KernelArguments(settings));
        TestContext.WriteLine($"calls {string.Join(", ", calculator.Calls)} -> '{answer}'");

        // Assert: the call reached the plugin, so both arguments bound to long (a malformed or mistyped argument never does).
        Assert.IsNotEmpty(calculator.Calls, answer.ToString());
    }

    [TestMethod]
    [DataRow(8)]
    [DataRow(16)]
    public async Task ChatCompletion_RequiredWithMaxTokensTooSmallForTheCall_ReportsTheCutCallAndDoesNotThrow(int maxTokens)
    {
        // The package consumer's case: a call cannot fit in MaxTokens, so it is cut (a malformed call); the kernel reports it to
        // the model and asks again, which renders the cut call back into the conversation: it needs a name.
        var clock = new Clock();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(Engine, new GenerationOptions { Temperature = 0, MaxTokens = maxTokens });
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Plugins.AddFromObject(new Calculator(), "Calculator");
        var kernel = builder.Build();
        var history = new ChatHistory();
        history.AddUserMessage("What time is it?");

        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history,
            new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), MaxTokens = maxTokens }, kernel);

        TestContext.WriteLine($"{clock.Calls.Count} call(s); history: {string.Join(" | ", history.Select(m => $"{m.Role}: {string.Join(",", m.Items.Select(i => i.GetType().Name))}"))}; reply '{reply.Content}'");
        Assert.IsFalse((reply.Content ?? "").Contains("<longcat_tool_call>", StringComparison.Ordinal));
    }
}
