using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>A function the model may call, advertised in the prompt's tool description.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="Description">What it does, in words the model reads.</param>
/// <param name="Parameters">The JSON schema of its arguments (an object); rendered as Python's <c>json.dumps(parameters, indent=2)</c>.
/// A default (undefined) element renders as <c>{}</c>.</param>
public sealed record ToolDefinition(string Name, string Description, JsonElement Parameters)
{
    /// <summary>Creates a definition from the schema's JSON text.</summary>
    /// <exception cref="ArgumentException"><paramref name="parametersJson"/> is not valid JSON.</exception>
    public static ToolDefinition Create(string name, string description, string parametersJson)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(parametersJson);
        try
        {
            using var doc = JsonDocument.Parse(parametersJson);
            return new ToolDefinition(name, description, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Tool '{name}': the parameters schema is not valid JSON: {e.Message}", nameof(parametersJson), e);
        }
    }
}
