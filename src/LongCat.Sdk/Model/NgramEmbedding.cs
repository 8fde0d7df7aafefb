using LongCat.Sdk.Checkpoints;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Model;

/// <summary>
/// Flash-Lite's N-gram embedding (LONGCAT.md §6, Meituan's reference semantics):
/// x = (E[id_t] + Σ_{n=2..N} Σ_{j&lt;K} post_proj[idx](embedder[idx][hash])) / (1 + K(N−1)), idx = (n−2)K + j.
/// Hashes are computed on the host from token ids (64-bit integers); the tables stay on the device.
/// </summary>
internal sealed class NgramEmbedding
{
    private readonly DeviceTensor[] _embedders, _postProjs;
    private readonly long _vocab, _baseRows;
    private readonly int _n, _k, _eos;

    public NgramEmbedding(WeightLoader w, LongCatConfig c)
    {
        _n = c.EmbNeighborNum;
        _k = c.EmbSplitNum;
        _eos = c.EosTokenId;
        _vocab = c.VocabSize;
        _baseRows = (long)c.NgramVocabSizeRatio * c.VocabSize;
        int count = c.NgramEmbedderCount, dim = c.HiddenSize / count;
        _embedders = new DeviceTensor[count];
        _postProjs = new DeviceTensor[count];
        for (int idx = 0; idx < count; idx++)
        {
            _embedders[idx] = w.Table(WeightNames.NgramEmbedder(idx), checked((int)Modulus(idx)), dim, rowsOnly: true);
            _postProjs[idx] = w.Linear(WeightNames.NgramPostProj(idx), c.HiddenSize, dim);
        }
    }

    /// <summary>Bytes one token reads: a row of each table and every post projection.</summary>
    public long WeightBytesPerToken => _embedders.Sum(t => t.WeightBytes / t.Rows) + _postProjs.Sum(p => p.WeightBytes);

    /// <summary>Context tokens a sequence must carry between steps: N−1.</summary>
    public int HistoryLength => _n - 1;

    /// <summary>M_idx = ratio·V + 2·idx + 1: every table has a distinct odd modulus.</summary>
    private long Modulus(int idx) => _baseRows + 2L * idx + 1;

    /// <summary>
    /// Hash ids [T, K(N−1)] for <paramref name="tokens"/> preceded by <paramref name="history"/>. A predecessor counts as 0 once the walk
    /// back crosses an EOS (a segment ends with, and includes, its EOS) or runs out of context.
    /// </summary>
    public void HashIds(ReadOnlySpan<int> history, ReadOnlySpan<int> tokens, Span<int> ids)
    {
        int count = _embedders.Length;
        Span<int> context = stackalloc int[history.Length + tokens.Length <= 1024 ? history.Length + tokens.Length : 0];
        int[]? big = context.Length == 0 && history.Length + tokens.Length > 0 ? new int[history.Length + tokens.Length] : null;
        if (big is not null) context = big;
        history.CopyTo(context);
        tokens.CopyTo(context[history.Length..]);
        Span<long> prev = stackalloc long[_n];                          // prev[d] = id_{t-d} or 0
        for (int t = 0; t < tokens.Length; t++)
        {
            int p = history.Length + t;
            prev.Clear();
            for (int d = 1; d < _n && p - d >= 0; d++)
            {
                int tok = context[p - d];
                if (tok == _eos) break;                                 // previous segment: this and earlier count as 0
                prev[d] = tok;
            }
            for (int n = 2; n <= _n; n++)
                for (int j = 0; j < _k; j++)
                {
                    int idx = (n - 2) * _k + j;
                    long m = Modulus(idx), h = context[p] % m, mult = 1;
                    for (int d = 1; d < n; d++)
                    {
                        mult = mult * _vocab % m;                       // V^d mod M
                        h = (h + prev[d] * mult) % m;
                    }
                    ids[t * count + idx] = (int)h;
                }
        }
    }

    /// <summary>output [T, H] (already holding the word embedding) gets the N-gram terms added and is averaged.</summary>
    public void Forward(IComputeBackend b, DeviceTensor ids, DeviceTensor output, DeviceTensor slice)
    {
        for (int idx = 0; idx < _embedders.Length; idx++)
        {
            b.Embedding(_embedders[idx], ids, idx, slice);          // [T, H/(K(N−1))]
            b.MatMul(slice, _postProjs[idx], output, accumulate: true);
        }
        b.Scale(output, 1f / (1 + _embedders.Length));               // the mean of 1 + K(N−1) terms
    }
}
