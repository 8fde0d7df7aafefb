using System.Text.Json;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Text;

/// <summary>Reads a Hugging Face tokenizer.json of the byte-level BPE kind into a <see cref="Tokenizer"/>.</summary>
internal static class TokenizerLoader
{
    /// <param name="utf8Json">The file's text.</param>
    /// <param name="file">Names the file in errors.</param>
    /// <param name="cacheCapacity">The BPE cache's capacity; 0 turns it off (benchmarks measure both).</param>
    /// <param name="modelVocabularySize">The vocab_size of the model the tokenizer serves, or null: a token id at or past it is
    /// an error naming the entry, and the tokenizer's id tables cover every id below it (those that name no token decode to
    /// nothing, as the Rust library skips ids it has no token for).</param>
    public static Tokenizer Load(ReadOnlySpan<byte> utf8Json, string file, int cacheCapacity = 16_384, int? modelVocabularySize = null)
    {
        int idLimit = modelVocabularySize ?? TokenizerJson.MaxTokenId + 1;
        var json = new TokenizerJson(file);
        using (var document = JsonFile.Parse(utf8Json.ToArray(), (problem, inner) => new InvalidCheckpointException(file, problem, inner), maxDepth: 256))
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw json.Invalid("(root)", $"expected an object, found {TokenizerJson.Describe(root.ValueKind)}");
            var modelElement = json.Required(root, "model", "model", JsonValueKind.Object);
            var (model, vocab) = Model(json, modelElement, cacheCapacity, idLimit);
            var added = AddedTokens(json, root, vocab, idLimit);
            var normalizer = TokenizerComponents.Normalizer(json, root);
            var steps = TokenizerComponents.PreTokenizer(json, root);
            TokenizerComponents.CheckDecoder(json, root);
            return new Tokenizer(model, vocab, added, normalizer, steps, modelVocabularySize ?? 0);
        }
    }

    private static (BpeModel Model, Dictionary<string, int> Vocab) Model(TokenizerJson json, JsonElement m, int cacheCapacity, int idLimit)
    {
        string type = json.OptionalString(m, "type", "model.type") ?? "BPE";
        if (type != "BPE") throw json.Unsupported("model.type", $"'{type}' is not supported (supported: BPE)");
        if (json.Bool(m, "byte_fallback", "model.byte_fallback", false))
            throw json.Unsupported("model.byte_fallback", "true is not supported (byte-level BPE has every byte in its vocabulary)");
        if (json.Optional(m, "dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
            throw json.Unsupported("model.dropout", $"{dropout.GetRawText()} is not supported (BPE dropout makes encoding random)");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(json.OptionalString(m, affix, "model." + affix)))
                throw json.Unsupported("model." + affix, "a non-empty value is not supported");

        var vocabElement = json.Required(m, "vocab", "model.vocab", JsonValueKind.Object);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        int entryIndex = 0;
        foreach (var entry in vocabElement.EnumerateObject())
        {
            string token = json.Key(entry, $"model.vocab (entry {entryIndex++})");
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id is < 0 or > TokenizerJson.MaxTokenId)
                json.Id(entry.Value, $"model.vocab[\"{token}\"]");                          // throws, naming the entry
            else if (id >= idLimit) throw OutsideModel(json, $"model.vocab[\"{token}\"]", id, idLimit);
            else vocab[token] = id;
        }

        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        var mergesElement = json.Required(m, "merges", "model.merges", JsonValueKind.Array);
        var merges = new Dictionary<MergePair, long>(mergesElement.GetArrayLength());
        int rank = 0, skipped = 0;
        Span<char> joined = stackalloc char[256];
        int Find(ReadOnlySpan<char> token, int index) => lookup.TryGetValue(token, out int id) ? id
            : throw json.Invalid($"model.merges[{index}]", $"names the token '{token}', which is not in model.vocab");
        foreach (var merge in mergesElement.EnumerateArray())
        {
            int index = rank + skipped;                   // the merge's index in the array, for error messages
            ReadOnlySpan<char> left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string line = json.Text(merge, $"model.merges[{index}]");
                if (line.StartsWith("#version", StringComparison.Ordinal)) { skipped++; continue; }   // a merges.txt header, as in the Rust crate
                int space = line.IndexOf(' ');
                if (space < 0 || line.IndexOf(' ', space + 1) >= 0)
                    throw json.Invalid($"model.merges[{index}]", $"'{line}' is not two tokens separated by one space");
                left = line.AsSpan(0, space);
                right = line.AsSpan(space + 1);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                     && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                left = json.Text(merge[0], $"model.merges[{index}]");
                right = json.Text(merge[1], $"model.merges[{index}]");
            }
            else throw json.Invalid($"model.merges[{index}]", $"expected \"a b\" or [\"a\", \"b\"], found {merge.GetRawText()}");

            int a = Find(left, index), b = Find(right, index);
            int length = left.Length + right.Length;
            Span<char> both = length <= joined.Length ? joined[..length] : new char[length];
            left.CopyTo(both);
            right.CopyTo(both[left.Length..]);
            if (!lookup.TryGetValue(both, out int mergedId))
                throw json.Invalid($"model.merges[{index}]", $"merges into '{both}', which is not in model.vocab");
            merges[BpeMerger.PairKey(a, b)] = BpeMerger.MergeValue(rank++, mergedId);   // a repeated pair keeps its last rank, as in Rust
        }

        int unkId = -1;
        if (json.OptionalString(m, "unk_token", "model.unk_token") is { } unk && !vocab.TryGetValue(unk, out unkId))
            throw json.Invalid("model.unk_token", $"'{unk}' is not in model.vocab");
        bool ignoreMerges = json.Bool(m, "ignore_merges", "model.ignore_merges", false);
        bool fuseUnk = json.Bool(m, "fuse_unk", "model.fuse_unk", false);
        return (new BpeModel(vocab, merges, ignoreMerges, unkId, fuseUnk, cacheCapacity), vocab);
    }

    /// <summary>
    /// The added tokens. The Rust crate does not trust the ids written in the file: a token whose content is in the model
    /// vocabulary gets that id, any other the next id from the vocabulary's size on. A file whose ids disagree with that
    /// would tokenize differently in Python and here, so it is refused.
    /// </summary>
    private static List<AddedToken> AddedTokens(TokenizerJson json, JsonElement root, Dictionary<string, int> vocab, int idLimit)
    {
        var result = new List<AddedToken>();
        if (json.Optional(root, "added_tokens") is not { } list) return result;
        if (list.ValueKind != JsonValueKind.Array) throw json.Invalid("added_tokens", $"expected an array, found {TokenizerJson.Describe(list.ValueKind)}");
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        int nextId = vocab.Count, i = 0;
        foreach (var t in list.EnumerateArray())
        {
            string path = $"added_tokens[{i++}]";
            if (t.ValueKind != JsonValueKind.Object) throw json.Invalid(path, $"expected an object, found {TokenizerJson.Describe(t.ValueKind)}");
            string content = json.String(t, "content", path + ".content");
            int id = json.Id(json.Required(t, "id", path + ".id", JsonValueKind.Number), path + ".id");
            if (content.Length == 0) continue;                                           // ignored by the Rust crate too
            bool repeated = byContent.TryGetValue(content, out int seen);
            int expected = repeated ? seen : vocab.TryGetValue(content, out int inVocab) ? inVocab : nextId++;
            if (id != expected)
                throw json.Invalid(path + ".id", $"'{content}' has id {id}, but Hugging Face tokenizers gives it id {expected} " +
                                                 "(the model vocabulary's id for its content, else the next id after the vocabulary)");
            if (id >= idLimit) throw OutsideModel(json, $"{path}.id", id, idLimit, $"'{content}' ");
            byContent[content] = id;
            bool special = json.Bool(t, "special", path + ".special", false);
            if (repeated) result.RemoveAll(x => x.Content == content);                   // the last entry's flags win
            result.Add(new AddedToken(id, content, special,
                json.Bool(t, "single_word", path + ".single_word", false),
                json.Bool(t, "lstrip", path + ".lstrip", false),
                json.Bool(t, "rstrip", path + ".rstrip", false),
                json.Bool(t, "normalized", path + ".normalized", !special)));
        }
        return result;
    }

    private static InvalidCheckpointException OutsideModel(TokenizerJson json, string path, int id, int idLimit, string what = "") =>
        json.Invalid(path, $"{what}id {id} is not below the model's vocabulary size {idLimit} (config.json vocab_size): the model can neither read nor produce it");
}
