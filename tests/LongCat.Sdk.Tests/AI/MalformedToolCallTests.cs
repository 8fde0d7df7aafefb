using LongCat.Sdk.SemanticKernel;
using LongCat.Sdk.Text;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;
using DescriptionAttribute = System.ComponentModel.DescriptionAttribute;
using SkFunctionCallContent = Microsoft.SemanticKernel.FunctionCallContent;
using FunctionCallContent = Microsoft.Extensions.AI.FunctionCallContent;
using FunctionResultContent = Microsoft.Extensions.AI.FunctionResultContent;

namespace LongCat.Sdk.Tests.AI;

/// <summary>
/// A required tool call the model writes with arguments that are not JSON (<see cref="ScriptedModel.MalformedDir"/>): it reaches the
/// invocation layer as a call with its exception set, is never invoked with made-up arguments, and its markup never becomes the
/// answer (issue 15: an SK app once got <c>&lt;longcat_tool_call&gt;…</c> back as text).
/// </summary>
[TestClass]
public sealed class MalformedToolCallTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxTokens = 16 };

    [TestMethod]
    public async Task ChatClient_MalformedRequiredCall_IsAFunctionCallWithItsException_AndNoMarkup()
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.MalformedDir);
        var invoked = 0;
        var clock = AIFunctionFactory.Create(() => { invoked++; return "14:30"; }, "Clock-Now", "Returns the current local time.");
        var updates = new List<ChatResponseUpdate>();

        await foreach (var u in engine.AsIChatClient(Greedy).GetStreamingResponseAsync("Time?", new ChatOptions { Tools = [clock], ToolMode = ChatToolMode.RequireAny }))
            updates.Add(u);

        Assert.AreEqual("", string.Concat(updates.Select(u => u.Text)), "no markup as text");
        var call = updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("Clock-Now", call.Name);
        Assert.IsNull(call.Arguments);
        Assert.IsNotNull(call.Exception);
        StringAssert.Contains(call.Exception.Message, ScriptedModel.MalformedArgumentsBody.Trim());
        Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.AreEqual(0, invoked);
    }

    /// <summary>Microsoft.Extensions.AI's invocation loop runs what it is given: a malformed call reaches it without arguments,
    /// so a function that needs them fails to bind (and the model is told), and the answer that follows is text.</summary>
    [TestMethod]
    public async Task FunctionInvokingChatClient_MalformedCall_FunctionNeedingArgumentsIsNotRun_ModelToldAndAnswers()
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.MalformedDir);
        var invoked = 0;
        var clock = AIFunctionFactory.Create((string zone) => { invoked++; return $"14:30 {zone}"; }, "Clock-Now", "Returns the local time in a zone.");
        var client = engine.AsIChatClient(Greedy).AsBuilder().UseFunctionInvocation(configure: f => f.IncludeDetailedErrors = true).Build();

        var response = await client.GetResponseAsync("Time?", new ChatOptions { Tools = [clock], ToolMode = ChatToolMode.RequireAny });

        Assert.AreEqual(0, invoked, "no arguments were parsed, so none were made up");
        var result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.IsNotNull(result.Exception, "the model is told the call failed");
        Assert.IsFalse(response.Messages.Any(m => m.Text.Contains(ToolCallParser.OpenTag, StringComparison.Ordinal)), "no markup in any message");
        Assert.IsFalse(string.IsNullOrEmpty(response.Text), "the model answered after the error");
    }

    public sealed class WeatherPlugin
    {
        public int Calls { get; private set; }

        [KernelFunction, Description("The forecast for a city.")]
        public string Forecast(string city) { Calls++; return $"Sunny in {city}"; }

        [KernelFunction, Description("The current local time.")]
        public string Now() { Calls++; return "14:30"; }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public async Task Kernel_RequiredOverAPluginOfTwoFunctions_MalformedCall_NeverComesBackAsMarkup(bool autoInvoke)
    {
        await using var engine = await LongCatEngine.LoadAsync(ScriptedModel.MalformedDir);
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(engine, Greedy);
        var weather = new WeatherPlugin();
        builder.Plugins.AddFromObject(weather, "Weather");
        var kernel = builder.Build();
        var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(autoInvoke: autoInvoke) };

        var answer = await kernel.InvokePromptAsync("What is the weather?", new KernelArguments(settings));

        Assert.AreEqual(0, weather.Calls, "nothing is invoked with arguments the model did not write");
        string text = answer.GetValue<string>() ?? "";
        Assert.IsFalse(text.Contains(ToolCallParser.OpenTag, StringComparison.Ordinal), text);
        if (autoInvoke) Assert.AreEqual(ScriptedModel.Answer, text, "the error went back to the model, which answered");
        else
        {
            var call = answer.GetValue<ChatMessageContent>()!.Items.OfType<SkFunctionCallContent>().Single();
            Assert.IsNotNull(call.Exception, "manual invocation sees the call's error");
        }
    }
}
