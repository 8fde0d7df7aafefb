namespace LongCat.Sdk.Text;

/// <summary>A rendered chat prompt and where its untrusted content lies (see <see cref="ChatTemplate.RenderPrompt"/>).</summary>
/// <param name="Text">The prompt text, identical to <see cref="ChatTemplate.Render"/>'s.</param>
/// <param name="PlainTextRanges">Ranges of <paramref name="Text"/> holding message content and tool definitions, in order: no
/// special token may be recognised inside them.</param>
internal sealed record ChatPrompt(string Text, IReadOnlyList<Range> PlainTextRanges)
{
    /// <summary>The prompt's token ids, with special tokens recognised only outside <see cref="PlainTextRanges"/>.</summary>
    public int[] Encode(Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.Encode(Text, PlainTextRanges);
    }
}
