// The `longcat` command: chat, generate, serve, template, tokenize, inspect, draft-vocab, bench, perplexity, quantize, plan. `longcat COMMAND --help` describes each.
using LongCat.Cli;
using LongCat.Sdk;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Help.Main);
    return 0;
}
string command = args[0];
try
{
    var rest = args.Skip(1);
    return command switch
    {
        "chat" => await Commands.ChatAsync(new CliArgs(rest, Help.Switches)),
        "generate" => await Commands.GenerateAsync(new CliArgs(rest, Help.Switches)),
        "serve" => await Commands.ServeAsync(new CliArgs(rest, Help.Switches), Console.Out, CancellationToken.None),
        "tokenize" => Commands.Tokenize(new CliArgs(rest, Help.Switches)),
        "template" => Commands.Template(new CliArgs(rest, Help.Switches)),
        "inspect" => Commands.Inspect(new CliArgs(rest, Help.Switches)),
        "draft-vocab" => Commands.DraftVocab(new CliArgs(rest, Help.Switches)),
        "bench" => await Commands.BenchAsync(new CliArgs(rest, Help.Switches)),
        "quantize" => QuantizeCommand.Run(new CliArgs(rest, Help.Switches), Console.Out, Console.Error),
        "plan" => PlanCommand.Run(new CliArgs(rest, Help.Switches), Console.Out),
        "perplexity" => Commands.Perplexity(new CliArgs(rest, Help.Switches)),
        _ => throw new UsageException($"unknown command '{command}'"),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"longcat {command}: {e.Message}\n");
    Console.Error.WriteLine(Help.For(command) ?? Help.Main);
    return 2;
}
catch (Exception e) when (e is LongCatException or ArgumentException or InvalidOperationException or IOException or NotSupportedException
                           or System.ClientModel.ClientResultException)   // a remote engine's refusal or an unreachable server (chat --endpoint)
{
    Console.Error.WriteLine($"longcat {command}: {e.Message}");
    return 1;
}
