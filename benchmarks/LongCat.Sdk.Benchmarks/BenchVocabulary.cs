using System.IO.Compression;
using System.Text;
using LongCat.Sdk.Structured;
using LongCat.Sdk.Text;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// 131,072-token byte-level vocabularies for the constraint benchmark (LongCat-Flash's vocabulary size), built here from what
/// the repository holds: nothing is downloaded. <see cref="Synthetic"/> is the fixture of record; <see cref="Qwen3"/> is a
/// real BPE vocabulary cut to the same size, a check that the fixture's token mix is not kinder than a real one.
/// </summary>
internal sealed record BenchVocabulary(string Name, TokenVocabulary Vocabulary, int EndToken)
{
    public const int Size = 131_072;

    private static readonly string[] Onsets =
    [
        "", "", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "t", "v", "w", "y", "z", "bl", "br",
        "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "str", "sw", "th",
        "tr", "tw", "wh", "wr",
    ];
    private static readonly string[] Nuclei = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "y", "ai", "ea", "ee", "ie", "oo", "ou", "oa", "au"];
    private static readonly string[] Codas =
    [
        "", "", "", "", "b", "ck", "d", "ff", "g", "l", "ll", "m", "n", "nd", "ng", "nt", "p", "r", "rd", "rt", "s", "ss", "st", "t",
        "th", "x", "ze", "ght", "tion", "ment", "ing", "er", "ed", "ly", "es", "able",
    ];
    // What BPE vocabularies trained on code and JSON hold whole.
    private static readonly string[] JsonFragments =
    [
        "{\"", "\"}", "\":", "\": ", "\",", "\", \"", ",\"", ", \"", "\":\"", "\": \"", "\":{", "\":{\"", "\": {\"", "\":[", "\":[{",
        "\": [", "\": [{\"", "\"},", "\"},{\"", "},{", "}, {", "},{\"", "}}", "}}}", "}]", "}]}", "]}", "]},", "[{", "[{\"", "[]", "{}",
        "\"]", "\"],", "[\"", "\"\"", "\",\"", "true", "false", "null", " true", " false", " null", "true,", "false,", "null,",
        "\\n", "\\\"", "\\\\", "\\u00", "\\u", "\\t", "\":\"\"", "\":0", "\":1", "\":true", "\":false", "\":null", "0.", ".0",
        "-0", "e+", "E-", "1e", ".5", "00", "000", "T00:", ":00", ":00Z", "Z\"", "-01-", "202", "@", ".com", "://", "https",
    ];

    /// <summary>
    /// The demo tokenizer's 4,096 tokens at their ids (special and markup tokens are not text; EOS ends the output), then, all
    /// distinct and seeded: every byte, JSON fragments, whitespace runs, every 1-3 digit string with and without a leading space,
    /// punctuation runs, "key" fragments (<c>"word":</c>), ~9% non-ASCII (CJK characters and pairs, Cyrillic and accented
    /// Latin syllables, emoji, split UTF-8 sequences), and pseudo-English words of 1-4 syllables (lower, Capitalized, UPPER,
    /// most with a leading space) until 131,072 tokens.
    /// </summary>
    public static BenchVocabulary Synthetic(int seed = 19)
    {
        var tokenizer = Tokenizer.FromFile(Path.Combine(BenchCheckpoint.DemoModel, "tokenizer.json"));
        var demo = TokenVocabulary.FromTokenizer(tokenizer);
        var tokens = new List<byte[]?>(Size);
        var seen = new HashSet<string>(StringComparer.Ordinal);     // Latin-1 spelling of the bytes: one char per byte
        for (int id = 0; id < demo.Size; id++)
        {
            byte[]? bytes = demo.IsText(id) ? demo.Bytes(id).ToArray() : null;
            tokens.Add(bytes);
            if (bytes is not null) seen.Add(Encoding.Latin1.GetString(bytes));
        }
        bool Add(byte[] bytes)
        {
            if (tokens.Count >= Size || bytes.Length == 0 || !seen.Add(Encoding.Latin1.GetString(bytes))) return false;
            tokens.Add(bytes);
            return true;
        }
        void AddText(string text) => Add(Encoding.UTF8.GetBytes(text));

        var rng = new Random(seed);
        for (int b = 0; b < 256; b++) Add([(byte)b]);
        foreach (string f in JsonFragments) AddText(f);
        for (int n = 1; n <= 64; n++) AddText(new string(' ', n));
        for (int n = 1; n <= 16; n++) AddText(new string('\t', n));
        for (int n = 1; n <= 8; n++) AddText(new string('\n', n));
        for (int n = 1; n <= 32; n++) AddText("\n" + new string(' ', n));
        AddText("\r\n");
        for (int n = 1; n <= 3; n++)
            for (int v = 0, count = (int)Math.Pow(10, n); v < count; v++)
            {
                string digits = v.ToString("D" + n, System.Globalization.CultureInfo.InvariantCulture);
                AddText(digits);
                AddText(" " + digits);
            }
        const string punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
        for (int i = 0; i < 3_000; i++)
        {
            var run = new StringBuilder();
            for (int k = rng.Next(2, 5); k > 0; k--) run.Append(punctuation[rng.Next(punctuation.Length)]);
            AddText(run.ToString());
        }
        for (int i = 0; i < 4_000; i++)
        {
            string word = Word(rng, rng.Next(1, 3));
            AddText(rng.Next(6) switch
            {
                0 => "\"" + word,
                1 => word + "\"",
                2 => "\"" + word + "\":",
                3 => "_" + word,
                4 => "\"" + word + "\"",
                _ => word + "\":",
            });
        }
        for (int i = 0; i < 6_000; i++) AddText(((char)rng.Next(0x4E00, 0x9FA6)).ToString());
        for (int i = 0; i < 2_000; i++) AddText(new string([(char)rng.Next(0x4E00, 0x9FA6), (char)rng.Next(0x4E00, 0x9FA6)]));
        for (int i = 0; i < 3_000; i++)
        {
            var syllable = new StringBuilder(rng.Next(2) == 0 ? " " : "");
            int from = rng.Next(2) == 0 ? 0x430 : 0xE0;               // Cyrillic or accented Latin
            for (int k = rng.Next(2, 6); k > 0; k--) syllable.Append((char)(from + rng.Next(from == 0x430 ? 32 : 31)));
            AddText(syllable.ToString());
        }
        for (int i = 0; i < 300; i++) AddText(char.ConvertFromUtf32(0x1F300 + rng.Next(0x300)));
        for (int i = 0; i < 600; i++) Add([(byte)rng.Next(0xC2, 0xF0), (byte)rng.Next(0x80, 0xC0)]);   // a character's start, cut
        while (tokens.Count < Size)
        {
            string word = Word(rng, rng.Next(10) switch { < 4 => 1, < 8 => 2, 8 => 3, _ => 4 });
            AddText(rng.Next(100) switch
            {
                < 45 => " " + word,
                < 75 => word,
                < 87 => " " + char.ToUpperInvariant(word[0]) + word[1..],
                < 95 => char.ToUpperInvariant(word[0]) + word[1..],
                _ => word.ToUpperInvariant(),
            });
        }
        int end = tokenizer.TokenToId("</longcat_s>") ?? throw new InvalidOperationException("the demo tokenizer has no </longcat_s>");
        return new BenchVocabulary("synthetic (demo tokenizer + seeded pseudo-words)", TokenVocabulary.FromBytes(tokens), end);
    }

    /// <summary>Qwen3's byte-level BPE (tests/fixtures/tokenizers/qwen3), its first 131,071 ids (the most frequent merges), then
    /// one non-text end token at id 131,071.</summary>
    public static BenchVocabulary Qwen3()
    {
        string path = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(BenchCheckpoint.DemoModel))!, "tests", "fixtures", "tokenizers", "qwen3", "tokenizer.json.gz");
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var json = new MemoryStream();
        gzip.CopyTo(json);
        var full = TokenVocabulary.FromTokenizer(Tokenizer.FromJson(json.ToArray(), "qwen3"));
        var tokens = new byte[]?[Size];
        for (int id = 0; id < Size - 1; id++) tokens[id] = full.IsText(id) ? full.Bytes(id).ToArray() : null;
        return new BenchVocabulary("Qwen3 BPE, first 131,071 ids", TokenVocabulary.FromBytes(tokens), Size - 1);
    }

    private static string Word(Random rng, int syllables)
    {
        var word = new StringBuilder();
        for (int s = 0; s < syllables; s++)
            word.Append(Onsets[rng.Next(Onsets.Length)]).Append(Nuclei[rng.Next(Nuclei.Length)]).Append(Codas[rng.Next(Codas.Length)]);
        return word.ToString();
    }

    /// <summary>One line on the token mix: sizes, leading spaces, quotes, non-ASCII.</summary>
    public string Describe()
    {
        int text = 0, space = 0, quote = 0, nonAscii = 0, maxLength = 0;
        long bytes = 0;
        for (int id = 0; id < Vocabulary.Size; id++)
        {
            if (!Vocabulary.IsText(id)) continue;
            var b = Vocabulary.Bytes(id);
            text++;
            bytes += b.Length;
            maxLength = Math.Max(maxLength, b.Length);
            if (b[0] == (byte)' ') space++;
            if (b.Contains((byte)'"')) quote++;
            if (b.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0) nonAscii++;
        }
        return $"{Name}: {Vocabulary.Size:N0} ids, {text:N0} text tokens, mean {(double)bytes / text:F2} bytes (max {maxLength}), " +
               $"{100.0 * space / text:F0}% leading space, {100.0 * quote / text:F1}% with a quote, {100.0 * nonAscii / text:F0}% non-ASCII; end token {EndToken}";
    }
}
