// A console chat on dependency injection and Microsoft.Extensions.AI's IChatClient.
//   dotnet run --project samples/LongCat.Samples.Chat                       (interactive; an empty line quits)
//   dotnet run --project samples/LongCat.Samples.Chat -- --prompt "Hello" --max-tokens 32
using LongCat.Samples;
using LongCat.Sdk;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

var args_ = SampleArgs.Parse(args, defaultMaxTokens: 256);

var services = new ServiceCollection();
services.AddLongCat(o =>
{
    o.ModelPath = args_.ModelDir;
    o.Generation = new GenerationOptions { Temperature = 0.7f, TopP = 0.9f, MaxTokens = args_.MaxTokens };
});
await using var provider = services.BuildServiceProvider();
provider.GetRequiredService<IStartupValidator>().Validate();   // a bad model path fails here, with the setting named

var chat = provider.GetRequiredService<IChatClient>();
Console.WriteLine($"LongCat chat: {chat.GetService<ChatClientMetadata>()?.DefaultModelId} (answers up to {args_.MaxTokens} tokens)");

List<ChatMessage> history = [new(ChatRole.System, "You are a helpful assistant.")];
IEnumerable<string> Lines()
{
    foreach (var p in args_.Prompts) yield return p;
    if (args_.Prompts.Count > 0) yield break;
    while (Console.ReadLine() is { Length: > 0 } line) yield return line;
}

if (args_.Prompts.Count == 0) Console.WriteLine("Type a message (empty line to quit).");
foreach (var line in Lines())
{
    Console.WriteLine($"> {line}");
    history.Add(new ChatMessage(ChatRole.User, line));
    var updates = new List<ChatResponseUpdate>();
    await foreach (var update in chat.GetStreamingResponseAsync(history))
    {
        Console.Write(update.Text);
        updates.Add(update);
    }
    var response = updates.ToChatResponse();
    history.AddMessages(response);
    Console.WriteLine();
    Console.WriteLine($"[{response.FinishReason}; {response.Usage?.InputTokenCount} prompt + {response.Usage?.OutputTokenCount} generated tokens]");
}
