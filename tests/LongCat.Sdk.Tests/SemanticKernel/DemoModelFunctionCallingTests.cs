using LongCat.Sdk.SemanticKernel;
using LongCat.Sdk.Tests.AI;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace LongCat.Sdk.Tests.SemanticKernel;

/// <summary>
/// Semantic Kernel function calling on the bundled demo model, in-process only: a call cut by MaxTokens. The function-calling
/// contract (auto and manual invocation, filters, streaming) is ChatClientContractTests', run in-process and remote.
/// </summary>
[TestClass]
public sealed class DemoModelFunctionCallingTests
{
    private static LongCatEngine? _engine;
    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task Load(TestContext _)
    {
        _engine = await TestModels.SharedDemoAsync();
    }

    private static LongCatEngine Engine => TestModels.RequireDemo(_engine);

    [TestMethod]
    [DataRow(8)]
    [DataRow(16)]
    public async Task ChatCompletion_RequiredWithMaxTokensTooSmallForTheCall_ReportsTheCutCallAndDoesNotThrow(int maxTokens)
    {
        // The package consumer's case: a call cannot fit in MaxTokens, so it is cut (a malformed call); the kernel reports it to
        // the model and asks again, which renders the cut call back into the conversation: it needs a name.
        var clock = new ClockPlugin();
        var builder = Kernel.CreateBuilder().AddLongCatChatCompletion(Engine, new GenerationOptions { Temperature = 0, MaxTokens = maxTokens });
        builder.Plugins.AddFromObject(clock, "Clock");
        builder.Plugins.AddFromObject(new CalculatorPlugin(), "Calculator");
        var kernel = builder.Build();
        var history = new ChatHistory();
        history.AddUserMessage("What time is it?");

        var reply = await kernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history,
            new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), MaxTokens = maxTokens }, kernel);

        TestContext.WriteLine($"{clock.Calls.Count} call(s); history: {string.Join(" | ", history.Select(m => $"{m.Role}: {string.Join(",", m.Items.Select(i => i.GetType().Name))}"))}; reply '{reply.Content}'");
        Assert.IsFalse((reply.Content ?? "").Contains("<longcat_tool_call>", StringComparison.Ordinal));
    }
}
