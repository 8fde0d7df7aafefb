using LongCat.Sdk;
using LongCat.Sdk.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Exposes a <see cref="LongCatEngine"/> as an <see cref="IChatClient"/>.</summary>
public static class LongCatChatClientExtensions
{
    /// <summary>A <see cref="LongCatChatClient"/> over <paramref name="engine"/> (which it does not own).</summary>
    /// <param name="engine">The loaded engine.</param>
    /// <param name="defaults">Settings used where a request's <see cref="ChatOptions"/> leave them unset.</param>
    /// <remarks>Named as Microsoft.Extensions.AI's providers name theirs (<c>AsIChatClient</c>).</remarks>
    public static IChatClient AsIChatClient(this LongCatEngine engine, GenerationOptions? defaults = null) => new LongCatChatClient(engine, defaults);
}
