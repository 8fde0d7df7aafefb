using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;
using System.Text;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>
/// Semantic Kernel function calling on the bundled demo model: auto invocation runs the plugin (filters included) and the model
/// answers from the result; manual invocation returns the calls; Required and None behave as with the hosted connectors.
/// </summary>
[TestClass]
public sealed class DemoModelFunctionCallingTests
{
    private static LongCatEngine? _engine;
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 64 };

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        if (TestModels.DemoModel() is { } dir) _engine = await LongCatEngine.LoadAsync(dir);
    }

    [ClassCleanup]
    public static void Unload() => _engine?.Dispose();

    private static LongCatEngine Engine => _engine ?? throw new AssertInconclusiveException("models/longcat-demo is not in this checkout.");

    public sealed class Calculator
    {
        public List<string> Calls { get; } = [];

        [KernelFunction, Description("Multiply two numbers.")]
        public int Multiply(int a, int b) { Calls.Add($"{a}*{b}"); return a * b; }

        [KernelFunction, Description("Add two numbers.")]
        public int Add(int a, int b) { Calls.Add($"{a}+{b}"); return a + b; }
    }

    public sealed class Clock
    {
        public int Calls { get; private set; }

        [KernelFunction, Description("Returns the current local time.")]
        public string GetCurrentTime() { Calls++; return "14:30"; }
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

    private static (Kernel Kernel, Calculator Calculator, Clock Clock, CountingFilter Filter) Build()
    {
        var calculator = new Calculator();
        var clock = new Clock();
        var filter = new CountingFilter();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(Engine, Greedy);
        builder.Plugins.AddFromObject(calculator, "Calculator");
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(filter);
        return (builder.Build(), calculator, clock, filter);
    }

    [TestMethod]
    public async Task InvokePrompt_Auto_RunsThePluginWithFiltersAndAnswersFromTheResult()
    {
        var (kernel, calculator, _, filter) = Build();
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        var answer = await kernel.InvokePromptAsync("What is 12 times 7?", new KernelArguments(settings));

        CollectionAssert.AreEqual(new[] { "12*7" }, calculator.Calls);
        CollectionAssert.AreEqual(new[] { "Calculator.Multiply" }, filter.Seen);
        StringAssert.Contains(answer.GetValue<string>(), "84");
    }

    [TestMethod]
    public async Task InvokePromptStreaming_Auto_StreamsTheFinalAnswerWithoutMarkup()
    {
        var (kernel, calculator, _, _) = Build();
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };
        var text = new StringBuilder();

        await foreach (var chunk in kernel.InvokePromptStreamingAsync("What is 12 times 7?", new KernelArguments(settings))) text.Append(chunk);

        CollectionAssert.AreEqual(new[] { "12*7" }, calculator.Calls);
        StringAssert.Contains(text.ToString(), "84");
        Assert.IsFalse(text.ToString().Contains("<longcat_tool_call>", StringComparison.Ordinal), text.ToString());
    }

    [TestMethod]
    public async Task ChatCompletion_Manual_ReturnsCallsThatInvokeAndFeedBack()
    {
        var (kernel, calculator, _, filter) = Build();
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(autoInvoke: false) };
        var history = new ChatHistory();
        history.AddUserMessage("What is 12 times 7?");

        var reply = await service.GetChatMessageContentAsync(history, settings, kernel);

        var call = FunctionCallContent.GetFunctionCalls(reply).Single();
        Assert.AreEqual("Calculator", call.PluginName);
        Assert.AreEqual("Multiply", call.FunctionName);
        Assert.AreEqual(0, calculator.Calls.Count, "manual mode invokes nothing");
        history.Add(reply);
        var result = await call.InvokeAsync(kernel);
        history.Add(result.ToChatMessage());
        var final = await service.GetChatMessageContentAsync(history, settings, kernel);

        CollectionAssert.AreEqual(new[] { "12*7" }, calculator.Calls);
        Assert.AreEqual(0, filter.Seen.Count, "no auto-invocation filter in manual mode");
        StringAssert.Contains(final.Content, "84");
    }

    [TestMethod]
    public async Task InvokePrompt_Required_CallsThenAnswers_None_NeverCalls()
    {
        var (kernel, _, clock, _) = Build();

        var required = await kernel.InvokePromptAsync("Hello!", new KernelArguments(
            new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required([kernel.Plugins["Clock"]["GetCurrentTime"]]) }));
        Assert.AreEqual(1, clock.Calls, $"Required: the clock ran once, then the model answered: {required}");

        var none = await kernel.InvokePromptAsync("What time is it?", new KernelArguments(
            new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.None() }));
        Assert.AreEqual(1, clock.Calls, "None: no further call");
        Assert.IsFalse(none.GetValue<string>()!.Contains("<longcat_tool_call>", StringComparison.Ordinal));
    }
}
