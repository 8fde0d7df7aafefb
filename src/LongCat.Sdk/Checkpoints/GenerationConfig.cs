using System.Text.Json;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// What the SDK reads of a model folder's generation_config.json: <c>eos_token_id</c>, an id or a list of ids, each ending a
/// generation as config.json's eos_token_id does. Numbers are read as <see cref="LongCatConfig"/> reads config.json's (an
/// integral value written as a float, 2.0, is the id 2); any other value, or an id outside the vocabulary, is an
/// <see cref="InvalidConfigException"/> naming the field and the file. The file is optional and its other fields are not read.
/// </summary>
internal static class GenerationConfig
{
    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "generation_config.json";

    /// <summary>config.json's eos_token_id, and generation_config.json's when the folder has the file.</summary>
    public static HashSet<int> EosTokens(string directory, LongCatConfig config)
    {
        var ids = new HashSet<int> { config.EosTokenId };
        string path = Path.Combine(directory, FileName);
        if (!RegularFile.Exists(path)) return ids;
        using var doc = JsonFile.Read(path, RegularFile.MaxConfigBytes, (problem, _) => new InvalidConfigException("(document)", problem, FileName));
        ids.UnionWith(EosTokenIds(doc.RootElement, config.VocabSize));
        return ids;
    }

    /// <summary>The eos_token_id ids of a generation_config.json document (none when the field is absent or null).</summary>
    public static List<int> EosTokenIds(JsonElement root, int vocabSize)
    {
        const string field = "eos_token_id";
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidConfigException("(document)", $"expected an object, found {root.ValueKind}", FileName);
        if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array) return [Id(value, field, vocabSize)];
        var ids = new List<int>();
        int i = 0;
        foreach (var e in value.EnumerateArray()) ids.Add(Id(e, $"{field}[{i++}]", vocabSize));
        return ids;
    }

    private static int Id(JsonElement value, string field, int vocabSize)
    {
        if (LongCatConfig.Integer(value) is not int id)
            throw new InvalidConfigException(field, $"expected a token id (an integer), found {value.ValueKind} {value.GetRawText()}", FileName);
        if ((uint)id >= (uint)vocabSize)
            throw new InvalidConfigException(field, $"{id} is outside the vocabulary [0, {vocabSize}) of config.json", FileName);
        return id;
    }
}
