namespace LongCat.Sdk;

/// <summary>Base type of every error the SDK raises on purpose: bad input, unsupported models, exhausted resources.</summary>
public class LongCatException : Exception
{
    /// <summary>Creates the exception with a message that names the offending file, tensor, field or value.</summary>
    public LongCatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the low-level cause.</summary>
    public LongCatException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A checkpoint file is malformed or does not match the model: truncated shard, bad header, wrong dtype or shape, missing tensor.</summary>
public sealed class InvalidCheckpointException : LongCatException
{
    /// <summary>Creates the exception; <paramref name="file"/> is the file the problem was found in.</summary>
    public InvalidCheckpointException(string file, string message, Exception? inner = null)
        : base($"{System.IO.Path.GetFileName(file)}: {message}", inner) => File = file;

    /// <summary>The file in which the problem was found.</summary>
    public string File { get; }
}

/// <summary>config.json is missing a field, has a value of the wrong type, or describes an inconsistent or unsupported model.</summary>
public sealed class InvalidConfigException : LongCatException
{
    /// <summary>Creates the exception for <paramref name="field"/>.</summary>
    public InvalidConfigException(string field, string message)
        : base($"config.json field '{field}': {message}") => Field = field;

    /// <summary>The config.json key that is missing or wrong.</summary>
    public string Field { get; }
}

/// <summary>The paged KV cache has no free block for a sequence that needs one.</summary>
public sealed class KvCacheExhaustedException : LongCatException
{
    /// <summary>Creates the exception.</summary>
    public KvCacheExhaustedException(int requested, int free)
        : base($"KV cache exhausted: {requested} block(s) requested, {free} free. Raise the KV cache memory or shorten the request.") { }
}

/// <summary>A request does not fit in the model's context window.</summary>
public sealed class ContextOverflowException : LongCatException
{
    /// <summary>Creates the exception.</summary>
    public ContextOverflowException(int tokens, int limit)
        : base($"Context overflow: {tokens} tokens exceed the limit of {limit}.") { }
}

/// <summary>A tokenizer.json is well formed but uses a component (model type, normalizer, pre-tokenizer, decoder or option) the SDK does not implement.</summary>
public sealed class UnsupportedTokenizerException : LongCatException
{
    /// <summary>Creates the exception for <paramref name="component"/> (its JSON path, e.g. <c>normalizer.type</c>) in <paramref name="file"/>.</summary>
    public UnsupportedTokenizerException(string file, string component, string message)
        : base($"{System.IO.Path.GetFileName(file)}: {component}: {message}")
    {
        File = file;
        Component = component;
    }

    /// <summary>The tokenizer file.</summary>
    public string File { get; }

    /// <summary>The JSON path of the unsupported part.</summary>
    public string Component { get; }
}
