namespace LongCat.Sdk.Text;

/// <summary>tokenizer.json's <c>normalizer</c>: rewrites text before pre-tokenization (and before normalized added tokens are matched).</summary>
internal abstract class TextNormalizer
{
    public abstract ReadOnlyMemory<char> Normalize(ReadOnlyMemory<char> text);

    /// <summary><c>NFC</c> or <c>NFD</c>.</summary>
    public sealed class Canonical(bool compose) : TextNormalizer
    {
        public override ReadOnlyMemory<char> Normalize(ReadOnlyMemory<char> text) => UnicodeNormalizer.Normalize(text, compose);
    }

    /// <summary><c>Sequence</c>: each normalizer in turn (an empty one changes nothing).</summary>
    public sealed class Sequence(IReadOnlyList<TextNormalizer> steps) : TextNormalizer
    {
        public override ReadOnlyMemory<char> Normalize(ReadOnlyMemory<char> text)
        {
            foreach (var step in steps) text = step.Normalize(text);
            return text;
        }
    }
}
