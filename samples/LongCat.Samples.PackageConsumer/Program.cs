// Consumes LongCat.Sdk and LongCat.Sdk.SemanticKernel as NuGet packages from the local feed (artifacts/packages):
//   dotnet pack LongCat.Sdk.sln -c Release && dotnet run --project samples/LongCat.Samples.PackageConsumer -- --max-tokens 16
// It answers one prompt through DI + IChatClient, one through a Semantic Kernel kernel, and one through a kernel whose plugin of
// two functions must be called (FunctionChoiceBehavior.Required()): the call either runs a function or its error goes back to
// the model, and the answer is never tool-call markup. It exits non-zero on any failure.
using LongCat.Samples;
using LongCat.Sdk;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using System.ComponentModel;

var args_ = SampleArgs.Parse(args, defaultMaxTokens: 16);
string prompt = args_.Prompts.FirstOrDefault() ?? "Hello!";
foreach (var assembly in new[] { typeof(LongCatEngine).Assembly, typeof(LongCatPromptExecutionSettings).Assembly })
{
    string version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
        .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
    Console.WriteLine($"package consumer: {assembly.GetName().Name} {version}");
}

var services = new ServiceCollection();
services.AddLongCat(o => { o.ModelPath = args_.ModelDir; o.Generation = new GenerationOptions { Temperature = 0, MaxTokens = args_.MaxTokens }; });
await using (var provider = services.BuildServiceProvider())
{
    var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync(prompt);
    Console.WriteLine($"IChatClient: {response.Text} [{response.FinishReason}, {response.Usage?.OutputTokenCount} tokens]");
    if (response.Usage?.OutputTokenCount is not > 0) throw new InvalidOperationException("The chat client generated no tokens.");
}

var kernel = Kernel.CreateBuilder()
    .AddLongCatChatCompletion(args_.ModelDir, defaults: new GenerationOptions { Temperature = 0, MaxTokens = args_.MaxTokens })
    .Build();
var answer = await kernel.InvokePromptAsync(prompt, new KernelArguments(new LongCatPromptExecutionSettings { MaxTokens = args_.MaxTokens }));
Console.WriteLine($"Semantic Kernel: {answer.GetValue<string>()}");

// Required: the model must call one of the plugin's two functions.
var tools = new Tools();
var required = Kernel.CreateBuilder()
    .AddLongCatChatCompletion(args_.ModelDir, defaults: new GenerationOptions { Temperature = 0, MaxTokens = args_.MaxTokens });
required.Plugins.AddFromObject(tools, "Tools");
var requiredKernel = required.Build();
var history = new ChatHistory();
history.AddUserMessage("What time is it?");
var reply = await requiredKernel.GetRequiredService<IChatCompletionService>().GetChatMessageContentAsync(history,
    new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required(), MaxTokens = args_.MaxTokens }, requiredKernel);
var results = history.SelectMany(m => m.Items).OfType<Microsoft.SemanticKernel.FunctionResultContent>().ToList();
Console.WriteLine($"Semantic Kernel, Required: {tools.Calls} function call(s), {results.Count} result(s) sent back, answer: {reply.Content}");
if ((reply.Content ?? "").Contains("<longcat_tool_call>", StringComparison.Ordinal) || history.Any(m => (m.Content ?? "").Contains("<longcat_tool_call>", StringComparison.Ordinal)))
    throw new InvalidOperationException("Tool-call markup came back as text.");
if (tools.Calls == 0 && results.Count == 0) throw new InvalidOperationException("The required call neither ran a function nor surfaced an error.");
Console.WriteLine("package consumer: OK");

sealed class Tools
{
    public int Calls { get; private set; }

    [KernelFunction, Description("The current local time.")]
    public string Now() { Calls++; return DateTime.Now.ToString("HH:mm"); }

    [KernelFunction, Description("Adds two numbers.")]
    public double Add(double a, double b) { Calls++; return a + b; }
}
