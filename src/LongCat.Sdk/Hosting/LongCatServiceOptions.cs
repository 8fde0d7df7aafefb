namespace LongCat.Sdk.Hosting;

/// <summary>What <c>services.AddLongCat(...)</c> loads, or which server it asks, and how its
/// <see cref="Microsoft.Extensions.AI.IChatClient"/> answers. Set <see cref="ModelPath"/> (a local model) or <see cref="Endpoint"/>
/// (a remote engine), not both.</summary>
public sealed class LongCatServiceOptions
{
    /// <summary>The model folder: config.json, safetensors weights and tokenizer.json.</summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// A remote engine instead of a local model: the base address of an OpenAI-compatible LongCat server (SGLang, vLLM or
    /// <c>longcat serve</c>), e.g. <c>http://cluster:30000/v1</c>. The registered <see cref="Microsoft.Extensions.AI.IChatClient"/>
    /// then answers from it with the same settings and contents as a local model's (docs/SERVING.md, "Remote engines"); no
    /// <see cref="LongCatEngine"/> is registered.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The key a remote <see cref="Endpoint"/> wants, sent as <c>Authorization: Bearer</c> (null: none).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The name a remote <see cref="Endpoint"/> serves its model under, sent as each request's <c>model</c> (null: none
    /// is sent, and the server answers with the model it serves).</summary>
    public string? ModelId { get; set; }

    /// <summary>How a local engine loads and serves (device, KV cache, batching, speculative decoding).</summary>
    public LongCatOptions Engine { get; set; } = new();

    /// <summary>Generation settings of the registered chat client where a request's options leave them unset (a remote engine's
    /// requests carry them too).</summary>
    public GenerationOptions Generation { get; set; } = new();
}
