namespace LongCat.Sdk;

/// <summary>Base type of every error the SDK raises on purpose: bad input, unsupported models, exhausted resources.</summary>
public class LongCatException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public LongCatException() { }

    /// <summary>Creates the exception with a message that names the offending file, tensor, field or value.</summary>
    public LongCatException(string? message) : base(message) { }

    /// <summary>Creates the exception wrapping the low-level cause.</summary>
    public LongCatException(string? message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A checkpoint file is malformed or does not match the model: truncated shard, bad header, wrong dtype or shape, missing
/// tensor, a path that is not a regular file.</summary>
public sealed class InvalidCheckpointException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public InvalidCheckpointException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public InvalidCheckpointException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public InvalidCheckpointException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception; <paramref name="file"/> is the file the problem was found in.</summary>
    public InvalidCheckpointException(string file, string message, Exception? innerException = null)
        : base($"{System.IO.Path.GetFileName(file)}: {message}", innerException) => File = file;

    /// <summary>The file in which the problem was found, when one is known.</summary>
    public string? File { get; }
}

/// <summary>A configuration file (config.json, generation_config.json) is missing a field, has a value of the wrong type, or
/// describes an inconsistent or unsupported model.</summary>
public sealed class InvalidConfigException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public InvalidConfigException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public InvalidConfigException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public InvalidConfigException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="field"/> of <paramref name="file"/>.</summary>
    public InvalidConfigException(string field, string message, string file = "config.json")
        : base($"{file} field '{field}': {message}")
    {
        Field = field;
        File = file;
    }

    /// <summary>The key that is missing or wrong, when one is known.</summary>
    public string? Field { get; }

    /// <summary>The configuration file, when one is known (config.json unless said otherwise).</summary>
    public string? File { get; }
}

/// <summary>The paged KV cache cannot hold what a request needs: no free block now, or more blocks than the cache has in all.</summary>
public sealed class KvCacheExhaustedException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public KvCacheExhaustedException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public KvCacheExhaustedException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public KvCacheExhaustedException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception: <paramref name="requestedBlocks"/> were needed and only <paramref name="freeBlocks"/> are free.</summary>
    public KvCacheExhaustedException(int requestedBlocks, int freeBlocks)
        : base($"KV cache exhausted: {requestedBlocks} block(s) requested, {freeBlocks} free. Raise the KV cache memory or shorten the request.")
    {
        RequestedBlocks = requestedBlocks;
        FreeBlocks = freeBlocks;
    }

    /// <summary>Creates the exception for a request that needs <paramref name="requestedBlocks"/> of a cache of <paramref name="totalBlocks"/> in all.</summary>
    public KvCacheExhaustedException(int requestedBlocks, int freeBlocks, int totalBlocks)
        : base(requestedBlocks > totalBlocks
            ? $"KV cache too small: the request needs {requestedBlocks} block(s); the cache has {totalBlocks} in all. Raise the KV cache memory or shorten the request."
            : $"KV cache exhausted: {requestedBlocks} block(s) requested, {freeBlocks} free of {totalBlocks}. Raise the KV cache memory or shorten the request.")
    {
        RequestedBlocks = requestedBlocks;
        FreeBlocks = freeBlocks;
        TotalBlocks = totalBlocks;
    }

    /// <summary>Blocks the request needed.</summary>
    public int RequestedBlocks { get; }

    /// <summary>Blocks free when it was refused.</summary>
    public int FreeBlocks { get; }

    /// <summary>Blocks in the whole cache, when known.</summary>
    public int? TotalBlocks { get; }
}

/// <summary>A request does not fit in the model's context window.</summary>
public sealed class ContextOverflowException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ContextOverflowException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ContextOverflowException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public ContextOverflowException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception: <paramref name="tokens"/> positions were needed, the model has <paramref name="limit"/>.</summary>
    public ContextOverflowException(int tokens, int limit)
        : base($"Context overflow: {tokens} tokens exceed the limit of {limit}.")
    {
        Tokens = tokens;
        Limit = limit;
    }

    /// <summary>Positions the request needed.</summary>
    public int Tokens { get; }

    /// <summary>The model's context window (max_position_embeddings).</summary>
    public int Limit { get; }
}

