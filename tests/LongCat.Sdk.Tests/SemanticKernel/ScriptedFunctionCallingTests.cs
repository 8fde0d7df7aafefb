using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>
/// Semantic Kernel function calling end to end on <see cref="ScriptedModel"/> (which calls <c>Clock-Now</c> when a call is
/// required and answers in text otherwise): the plugin runs with its filters, the result goes back through the template and the
/// model answers; manual mode returns the call, ready to invoke.
/// </summary>
[TestClass]
public sealed class ScriptedFunctionCallingTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 16 };

    public sealed class ClockPlugin
    {
        public int Calls { get; private set; }

        [KernelFunction, Description("Returns the current local time.")]
        public string Now() { Calls++; return "14:30"; }
    }

    private sealed class RecordingFilter : IAutoFunctionInvocationFilter
    {
        public List<string> Seen { get; } = [];
        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            await next(context);
            Seen.Add($"{context.Function.PluginName}.{context.Function.Name} -> {context.Result.GetValue<object>()}");
        }
    }

    private static async Task<(Kernel Kernel, ClockPlugin Clock, RecordingFilter Filter, LongCatEngine Engine)> Build()
    {
        var engine = await LongCatEngine.LoadAsync(ScriptedModel.Dir);
        var clock = new ClockPlugin();
        var filter = new RecordingFilter();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy);
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Services.AddSingleton<IAutoFunctionInvocationFilter>(filter);
        return (builder.Build(), clock, filter, engine);
    }

    private static LongCatPromptExecutionSettings Required(Kernel kernel, bool autoInvoke = true) =>
        new() { FunctionChoiceBehavior = FunctionChoiceBehavior.Required([kernel.Plugins["Clock"]["Now"]], autoInvoke) };

    [TestMethod]
    public async Task InvokePrompt_RequiredAuto_RunsThePluginThroughFiltersAndReturnsTheAnswer()
    {
        var (kernel, clock, filter, engine) = await Build();
        await using var _ = engine;

        var answer = await kernel.InvokePromptAsync("What time is it?", new KernelArguments(Required(kernel)));

        Assert.AreEqual(1, clock.Calls);
        CollectionAssert.AreEqual(new[] { "Clock.Now -> 14:30" }, filter.Seen);
        Assert.AreEqual(ScriptedModel.Answer, answer.GetValue<string>());
    }

    [TestMethod]
    public async Task InvokePromptStreaming_RequiredAuto_StreamsOnlyTheAnswer()
    {
        var (kernel, clock, _, engine) = await Build();
        await using var _ = engine;
        var text = new System.Text.StringBuilder();

        await foreach (var chunk in kernel.InvokePromptStreamingAsync("What time is it?", new KernelArguments(Required(kernel)))) text.Append(chunk);

        Assert.AreEqual(1, clock.Calls);
        Assert.AreEqual(ScriptedModel.Answer, text.ToString());
    }

    [TestMethod]
    public async Task ChatCompletion_RequiredAuto_AddsCallAndResultToTheHistory()
    {
        var (kernel, _, _, engine) = await Build();
        await using var _ = engine;
        var history = new ChatHistory();
        history.AddUserMessage("What time is it?");

        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history, Required(kernel), kernel);

        Assert.AreEqual(ScriptedModel.Answer, reply.Content);
        Assert.AreEqual(3, history.Count, "user, call, result (as the hosted connectors record them)");
        Assert.AreEqual("Clock_Now", history[1].Items.OfType<FunctionCallContent>().Single().FunctionName);
        Assert.AreEqual("14:30", history[2].Items.OfType<FunctionResultContent>().Single().Result?.ToString());
    }

    [TestMethod]
    public async Task ChatCompletion_Manual_ReturnsTheCallWhichInvokesAndFeedsBack()
    {
        var (kernel, clock, filter, engine) = await Build();
        await using var _ = engine;
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory();
        history.AddUserMessage("What time is it?");

        var reply = await service.GetChatMessageContentAsync(history, Required(kernel, autoInvoke: false), kernel);

        var call = FunctionCallContent.GetFunctionCalls(reply).Single();
        Assert.AreEqual(("Clock", "Now"), (call.PluginName, call.FunctionName), "the model's Clock-Now, resolved to the plugin function");
        Assert.AreEqual(0, clock.Calls, "manual mode invokes nothing");
        history.Add(reply);
        history.Add((await call.InvokeAsync(kernel)).ToChatMessage());
        var final = await service.GetChatMessageContentAsync(history, new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(autoInvoke: false) }, kernel);

        Assert.AreEqual(1, clock.Calls);
        Assert.AreEqual(0, filter.Seen.Count, "auto-invocation filters do not run for manual calls");
        Assert.AreEqual(ScriptedModel.Answer, final.Content);
    }
}
