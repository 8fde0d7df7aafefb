using System.Diagnostics;
using System.Text;

namespace LongCat.Sdk.Tests.Server;

/// <summary>
/// <c>longcat serve</c> as a process of its own (the CLI the test project references, longcat.dll in the test output) on a free
/// loopback port, with an API key: what a client in another language talks to. Killed, with its children, when disposed.
/// </summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private ServeProcess(Process process, StringBuilder log, Uri address, string modelId)
    {
        _process = process;
        _log = log;
        BaseAddress = address;
        ModelId = modelId;
    }

    /// <summary>The server's address, <c>http://127.0.0.1:PORT</c> (the OpenAI API is under /v1).</summary>
    public Uri BaseAddress { get; }

    /// <summary>The served model's id (its folder's name).</summary>
    public string ModelId { get; }

    /// <summary>What the server wrote to standard output and standard error so far.</summary>
    public string Log => Text(_log);

    /// <summary>Starts <c>longcat serve --model <paramref name="modelDirectory"/> --port 0</c> with <paramref name="apiKey"/> (given
    /// through LONGCAT_API_KEY, as the docs advise) and waits for its <c>listening on</c> line.</summary>
    /// <exception cref="AssertFailedException">The server exited before listening, or did not listen within 5 minutes (a guard
    /// against a hang: it listens within seconds).</exception>
    public static async Task<ServeProcess> StartAsync(string modelDirectory, string apiKey)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "longcat.dll");
        // DOTNET_HOST_PATH: the dotnet that runs the tests (set by the SDK for the processes it starts).
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [cli, "serve", "--model", modelDirectory, "--host", "127.0.0.1", "--port", "0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["LONGCAT_API_KEY"] = apiKey;
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal)) listening.TrySetResult(new Uri(e.Data["listening on ".Length..]));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (log) log.AppendLine(e.Data);
        };
        process.Exited += (_, _) =>
        {
            process.WaitForExit();                                 // the rest of its output, read to the end
            listening.TrySetException(new AssertFailedException($"longcat serve exited ({process.ExitCode}) before it listened:\n{Text(log)}"));
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Uri address;
        try
        {
            address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            await StopAsync(process);
            throw new AssertFailedException($"longcat serve did not listen within 5 minutes:\n{Text(log)}");
        }
        catch (AssertFailedException)
        {
            await StopAsync(process);
            throw;
        }
        return new ServeProcess(process, log, address, Path.GetFileName(Path.TrimEndingDirectorySeparator(modelDirectory)));
    }

    private static string Text(StringBuilder log)
    {
        lock (log) return log.ToString();
    }

    public async ValueTask DisposeAsync() => await StopAsync(_process);

    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
