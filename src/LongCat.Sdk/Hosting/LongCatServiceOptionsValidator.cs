using Microsoft.Extensions.Options;

namespace LongCat.Sdk.Hosting;

/// <summary>
/// Checks <see cref="LongCatServiceOptions"/> before anything loads: the model folder and its config.json exist, and the engine
/// and generation settings are in range. Each failure names the registration and the setting.
/// </summary>
internal sealed class LongCatServiceOptionsValidator : IValidateOptions<LongCatServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, LongCatServiceOptions options)
    {
        string who = string.IsNullOrEmpty(name) ? "AddLongCat" : $"AddKeyedLongCat({LongCatServiceNames.KeyOf(name)})";
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            failures.Add($"{who}: ModelPath is not set; set it to a LongCat model folder (config.json, *.safetensors, tokenizer.json).");
        else if (!Directory.Exists(options.ModelPath))
            failures.Add($"{who}: ModelPath '{options.ModelPath}' does not exist (resolved to '{Path.GetFullPath(options.ModelPath)}').");
        else if (!File.Exists(Path.Combine(options.ModelPath, "config.json")))
            failures.Add($"{who}: ModelPath '{options.ModelPath}' has no config.json; it is not a model folder.");

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

    private static void Check(List<string> failures, string who, string section, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e)
        {
            failures.Add($"{who}: {section}.{e.ParamName}: {e.Message.ReplaceLineEndings(" ")}");
        }
    }
}
