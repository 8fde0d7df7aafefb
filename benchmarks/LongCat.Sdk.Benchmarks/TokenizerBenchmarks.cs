using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LongCat.Sdk.Text;
using Microsoft.ML.Tokenizers;
using MlTokenizer = Microsoft.ML.Tokenizers.Tokenizer;
using Tokenizer = LongCat.Sdk.Text.Tokenizer;

namespace LongCat.Sdk.Benchmarks;

/// <summary>
/// Encoding the tokenizer conformance corpus (tests/fixtures/tokenizers/corpus.json, 47 lines: prose, code, CJK, emoji,
/// whitespace runs, digits, special tokens; repeated 8 times) with gpt-oss's tokenizer.json, against the same-run baseline
/// Microsoft.ML.Tokenizers' tiktoken with o200k_base (the same vocabulary and pre-tokenizer regex). The setup prints the
/// corpus size in bytes and tokens (tokens/s = tokens / mean time) and how many lines the two encode to the same ids.
/// "NoCache" turns the pre-token cache off, so every pre-token goes through BPE merges.
/// </summary>
[ShortRunJob]
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private string[] _lines = [];
    private Tokenizer _gptOss = null!, _gptOssNoCache = null!, _qwen3 = null!;
    private MlTokenizer _tiktoken = null!;
    private int[][] _ids = [];

    [GlobalSetup]
    public void Setup()
    {
        string dir = Path.Combine(RepoRoot(), "tests", "fixtures", "tokenizers");
        var corpus = JsonSerializer.Deserialize<string[]>(File.ReadAllBytes(Path.Combine(dir, "corpus.json")))!;
        _lines = [.. Enumerable.Repeat(corpus, 8).SelectMany(x => x)];
        byte[] gptOssJson = Gunzip(Path.Combine(dir, "gptoss", "tokenizer.json.gz"));
        _gptOss = Tokenizer.FromJson(gptOssJson, "gptoss");
        _gptOssNoCache = TokenizerLoader.Load(gptOssJson, "gptoss", cacheCapacity: 0);
        _qwen3 = Tokenizer.FromJson(Gunzip(Path.Combine(dir, "qwen3", "tokenizer.json.gz")), "qwen3");
        _tiktoken = TiktokenTokenizer.CreateForModel("gpt-4o");
        _ids = [.. _lines.Select(l => _gptOss.Encode(l))];

        long bytes = _lines.Sum(l => (long)Encoding.UTF8.GetByteCount(l));
        long tokens = _ids.Sum(i => (long)i.Length);
        int same = corpus.Count(l => _tiktoken.EncodeToIds(l).SequenceEqual(_gptOss.Encode(l)));
        Console.WriteLine($"// corpus x8: {_lines.Length} lines, {bytes} UTF-8 bytes, {tokens} gpt-oss tokens; " +
                          $"ML.Tokenizers o200k gives the same ids on {same} of {corpus.Length} lines");
    }

    [Benchmark(Baseline = true, Description = "ML.Tokenizers tiktoken o200k")]
    public int MlTokenizersTiktoken()
    {
        int n = 0;
        foreach (var line in _lines) n += _tiktoken.EncodeToIds(line).Count;
        return n;
    }

    [Benchmark(Description = "LongCat gpt-oss tokenizer.json")]
    public int GptOss() => EncodeAll(_gptOss);

    [Benchmark(Description = "LongCat gpt-oss, no cache")]
    public int GptOssNoCache() => EncodeAll(_gptOssNoCache);

    [Benchmark(Description = "LongCat qwen3 (NFC, single digits)")]
    public int Qwen3() => EncodeAll(_qwen3);

    [Benchmark(Description = "LongCat gpt-oss decode")]
    public int GptOssDecode()
    {
        int n = 0;
        foreach (var ids in _ids) n += _gptOss.Decode(ids).Length;
        return n;
    }

    private int EncodeAll(Tokenizer t)
    {
        int n = 0;
        foreach (var line in _lines) n += t.Encode(line).Length;
        return n;
    }

    private static byte[] Gunzip(string path)
    {
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "LongCat.Sdk.sln"))) return d.FullName;
        throw new InvalidOperationException("run from inside the repository (LongCat.Sdk.sln not found above the benchmark)");
    }
}
