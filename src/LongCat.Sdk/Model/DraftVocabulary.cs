using System.Text.Json;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Model;

/// <summary>
/// The tokens the MTP head drafts from: the most frequent ones of a text the model writes, ranked in the model folder's
/// <c>mtp_draft_vocab.json</c>. The head's logits are computed over these rows of lm_head only; its cost is dominated by
/// lm_head (a vocabulary-wide product for a one-layer head), and the tokens outside the set are rarely the draft that
/// would have been accepted. Verification is unchanged, so the output stays exactly the target's: a draft is still
/// accepted only where the target agrees (greedy), and the head's distribution is zero outside the set (sampling).
/// </summary>
/// <remarks>
/// File format: <c>{"size": N, "tokens": [id, ...]}</c>: token ids, most frequent first, no repeats; the first
/// <c>size</c> are drafted unless the options ask for another count. Frequency-ranked draft vocabularies are the FR-Spec
/// idea (Zhao et al., 2025) and EAGLE-3's reduced draft vocabulary.
/// </remarks>
internal static class DraftVocabulary
{
    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "mtp_draft_vocab.json";

    /// <summary>
    /// The draft token ids for <paramref name="directory"/>: with <paramref name="size"/> null the file's own size (or null,
    /// the whole vocabulary, when the folder has no file); 0: null; N: the file's first N.
    /// </summary>
    /// <exception cref="InvalidCheckpointException">The file is malformed, or has fewer than <paramref name="size"/> tokens.</exception>
    public static int[]? Resolve(string directory, int vocabSize, int? size)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (size is < 0) throw new ArgumentOutOfRangeException(nameof(size), size, "must not be negative");
        if (size == 0) return null;
        string path = Path.Combine(directory, FileName);
        if (!RegularFile.Exists(path))
        {
            if (size is null) return null;
            throw new InvalidCheckpointException(path, $"a draft vocabulary of {size} tokens was asked for, but the model folder has no {FileName}");
        }
        var (ranked, fileSize) = Read(path, vocabSize);
        int n = size ?? fileSize;
        if (n > ranked.Length)
            throw new InvalidCheckpointException(path, $"a draft vocabulary of {n} tokens was asked for; the file ranks {ranked.Length}");
        return ranked[..n];
    }

    /// <summary>Reads and checks a draft vocabulary file: (ranked ids, the file's size).</summary>
    /// <exception cref="InvalidCheckpointException">Not JSON of the format above, an id outside [0, <paramref name="vocabSize"/>), a
    /// repeated id, or a size outside [1, tokens].</exception>
    public static (int[] Ranked, int Size) Read(string path, int vocabSize)
    {
        using (var doc = JsonFile.Read(path, RegularFile.MaxDraftVocabularyBytes))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array)
                throw new InvalidCheckpointException(path, "expected an object with a \"tokens\" array of token ids");
            var ids = new int[tokens.GetArrayLength()];
            var seen = new HashSet<int>();
            int i = 0;
            foreach (var t in tokens.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt32(out int id))
                    throw new InvalidCheckpointException(path, $"tokens[{i}] is {t.GetRawText()}, not a token id");
                if ((uint)id >= (uint)vocabSize)
                    throw new InvalidCheckpointException(path, $"tokens[{i}] = {id} lies outside the vocabulary [0, {vocabSize})");
                if (!seen.Add(id)) throw new InvalidCheckpointException(path, $"tokens[{i}] = {id} is repeated");
                ids[i++] = id;
            }
            if (ids.Length == 0) throw new InvalidCheckpointException(path, "\"tokens\" is empty");
            int size = ids.Length;
            if (root.TryGetProperty("size", out var s))
            {
                if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out size) || size < 1 || size > ids.Length)
                    throw new InvalidCheckpointException(path, $"\"size\" is {s.GetRawText()}; expected a count in [1, {ids.Length}]");
            }
            return (ids, size);
        }
    }
}
