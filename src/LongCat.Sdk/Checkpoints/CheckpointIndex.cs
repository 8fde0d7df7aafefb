using System.Text.Json;
using LongCat.Sdk.Compute;

namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// All tensors of a checkpoint directory: one <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c>. Every shard is mapped and validated when the index is opened.
/// </summary>
internal sealed class CheckpointIndex : IDisposable
{
    /// <summary>Name of the Hugging Face shard index.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _byTensor;
    private readonly List<SafetensorsFile> _files;

    private CheckpointIndex(string directory, Dictionary<string, SafetensorsFile> byTensor, List<SafetensorsFile> files)
    {
        Directory = directory;
        _byTensor = byTensor;
        _files = files;
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>The mapped shard files.</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Names of all tensors.</summary>
    public IEnumerable<string> TensorNames => _byTensor.Keys;

    /// <summary>Total bytes of tensor data.</summary>
    public long TotalBytes => _byTensor.Sum(kv => kv.Value.Tensors[kv.Key].Length);

    /// <summary>Opens a checkpoint directory.</summary>
    /// <exception cref="InvalidCheckpointException">The index or a shard is missing or malformed, or a tensor is not where the index says.</exception>
    public static CheckpointIndex Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string indexPath = Path.Combine(directory, IndexFileName);
        var files = new List<SafetensorsFile>();
        var byTensor = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            if (RegularFile.Exists(indexPath))
            {
                var map = ReadWeightMap(indexPath);
                var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
                foreach (var (tensor, shard) in map)
                {
                    if (!shards.TryGetValue(shard, out var file))
                    {
                        string shardPath = Path.Combine(directory, shard);
                        if (shard is "" or "." or ".." || shard.Contains('/') || shard.Contains('\\') || !RegularFile.Exists(shardPath))
                            throw new InvalidCheckpointException(indexPath, $"tensor '{tensor}' is mapped to shard '{shard}', which does not exist");
                        file = SafetensorsFile.Open(shardPath);
                        shards.Add(shard, file);
                        files.Add(file);
                    }
                    if (!file.Tensors.ContainsKey(tensor))
                        throw new InvalidCheckpointException(file.Path, $"tensor '{tensor}' is missing (the index maps it to this shard)");
                    byTensor.Add(tensor, file);
                }
            }
            else
            {
                string single = Path.Combine(directory, "model.safetensors");
                if (!RegularFile.Exists(single))
                    throw new InvalidCheckpointException(indexPath, $"no {IndexFileName} and no model.safetensors in '{directory}'");
                var file = SafetensorsFile.Open(single);
                files.Add(file);
                foreach (var name in file.Tensors.Keys) byTensor.Add(name, file);
            }
            return new CheckpointIndex(directory, byTensor, files);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    private static List<(string Tensor, string Shard)> ReadWeightMap(string indexPath)
    {
        try
        {
            using var doc = JsonFile.Read(indexPath, RegularFile.MaxIndexBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new InvalidCheckpointException(indexPath, "missing 'weight_map' object");
            var result = new List<(string, string)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new InvalidCheckpointException(indexPath, $"weight_map entry '{p.Name}' is not a string");
                if (!seen.Add(p.Name)) throw new InvalidCheckpointException(indexPath, $"weight_map names tensor '{p.Name}' twice");
                result.Add((p.Name, p.Value.GetString()!));
            }
            return result;
        }
        catch (InvalidOperationException e)
        {
            // An unpaired \uD800-style escape: valid JSON syntax, but System.Text.Json cannot read it as a string.
            throw new InvalidCheckpointException(indexPath, $"weight_map has a string with an unpaired UTF-16 surrogate escape ({e.Message})", e);
        }
    }

    /// <summary>True when the checkpoint has a tensor of this name.</summary>
    public bool Contains(string name) => _byTensor.ContainsKey(name);

    /// <summary>The tensor's entry and the shard holding it; an error naming the tensor when missing.</summary>
    public (TensorInfo Info, SafetensorsFile File) Get(string name)
    {
        if (!_byTensor.TryGetValue(name, out var file))
            throw new InvalidCheckpointException(Path.Combine(Directory, File.Exists(Path.Combine(Directory, IndexFileName)) ? IndexFileName : "model.safetensors"),
                $"tensor '{name}' is missing");
        return (file.Tensors[name], file);
    }

    /// <summary>
    /// The tensor, checked against the expected shape and one of the allowed dtypes; errors name the tensor,
    /// its shard, and the expected and found values.
    /// </summary>
    public (TensorInfo Info, SafetensorsFile File) Get(string name, ReadOnlySpan<long> shape, params ReadOnlySpan<DType> allowed)
    {
        var (info, file) = Get(name);
        if (!info.Shape.AsSpan().SequenceEqual(shape))
            throw new InvalidCheckpointException(file.Path, $"tensor '{name}': expected shape {TensorInfo.FormatShape(shape)}, found {info.ShapeText}");
        if (allowed.Length > 0 && !allowed.Contains(info.DType))
            throw new InvalidCheckpointException(file.Path,
                $"tensor '{name}': expected dtype {string.Join(" or ", allowed.ToArray().Select(d => d.SafetensorsName()))}, found {info.DType.SafetensorsName()}");
        return (info, file);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
