using System.Text.RegularExpressions;

namespace LongCat.Sdk.Text;

/// <summary>
/// Source-generated regexes for the pre-tokenizer patterns of widely used byte-level BPE tokenizers, so those load without
/// compiling a regex at run time. Any other pattern is compiled on load with the same options.
/// </summary>
internal static partial class KnownPatterns
{
    /// <summary>Oniguruma's defaults in .NET terms: no culture in case folding; ^ and $ match at line breaks (Ruby syntax).</summary>
    public const RegexOptions Options = RegexOptions.CultureInvariant | RegexOptions.Multiline;

    /// <summary>GPT-2's pattern, built into the ByteLevel pre-tokenizer (use_regex).</summary>
    public const string Gpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    private const string Llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private const string Qwen2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private const string O200k = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private const string Digits3 = "\\p{N}{1,3}";
    private const string DeepSeekCjk = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";
    private const string DeepSeekWords = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    [GeneratedRegex(Gpt2, Options)] private static partial Regex Gpt2Regex();
    [GeneratedRegex(Llama3, Options)] private static partial Regex Llama3Regex();
    [GeneratedRegex(Qwen2, Options)] private static partial Regex Qwen2Regex();
    [GeneratedRegex(O200k, Options)] private static partial Regex O200kRegex();
    [GeneratedRegex(Digits3, Options)] private static partial Regex Digits3Regex();
    [GeneratedRegex(DeepSeekCjk, Options)] private static partial Regex DeepSeekCjkRegex();
    [GeneratedRegex(DeepSeekWords, Options)] private static partial Regex DeepSeekWordsRegex();

    /// <summary>The generated regex for <paramref name="dotnetPattern"/>, or null when it is not one of the known patterns.</summary>
    public static Regex? Get(string dotnetPattern) => dotnetPattern switch
    {
        Gpt2 => Gpt2Regex(),
        Llama3 => Llama3Regex(),
        Qwen2 => Qwen2Regex(),
        O200k => O200kRegex(),
        Digits3 => Digits3Regex(),
        DeepSeekCjk => DeepSeekCjkRegex(),
        DeepSeekWords => DeepSeekWordsRegex(),
        _ => null,
    };
}
