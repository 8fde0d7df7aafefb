using System.Text.Json;

namespace LongCat.Sdk.Text;

/// <summary>Builds the normalizer, the pre-tokenizer steps and checks the decoder of a tokenizer.json.</summary>
internal static class TokenizerComponents
{
    public static TextNormalizer? Normalizer(TokenizerJson json, JsonElement root)
    {
        return json.Optional(root, "normalizer") is { } n ? Build(n, "normalizer") : null;

        TextNormalizer Build(JsonElement e, string path)
        {
            switch (json.Type(e, path, "NFC", "NFD", "Sequence"))
            {
                case "Sequence":
                    var list = json.Required(e, "normalizers", path + ".normalizers", JsonValueKind.Array);
                    return new TextNormalizer.Sequence([.. list.EnumerateArray().Select((x, i) => Build(x, $"{path}.normalizers[{i}]"))]);
                case var type:
                    return new TextNormalizer.Canonical(compose: type == "NFC");
            }
        }
    }

    /// <summary>The pre-tokenizer as a flat list of steps, ending with the one ByteLevel step a byte-level BPE needs.</summary>
    public static PreTokenizerStep[] PreTokenizer(TokenizerJson json, JsonElement root)
    {
        if (json.Optional(root, "pre_tokenizer") is not { } pre)
            throw json.Unsupported("pre_tokenizer", "null: a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer");
        var steps = new List<(PreTokenizerStep Step, string Path)>();
        Add(pre, "pre_tokenizer");
        int byteLevel = steps.FindIndex(s => s.Step is ByteLevelStep);
        if (byteLevel < 0) throw json.Unsupported("pre_tokenizer", "no ByteLevel step: only byte-level BPE tokenizers are supported");
        if (byteLevel != steps.Count - 1)
            throw json.Unsupported(steps[byteLevel + 1].Path, "a step after ByteLevel (it would split byte-level characters) is not supported");
        return [.. steps.Select(s => s.Step)];

        void Add(JsonElement e, string path)
        {
            switch (json.Type(e, path, "Sequence", "Split", "Digits", "ByteLevel"))
            {
                case "Sequence":
                    var list = json.Required(e, "pretokenizers", path + ".pretokenizers", JsonValueKind.Array);
                    int i = 0;
                    foreach (var x in list.EnumerateArray()) Add(x, $"{path}.pretokenizers[{i++}]");
                    break;
                case "Split":
                    steps.Add((Split(json, e, path), path));
                    break;
                case "Digits":
                    steps.Add((new DigitsStep(json.Bool(e, "individual_digits", path + ".individual_digits", false)), path));
                    break;
                default:
                    steps.Add((new ByteLevelStep(
                        json.Bool(e, "add_prefix_space", path + ".add_prefix_space", true),
                        json.Bool(e, "use_regex", path + ".use_regex", true)), path));
                    break;
            }
        }
    }

    private static SplitStep Split(TokenizerJson json, JsonElement e, string path)
    {
        var pattern = json.Required(e, "pattern", path + ".pattern", JsonValueKind.Object);
        string behaviorName = json.String(e, "behavior", path + ".behavior");
        if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior) || !Enum.IsDefined(behavior))
            throw json.Unsupported(path + ".behavior", $"'{behaviorName}' is not a split behavior (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
        bool invert = json.Bool(e, "invert", path + ".invert", false);
        if (json.OptionalString(pattern, "String", path + ".pattern.String") is { } literal)
            return new SplitStep(null, literal, behavior, invert);
        string regex = json.OptionalString(pattern, "Regex", path + ".pattern.Regex")
                       ?? throw json.Invalid(path + ".pattern", "expected {\"String\": …} or {\"Regex\": …}");
        if (regex.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0)
            throw json.Unsupported(path + ".pattern.Regex", "characters outside the BMP in a pattern are not supported");
        try
        {
            return new SplitStep(new UnicodeRegex(regex), null, behavior, invert);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw json.Unsupported(path + ".pattern.Regex", $"the pattern {regex} cannot be run with .NET's regex engine: {ex.Message}");
        }
    }

    /// <summary>Only the ByteLevel decoder (tokens' characters back to bytes, then UTF-8) is implemented: Decode and TokenBytes are that.</summary>
    public static void CheckDecoder(TokenizerJson json, JsonElement root)
    {
        if (json.Optional(root, "decoder") is not { } decoder)
            throw json.Unsupported("decoder", "null: a byte-level BPE tokenizer needs the ByteLevel decoder");
        if (json.Type(decoder, "decoder", "ByteLevel", "Sequence") == "Sequence")
        {
            var list = json.Required(decoder, "decoders", "decoder.decoders", JsonValueKind.Array);
            if (list.GetArrayLength() != 1) throw json.Unsupported("decoder.decoders", "only a Sequence holding just ByteLevel is supported");
            json.Type(list[0], "decoder.decoders[0]", "ByteLevel");
        }
    }
}
