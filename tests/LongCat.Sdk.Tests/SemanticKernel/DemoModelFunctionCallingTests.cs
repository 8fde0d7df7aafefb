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
}
