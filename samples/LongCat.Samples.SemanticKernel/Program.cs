// Semantic Kernel on a local LongCat model: a kernel with native clock and calculator plugins, functions called automatically.
//   dotnet run --project samples/LongCat.Samples.SemanticKernel
//   dotnet run --project samples/LongCat.Samples.SemanticKernel -- --prompt "What is 12 times 7?" --max-tokens 64
using LongCat.Samples;
using LongCat.Sdk;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

var args_ = SampleArgs.Parse(args, defaultMaxTokens: 128);
if (args_.Prompts.Count == 0) args_.Prompts.AddRange(["What time is it?", "What is 12 times 7?"]);

var builder = Kernel.CreateBuilder();
builder.AddLongCatChatCompletion(args_.ModelDir, defaults: new GenerationOptions { Temperature = 0, MaxTokens = args_.MaxTokens });
builder.Plugins.AddFromType<ClockPlugin>("Clock");
builder.Plugins.AddFromType<CalculatorPlugin>("Calculator");
builder.Services.AddSingleton<IAutoFunctionInvocationFilter, PrintCallsFilter>();
var kernel = builder.Build();

// Auto: the model decides when to call; the kernel runs the plugin, the result goes back to the model, and it answers.
var settings = new LongCatPromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(), MaxTokens = args_.MaxTokens };
foreach (var prompt in args_.Prompts)
{
    Console.WriteLine($"> {prompt}");
    var answer = await kernel.InvokePromptAsync(prompt, new KernelArguments(settings));
    Console.WriteLine(answer.GetValue<string>());
}
