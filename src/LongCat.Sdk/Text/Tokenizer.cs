using System.Buffers;
using System.IO.Compression;
using System.Text;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Text;

/// <summary>
/// A Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2, Llama 3, Qwen, DeepSeek, gpt-oss and LongCat), encoding
/// and decoding exactly as the Rust <c>tokenizers</c> library does: added tokens are cut out of the text first (longest
/// match, special ones only when <c>parseSpecialTokens</c>), the rest is normalized (NFC/NFD), pre-tokenized (Split regexes,
/// Digits, ByteLevel) and each piece is BPE-encoded over its UTF-8 bytes.
/// </summary>
/// <remarks>
/// <para>The <c>post_processor</c> is not applied: <c>Encode</c> adds no BOS/EOS or template tokens (LongCat's prompts
/// start without BOS; add such ids yourself where a model wants them). Ids are those of <c>encode(text, add_special_tokens=False)</c>.</para>
/// <para>Thread-safe: one instance may encode and decode on many threads at once.</para>
/// <para>It is a <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>: code written for Microsoft.ML.Tokenizers (text chunkers, token
/// counting, Microsoft.Extensions.AI and Semantic Kernel utilities) takes it as is, with span, count and truncation APIs.</para>
/// </remarks>
public sealed partial class Tokenizer : Microsoft.ML.Tokenizers.Tokenizer
{
    private readonly BpeModel _model;
    private readonly Dictionary<string, int> _vocab;
    private readonly TextNormalizer? _normalizer;
    private readonly PreTokenizerStep[] _steps;
    private readonly AddedTokenMatcher _rawAdded;          // added tokens with normalized = false, matched in the input
    private readonly AddedTokenMatcher _normalizedAdded;   // normalized = true, matched in the normalized text
    private readonly AddedToken[] _addedTokens;
    private readonly Dictionary<string, int> _addedIds;
    private readonly string?[] _tokens;                    // id -> vocabulary entry or added token content
    private readonly bool[] _special;
    private readonly byte[] _bytes;                        // every token's bytes, back to back
    private readonly int[] _offsets;                       // token id -> start in _bytes; [VocabSize] = end

