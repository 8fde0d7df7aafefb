using System.Buffers;
using System.Text;

namespace LongCat.Sdk.Text;

/// <summary>
/// The byte-level BPE model of tokenizer.json (<c>model.type = "BPE"</c>): turns one pre-token into token ids. The pre-token's
/// UTF-8 bytes start as one symbol each (the vocabulary entry of the byte's byte-level character) and are merged by rank
/// (<see cref="BpeMerger"/>). With <c>ignore_merges</c> a pre-token that is itself in the vocabulary is that one token.
/// A byte whose character is missing from the vocabulary becomes the unknown token (consecutive ones fused with
/// <c>fuse_unk</c>) or, without one, is dropped, as in the Rust crate. Results are cached per pre-token text.
/// </summary>
internal sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<long, long> _merges;
    private readonly int[] _byteIds = new int[256];       // token of each single byte, -1 when the vocabulary lacks it
    private readonly bool _ignoreMerges;
    private readonly int _unkId;
    private readonly bool _fuseUnk;
    private readonly BpeCache _cache = new(capacity: 16_384);

    /// <param name="vocab">Vocabulary entries (byte-level strings) to ids.</param>
    /// <param name="merges">Merge table keyed by <see cref="BpeMerger.PairKey"/>, values from <see cref="BpeMerger.MergeValue"/>.</param>
    /// <param name="ignoreMerges">A pre-token found whole in the vocabulary is that token.</param>
    /// <param name="unkId">The unknown token's id, or -1.</param>
    /// <param name="fuseUnk">Consecutive unknown bytes become one unknown token.</param>
    public BpeModel(Dictionary<string, int> vocab, Dictionary<long, long> merges, bool ignoreMerges, int unkId, bool fuseUnk)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _merges = merges;
        _ignoreMerges = ignoreMerges;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        for (int b = 0; b < 256; b++) _byteIds[b] = vocab.TryGetValue(ByteLevel.ByteToChar((byte)b).ToString(), out int id) ? id : -1;
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Appends the ids of pre-token <paramref name="piece"/> to <paramref name="ids"/>.</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (piece.IsEmpty) return;
        if (piece.Length == 1 && piece[0] < 0x80)
        {
            MergeInto([(byte)piece[0]], ids);
            return;
        }
        if (_cache.TryGet(piece, out int[] cached)) { ids.AddRange(cached); return; }

        int byteCount = Encoding.UTF8.GetByteCount(piece);
        byte[]? rented = byteCount > 512 ? ArrayPool<byte>.Shared.Rent(byteCount) : null;
        Span<byte> bytes = rented is null ? stackalloc byte[byteCount] : rented.AsSpan(0, byteCount);
        try
        {
            Encoding.UTF8.GetBytes(piece, bytes);
            int start = ids.Count;
            if (!(_ignoreMerges && TryWholeToken(bytes, ids))) MergeInto(bytes, ids);
            if (piece.Length <= 256) _cache.Add(piece.ToString(), ids.GetRange(start, ids.Count - start).ToArray());
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Appends the ids of raw <paramref name="bytes"/> (no cache): for callers and tests that hold bytes.</summary>
    public void EncodeBytes(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        if (!(_ignoreMerges && TryWholeToken(bytes, ids))) MergeInto(bytes, ids);
    }

    private bool TryWholeToken(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        char[]? rented = bytes.Length > 256 ? ArrayPool<char>.Shared.Rent(bytes.Length) : null;
        Span<char> chars = rented is null ? stackalloc char[bytes.Length] : rented.AsSpan(0, bytes.Length);
        ByteLevel.ToChars(bytes, chars);
        bool found = _vocabBySpan.TryGetValue(chars, out int id);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        if (found) ids.Add(id);
        return found;
    }

    private void MergeInto(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        int[]? rented = bytes.Length > 256 ? ArrayPool<int>.Shared.Rent(bytes.Length) : null;
        Span<int> symbols = rented is null ? stackalloc int[bytes.Length] : rented.AsSpan(0, bytes.Length);
        int n = 0;
        bool allKnown = true;
        foreach (byte b in bytes)
        {
            int id = _byteIds[b];
            if (id < 0) { allKnown = false; break; }
            symbols[n++] = id;
        }
        if (allKnown)
        {
            n = BpeMerger.Merge(symbols[..n], _merges);
            foreach (int id in symbols[..n]) ids.Add(id);
        }
        else MergeWithUnknown(bytes, ids);
        if (rented is not null) ArrayPool<int>.Shared.Return(rented);
    }

    // As the Rust crate: a byte without a vocabulary entry becomes the unknown token (one for a run with fuse_unk), or is
    // dropped when there is none, and the merges then run over the whole word.
    private void MergeWithUnknown(ReadOnlySpan<byte> bytes, List<int> ids)
    {
        var symbols = new List<int>(bytes.Length);
        bool lastWasUnk = false;
        foreach (byte b in bytes)
        {
            int id = _byteIds[b];
            if (id >= 0) { symbols.Add(id); lastWasUnk = false; continue; }
            if (_unkId < 0) continue;
            if (!(_fuseUnk && lastWasUnk)) symbols.Add(_unkId);
            lastWasUnk = true;
        }
        var array = symbols.ToArray();
        int n = BpeMerger.Merge(array, _merges);
        for (int i = 0; i < n; i++) ids.Add(array[i]);
    }
}
