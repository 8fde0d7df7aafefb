using LongCat.Sdk.Remote;
using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Hosting;

/// <summary>
/// Checks <see cref="LongCatServiceOptions"/> before anything loads: a model folder with its config.json, or a remote endpoint
/// (<see cref="RemoteEndpoint.Validate"/>), not both; settings of the one kind not given to the other; the engine and generation
/// settings in range. Each failure names the registration and the setting.
/// </summary>
internal sealed class LongCatServiceOptionsValidator : IValidateOptions<LongCatServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, LongCatServiceOptions options)
    {
        string who = string.IsNullOrEmpty(name) ? "AddLongCat" : $"AddKeyedLongCat({LongCatServiceNames.KeyOf(name)})";
        var failures = new List<string>();
        if (options.Endpoint is not null)
        {
            ValidateRemote(failures, who, options);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(options.ModelPath))
                failures.Add($"{who}: ModelPath is not set; set it to a LongCat model folder (config.json, *.safetensors, tokenizer.json), or set Endpoint to a LongCat server.");
            else if (!Directory.Exists(options.ModelPath))
                failures.Add($"{who}: ModelPath '{options.ModelPath}' does not exist (resolved to '{Path.GetFullPath(options.ModelPath)}').");
            else if (!File.Exists(Path.Combine(options.ModelPath, "config.json")))
                failures.Add($"{who}: ModelPath '{options.ModelPath}' has no config.json; it is not a model folder.");
            if (options.ApiKey is not null) failures.Add($"{who}: ApiKey is set but Endpoint is not; a key is for a remote engine (a local model needs none).");
            if (options.ModelId is not null) failures.Add($"{who}: ModelId is set but Endpoint is not; it names a remote engine's model (a local model's id is its folder's name).");
        }

        Check(failures, who, "Engine", () =>
        {
            ArgumentNullException.ThrowIfNull(options.Engine, nameof(options.Engine));
            options.Engine.Validate();
        });
        Check(failures, who, "Generation", () =>
        {
            ArgumentNullException.ThrowIfNull(options.Generation, nameof(options.Generation));
            options.Generation.Validate();
        });
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateRemote(List<string> failures, string who, LongCatServiceOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ModelPath))
            failures.Add($"{who}: both ModelPath ('{options.ModelPath}') and Endpoint ('{options.Endpoint}') are set; set ModelPath for a local model or Endpoint for a server, not both.");
        if (options.Engine is not null && options.Engine with { Logger = null } != new LongCatOptions())
            failures.Add($"{who}: Engine is set with Endpoint; engine settings apply to a local model (the server at '{options.Endpoint}' has its own).");
        Check(failures, who, null, () => RemoteEndpoint.Validate(options.Endpoint, options.ApiKey, options.ModelId));
    }

    // An ArgumentException of validate as a failure naming the setting (within section, when given).
    private static void Check(List<string> failures, string who, string? section, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e)
        {
            failures.Add($"{who}: {(section is null ? "" : section + ".")}{e.ParamName}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
