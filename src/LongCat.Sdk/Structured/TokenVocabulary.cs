using LongCat.Sdk.Text;

namespace LongCat.Sdk.Structured;

/// <summary>
/// The bytes of every token a constraint may allow, and its <see cref="TokenTrie"/> (built once, on first use). Added tokens
/// (special or not: end of turn, role and tool tags) and tokens of no bytes are never text: a grammar never allows them.
/// Immutable and thread-safe.
/// </summary>
internal sealed class TokenVocabulary
{
    private readonly byte[] _bytes;
    private readonly int[] _offsets;                         // id -> start in _bytes; [Size] = end
    private readonly bool[] _text;
    private readonly Lazy<TokenTrie> _trie;

    private TokenVocabulary(byte[] bytes, int[] offsets, bool[] text)
    {
        _bytes = bytes;
        _offsets = offsets;
        _text = text;
        _trie = new Lazy<TokenTrie>(() => TokenTrie.Build(this, Enumerable.Range(0, Size).Where(IsText)));
    }

    /// <summary>Token ids 0..Size−1.</summary>
    public int Size => _text.Length;

    public ReadOnlySpan<byte> Bytes(int id) => _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);

    /// <summary>Whether the token may appear inside constrained output.</summary>
    public bool IsText(int id) => (uint)id < (uint)_text.Length && _text[id];

    /// <summary>Every text token, sorted by bytes, as a trie.</summary>
    public TokenTrie Trie => _trie.Value;

    /// <summary>The text token of each single byte, the lowest id (−1: none; a byte-level BPE has all 256).</summary>
    public ReadOnlySpan<int> ByteTokens => _byteTokens ??= FindByteTokens();   // a race finds them twice, harmlessly
    private int[]? _byteTokens;

    private int[] FindByteTokens()
    {
        var ids = new int[256];
        Array.Fill(ids, -1);
        for (int id = Size - 1; id >= 0; id--)
            if (IsText(id) && Bytes(id) is [byte b]) ids[b] = id;
        return ids;
    }

    /// <summary>
    /// The tokenizer's tokens as text: every token but the special ones and the added tokens that look like markup (content
    /// <c>&lt;…&gt;</c> without whitespace: <c>&lt;longcat_tool_call&gt;</c>, <c>&lt;think&gt;</c>, which tokenizers often add
    /// as not special); such a token inside a JSON value would read as a control marker to every parser after it.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="markup">Markup tokens that are text here after all (the argument tags of an XML tool call, which its grammar
    /// places); special tokens never are.</param>
    public static TokenVocabulary FromTokenizer(Tokenizer tokenizer, IReadOnlySet<string>? markup = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var added = tokenizer.AddedTokens.Where(t => t.Special || (IsMarkup(t.Content) && markup?.Contains(t.Content) != true)).Select(t => t.Id).ToHashSet();
        var tokens = new byte[]?[tokenizer.VocabSize];
        for (int id = 0; id < tokens.Length; id++)
            if (!added.Contains(id) && !tokenizer.IsSpecial(id)) tokens[id] = tokenizer.TokenBytes(id).ToArray();
        return FromBytes(tokens);
    }

    private static bool IsMarkup(string content) =>
        content.Length >= 3 && content[0] == '<' && content[^1] == '>' && !content.Any(char.IsWhiteSpace);

    /// <summary>A vocabulary of the given token bytes; a null or empty entry is a token that is never text.</summary>
    public static TokenVocabulary FromBytes(IReadOnlyList<byte[]?> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var offsets = new int[tokens.Count + 1];
        var text = new bool[tokens.Count];
        for (int id = 0; id < tokens.Count; id++)
        {
            offsets[id + 1] = offsets[id] + (tokens[id]?.Length ?? 0);
            text[id] = tokens[id] is { Length: > 0 };
        }
        var bytes = new byte[offsets[^1]];
        for (int id = 0; id < tokens.Count; id++) tokens[id]?.CopyTo(bytes, offsets[id]);
        return new TokenVocabulary(bytes, offsets, text);
    }
}