    // minimumSize: ids the tables cover at least (a model's vocab_size), so that ids with no token decode to nothing.
    internal Tokenizer(BpeModel model, Dictionary<string, int> vocab, List<AddedToken> added, TextNormalizer? normalizer, PreTokenizerStep[] steps,
        int minimumSize = 0)
    {
        _model = model;
        _vocab = vocab;
        _normalizer = normalizer;
        _steps = steps;
        _addedTokens = [.. added];
        _addedIds = added.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        // Special tokens first, as the Rust crate builds its automaton (it matters only for tokens of equal content).
        var raw = added.Where(t => !t.Normalized).OrderBy(t => t.Special ? 0 : 1).ToList();
        _rawAdded = new AddedTokenMatcher(raw, [.. raw.Select(t => t.Content)]);
        var normalized = added.Where(t => t.Normalized).OrderBy(t => t.Special ? 0 : 1).ToList();
        _normalizedAdded = new AddedTokenMatcher(normalized,
            [.. normalized.Select(t => normalizer is null ? t.Content : normalizer.Normalize(t.Content.AsMemory()).ToString())]);

        int size = Math.Max(minimumSize, Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, added.Count == 0 ? 0 : added.Max(t => t.Id) + 1));
        _tokens = new string?[size];
        _special = new bool[size];
        foreach (var (token, id) in vocab) _tokens[id] ??= token;
        foreach (var t in added) { _tokens[t.Id] = t.Content; _special[t.Id] = t.Special; }
        _offsets = new int[size + 1];
        var bytes = new byte[size * 8];
        int total = 0;
        for (int id = 0; id < size; id++)
        {
            _offsets[id] = total;
            if (_tokens[id] is not { } s) continue;
            if (total + s.Length * 3 > bytes.Length) Array.Resize(ref bytes, Math.Max(bytes.Length * 2, total + s.Length * 3));
            total += ByteLevel.TokenBytes(s, bytes.AsSpan(total));
        }
        _offsets[size] = total;
        _bytes = bytes[..total];
    }

    /// <summary>Loads a tokenizer.json (also gzipped: a file starting with the gzip signature is decompressed).</summary>
    /// <remarks>The path must name a regular file (through symbolic links) of at most 64 MiB, and a gzipped one must decompress to
    /// at most 64 MiB.</remarks>
    /// <exception cref="InvalidCheckpointException">The file is not a regular file, too large, not valid JSON, or a field is
    /// missing or wrong (the message names it).</exception>
    /// <exception cref="UnsupportedTokenizerException">The file uses a model, normalizer, pre-tokenizer or decoder the SDK does not implement.</exception>
    public static Tokenizer FromFile(string path) => FromFile(path, modelVocabularySize: null);

    /// <summary>Loads a tokenizer.json for a model of <paramref name="modelVocabularySize"/> ids (see <see cref="TokenizerLoader.Load"/>):
    /// a token id at or past it is an <see cref="InvalidCheckpointException"/>, and <see cref="VocabSize"/> is at least it.</summary>
    internal static Tokenizer FromFile(string path, int? modelVocabularySize)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = RegularFile.ReadAll(path, RegularFile.MaxTokenizerBytes);
        if (data.Length >= 2 && data[0] == 0x1F && data[1] == 0x8B)
        {
            try
            {
                using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
                data = RegularFile.ReadAtMost(gzip, RegularFile.MaxTokenizerBytes,
                    (problem, inner) => new InvalidCheckpointException(path, $"decompresses to {problem}", inner));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidCheckpointException(path, $"not a valid gzip file: {e.Message}", e);
            }
        }
        return TokenizerLoader.Load(data, path, modelVocabularySize: modelVocabularySize);
    }

    /// <summary>Reads a tokenizer from the UTF-8 text of a tokenizer.json; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidCheckpointException">Not valid JSON, or a field is missing or wrong.</exception>
    /// <exception cref="UnsupportedTokenizerException">A component the SDK does not implement.</exception>
    public static Tokenizer FromJson(ReadOnlySpan<byte> utf8Json, string source = "tokenizer.json") => TokenizerLoader.Load(utf8Json, source);

    /// <summary>One more than the largest token id (vocabulary and added tokens); for an engine's tokenizer, at least the model's
    /// vocab_size (ids past the last token name none: they decode to nothing).</summary>
    public int VocabSize => _tokens.Length;

    /// <summary>The added tokens (special and not), in the file's order.</summary>
    internal IReadOnlyList<AddedToken> AddedTokens => _addedTokens;

    /// <summary>The id of a vocabulary entry (in its byte-level spelling, e.g. "Ġthe") or added token, or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _addedIds.TryGetValue(token, out int id) || _vocab.TryGetValue(token, out id) ? id : null;
    }

    /// <summary>The vocabulary entry or added token content of <paramref name="id"/>, or null for an unused id.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    /// <summary>Whether <paramref name="id"/> is a special added token (skipped by <see cref="Decode(ReadOnlySpan{int}, bool)"/> when asked).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>The UTF-8 bytes token <paramref name="id"/> stands for (they need not be whole characters).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is negative or not below <see cref="VocabSize"/>.</exception>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside 0..{_tokens.Length - 1}");
        return _bytes.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);
    }

    /// <summary>Token ids of <paramref name="text"/>, without BOS or any other post-processing.</summary>
    /// <param name="text">The text. Unpaired surrogates are read as U+FFFD.</param>
    /// <param name="parseSpecialTokens">Whether the text of a special token (e.g. <c>&lt;/longcat_s&gt;</c>) becomes that token;
    /// when false it is encoded as plain text (use this for untrusted user text). Non-special added tokens are always matched.</param>
    public int[] Encode(string text, bool parseSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, parseSpecialTokens, ids);
        return [.. ids];
    }

    /// <summary>Appends the token ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    public void Encode(string text, bool parseSpecialTokens, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ids);
        Encode(text, parseSpecialTokens, [], ids);
    }

    /// <summary>
    /// Token ids of a prompt that mixes trusted markup with untrusted content: added tokens (special or not) are recognised
    /// everywhere except where their text overlaps one of <paramref name="plainTextRanges"/>, which is encoded as plain text. So
    /// a user who types <c>&lt;/longcat_s&gt;</c> or <c>&lt;longcat_tool_response&gt;</c> gets the characters, not the token. Everywhere else the ids equal
    /// <see cref="Encode(string, bool)"/>'s (the ranges change only which special tokens are matched, not where pieces split).
    /// </summary>
    /// <param name="text">The whole prompt.</param>
    /// <param name="plainTextRanges">Ranges of <paramref name="text"/> holding untrusted content, in any order.</param>
    /// <exception cref="ArgumentOutOfRangeException">A range lies outside <paramref name="text"/>.</exception>
    public int[] Encode(string text, IReadOnlyList<Range> plainTextRanges)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(plainTextRanges);
        var ranges = new (int Start, int End)[plainTextRanges.Count];
        for (int i = 0; i < ranges.Length; i++)
        {
            var (offset, length) = plainTextRanges[i].GetOffsetAndLength(text.Length);
            ranges[i] = (offset, offset + length);
        }
        Array.Sort(ranges);
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, parseSpecialTokens: true, ranges, ids);
        return [.. ids];
    }

    // plainText: sorted [start, end) ranges of text where special tokens are not matched.
    private void Encode(string text, bool parseSpecialTokens, ReadOnlySpan<(int Start, int End)> plainText, List<int> ids)
    {
        // Lone surrogates become U+FFFD one char for one char, so the ranges still index the same characters.
        string source = ReplaceLoneSurrogates(text);
        var input = source.AsMemory();
        var scratch = new PreTokenizerScratch();
        var segments = new List<TextSegment>();
        var inner = new List<TextSegment>();
        _rawAdded.Split(input, parseSpecialTokens, segments, plainText);
        foreach (var segment in segments)
        {
            if (segment.IsToken) { ids.Add(segment.TokenId); continue; }
            if (segment.Text.IsEmpty) continue;
            var normalized = _normalizer is null ? segment.Text : _normalizer.Normalize(segment.Text);
            inner.Clear();
            // Normalization moves offsets, so a segment touching untrusted content matches no normalized added token at all.
            if (plainText.IsEmpty || !AddedTokenMatcher.Overlaps(plainText, Offset(segment.Text), Offset(segment.Text) + segment.Text.Length))
                _normalizedAdded.Split(normalized, parseSpecialTokens, inner);
            else
                inner.Add(new TextSegment(normalized, -1));
            foreach (var piece in inner)
                if (piece.IsToken) ids.Add(piece.TokenId);
                else if (!piece.Text.IsEmpty) PreTokenizeAndEncode(piece.Text, scratch, ids);
        }
    }

    private void PreTokenizeAndEncode(ReadOnlyMemory<char> text, PreTokenizerScratch scratch, List<int> ids)
    {
        scratch.Current.Clear();
        scratch.Current.Add(text);
        foreach (var step in _steps)
        {
            scratch.Next.Clear();
            foreach (var piece in scratch.Current) step.Split(piece, scratch, scratch.Next);
            (scratch.Current, scratch.Next) = (scratch.Next, scratch.Current);
        }
        foreach (var piece in scratch.Current) _model.Encode(piece.Span, ids);
    }

    /// <summary>
    /// The text of <paramref name="ids"/>: their bytes joined and read as UTF-8, each invalid or incomplete sequence becoming
    /// U+FFFD (as the Rust library's ByteLevel decoder and <c>String::from_utf8_lossy</c> do).
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special added tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not below <see cref="VocabSize"/>.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        int length = 0;
        foreach (int id in ids)
            if (!(skipSpecialTokens && IsSpecial(id))) length += TokenBytes(id).Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int at = 0;
            foreach (int id in ids)
            {
                if (skipSpecialTokens && _special[id]) continue;
                var bytes = TokenBytes(id);
                bytes.CopyTo(buffer.AsSpan(at));
                at += bytes.Length;
            }
            return Encoding.UTF8.GetString(buffer, 0, at);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Offset(ReadOnlyMemory<char> slice) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetString(slice, out _, out int start, out _) ? start : 0;

    private static string ReplaceLoneSurrogates(string text)
    {
        var span = text.AsSpan();
        for (int i = span.IndexOfAnyInRange('\uD800', '\uDFFF'); i >= 0 && i < span.Length; i++)
        {
            if (!char.IsSurrogate(span[i])) continue;
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1])) { i++; continue; }
            var sb = new StringBuilder(text.Length);
            foreach (var rune in text.EnumerateRunes()) sb.Append(rune.ToString());   // an unpaired surrogate enumerates as U+FFFD
            return sb.ToString();
        }
        return text;
    }
}
