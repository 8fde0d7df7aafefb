namespace LongCat.Sdk.Hosting;

/// <summary>What <c>services.AddLongCat(...)</c> loads and how its <see cref="Microsoft.Extensions.AI.IChatClient"/> answers.</summary>
public sealed class LongCatServiceOptions
{
    /// <summary>The model folder: config.json, safetensors weights and tokenizer.json (required).</summary>
    public string? ModelPath { get; set; }

    /// <summary>How the engine loads and serves (device, KV cache, batching, speculative decoding).</summary>
    public LongCatOptions Engine { get; set; } = new();

    /// <summary>Generation settings of the registered chat client where a request's options leave them unset.</summary>
    public GenerationOptions Generation { get; set; } = new();
}
