// Consumes LongCat.Sdk and LongCat.Sdk.SemanticKernel as NuGet packages from the local feed (artifacts/packages):
//   dotnet pack LongCat.Sdk.sln -c Release && dotnet run --project samples/LongCat.Samples.PackageConsumer -- --max-tokens 16
// It answers one prompt through DI + IChatClient and one through a Semantic Kernel kernel, and exits non-zero on any failure.
using LongCat.Samples;
using LongCat.Sdk;
using LongCat.Sdk.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

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
Console.WriteLine("package consumer: OK");
