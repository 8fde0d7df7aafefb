namespace LongCat.Sdk.Structured;

/// <summary>
/// Tokens sorted by their bytes, as a trie laid out in preorder: node i takes byte <see cref="Byte"/>[i] at depth
/// <see cref="Depth"/>[i] (1 = a token's first byte), its subtree ends before <see cref="End"/>[i], and the tokens spelled by
/// the path to it are <see cref="TokenIds"/>[TokenStart[i]..TokenStart[i+1]). A walk that rejects a node's byte skips to its
/// End: every token sharing that prefix is rejected at once.
/// </summary>
internal sealed class TokenTrie
{
    private TokenTrie(byte[] bytes, int[] depth, int[] end, int[] tokenStart, int[] tokenIds)
    {
        Byte = bytes;
        Depth = depth;
        End = end;
        TokenStart = tokenStart;
        TokenIds = tokenIds;
        MaxDepth = depth.Length == 0 ? 0 : depth.Max();
    }

    public int Count => Byte.Length;
    public byte[] Byte { get; }
    public int[] Depth { get; }
    public int[] End { get; }
    /// <summary>[Count + 1] offsets into <see cref="TokenIds"/>.</summary>
    public int[] TokenStart { get; }
    public int[] TokenIds { get; }
    public int MaxDepth { get; }

    /// <summary>The trie of <paramref name="ids"/> (non-empty tokens of <paramref name="vocabulary"/>).</summary>
    public static TokenTrie Build(TokenVocabulary vocabulary, IEnumerable<int> ids)
    {
        var sorted = ids.ToArray();
        Array.Sort(sorted, (a, b) =>
        {
            int c = vocabulary.Bytes(a).SequenceCompareTo(vocabulary.Bytes(b));
            return c != 0 ? c : a.CompareTo(b);
        });
        return BuildSorted(vocabulary, sorted);
    }

    /// <summary>The trie of <paramref name="sorted"/>, already in byte order (a walk's output is).</summary>
    /// <remarks>In byte order a token's last node is always the newest node (a prefix sorts before its extensions), so each
    /// node's tokens are appended between its creation and the next node's.</remarks>
    public static TokenTrie BuildSorted(TokenVocabulary vocabulary, IReadOnlyList<int> sorted)
    {
        var bytes = new List<byte>();
        var depth = new List<int>();
        var end = new List<int>();
        var tokenStart = new List<int>();
        var path = new List<int>();                          // the node at each depth of the current token
        int previous = -1;
        for (int t = 0; t < sorted.Count; t++)
        {
            var token = vocabulary.Bytes(sorted[t]);
            if (token.IsEmpty) throw new ArgumentException($"Token {sorted[t]} has no bytes.", nameof(sorted));
            int common = previous < 0 ? 0 : token.CommonPrefixLength(vocabulary.Bytes(previous));
            if (previous >= 0 && token.SequenceCompareTo(vocabulary.Bytes(previous)) < 0)
                throw new ArgumentException("Tokens are not in byte order.", nameof(sorted));
            while (path.Count > common)
            {
                end[path[^1]] = bytes.Count;
                path.RemoveAt(path.Count - 1);
            }
            for (int k = common; k < token.Length; k++)
            {
                path.Add(bytes.Count);
                bytes.Add(token[k]);
                depth.Add(k + 1);
                end.Add(0);
                tokenStart.Add(t);
            }
            previous = sorted[t];
        }
        foreach (int node in path) end[node] = bytes.Count;
        tokenStart.Add(sorted.Count);
        return new TokenTrie([.. bytes], [.. depth], [.. end], [.. tokenStart], [.. sorted]);
    }
}