/// <summary>A tokenizer.json is well formed but uses a component (model type, normalizer, pre-tokenizer, decoder or option) the SDK does not implement.</summary>
public sealed class UnsupportedTokenizerException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public UnsupportedTokenizerException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public UnsupportedTokenizerException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public UnsupportedTokenizerException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="component"/> (its JSON path, e.g. <c>normalizer.type</c>) in <paramref name="file"/>.</summary>
    public UnsupportedTokenizerException(string file, string component, string message)
        : base($"{System.IO.Path.GetFileName(file)}: {component}: {message}")
    {
        File = file;
        Component = component;
    }

    /// <summary>The tokenizer file, when known.</summary>
    public string? File { get; }

    /// <summary>The JSON path of the unsupported part, when known.</summary>
    public string? Component { get; }
}

/// <summary>The requested compute device is not available (for example <see cref="ComputeDevice.Cuda"/> on a machine without a CUDA GPU).</summary>
public sealed class DeviceUnavailableException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public DeviceUnavailableException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public DeviceUnavailableException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public DeviceUnavailableException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="device"/>.</summary>
    public DeviceUnavailableException(ComputeDevice device, string message) : base(message) => Device = device;

    /// <summary>The device that was requested, when known.</summary>
    public ComputeDevice? Device { get; }
}

/// <summary>A model does not fit <see cref="LongCatOptions.MemoryBudget"/>: thrown before any weight is read.</summary>
public sealed class MemoryBudgetExceededException : LongCatException
{
    /// <summary>Creates the exception.</summary>
    public MemoryBudgetExceededException() { }

    /// <summary>Creates the exception with a message.</summary>
    public MemoryBudgetExceededException(string? message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MemoryBudgetExceededException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a load that needs <paramref name="requiredBytes"/> of a <paramref name="memoryBudget"/>.</summary>
    public MemoryBudgetExceededException(long requiredBytes, long memoryBudget, string message) : base(message)
    {
        RequiredBytes = requiredBytes;
        MemoryBudget = memoryBudget;
    }

    /// <summary>Bytes the load would take.</summary>
    public long RequiredBytes { get; }

    /// <summary>The budget it was checked against.</summary>
    public long MemoryBudget { get; }
}

/// <summary>
/// A JSON schema (or regex) that structured output cannot compile: an invalid value, a keyword the compiler does not support, or
/// a schema no value satisfies. The message names the keyword and its JSON pointer, e.g.
/// <c>JSON schema #/properties/tags: 'uniqueItems': true is supported only with maxItems ≤ 1.</c>
/// </summary>
/// <remarks>Thrown at the call that brings the schema: <see cref="OutputConstraint"/> in a request, a chat response format, or a
/// tool's parameter schema (every tool's arguments are held to it).</remarks>
public sealed class JsonSchemaException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public JsonSchemaException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public JsonSchemaException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public JsonSchemaException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for <paramref name="keyword"/> at <paramref name="path"/> (a JSON pointer such as
    /// <c>#/properties/name</c>, the schema object that holds the keyword; or "regex" for a plain pattern).</summary>
    public JsonSchemaException(string path, string keyword, string message)
        : base($"{(path.StartsWith('#') ? "JSON schema " : "")}{path}: '{keyword}': {message}")
    {
        Path = path;
        Keyword = keyword;
    }

    /// <summary>The JSON pointer of the schema object holding the keyword, when known.</summary>
    public string? Path { get; }

    /// <summary>The keyword at fault, when known.</summary>
    public string? Keyword { get; }
}

/// <summary>
/// A chat template cannot be used: it has a syntax error or a construct the interpreter does not support (found when the
/// template is loaded; the message names the construct and the line), or rendering it failed (the template called
/// <c>raise_exception(message)</c>, whose message is this exception's, or an operation failed as it would in Python's jinja2).
/// </summary>
public sealed class ChatTemplateException : LongCatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public ChatTemplateException() { }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ChatTemplateException(string? message) : base(message) { }

    /// <summary>Creates the exception with <paramref name="message"/> wrapping <paramref name="innerException"/>.</summary>
    public ChatTemplateException(string? message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a problem at <paramref name="line"/> (1-based) of the template.</summary>
    internal ChatTemplateException(string message, int line) : base(message) => Line = line;

    /// <summary>The template line at fault, when known.</summary>
    public int? Line { get; internal init; }
}
