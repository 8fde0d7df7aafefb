namespace LongCat.Sdk.Checkpoints;

/// <summary>
/// How the loader reaches the files of a model folder: regular files only, through at most <see cref="MaxLinkDepth"/> symbolic
/// links, and, for the files it reads whole (JSON, vocabularies), no more bytes than a cap checked before the read. Every
/// problem is an exception from the caller's factory (an <see cref="InvalidCheckpointException"/> naming the file unless the
/// caller says otherwise).
/// </summary>
/// <remarks>
/// A FIFO blocks the open until a writer comes (and cancelling does not unblock it), a device such as /dev/zero never ends, a
/// socket cannot be opened: none of them may be opened at all. .NET reports no file type on Unix, but stat gives each of them a
/// size of 0, and no file the loader reads may be empty, so a path whose file has 0 bytes is refused before it is opened. Reads
/// stay bounded by the cap in case a special file reports a size.
/// </remarks>
internal static class RegularFile
{
    /// <summary>Symbolic links followed along a path, directories' included (a Hugging Face cache snapshot links each file once;
    /// Linux gives up at 40).</summary>
    public const int MaxLinkDepth = 16;

    /// <summary>config.json and generation_config.json (about 2 KB in the released models).</summary>
    public const long MaxConfigBytes = 4L << 20;

    /// <summary>model.safetensors.index.json (about 9 MB for an FP8 Flash-Chat: 86k weights and scales at ~100 bytes an entry).</summary>
    public const long MaxIndexBytes = 64L << 20;

    /// <summary>mtp_draft_vocab.json (a ranking of at most the whole vocabulary: about 1 MB for 131072 ids).</summary>
    public const long MaxDraftVocabularyBytes = 16L << 20;

    /// <summary>tokenizer.json, and a gzipped one once decompressed (LongCat's is about 10 MB, the largest common ones about 35 MB).</summary>
    public const long MaxTokenizerBytes = 64L << 20;

    /// <summary>Whether anything is at <paramref name="path"/>: a file, a directory, or a symbolic link (even a dangling one).
    /// An optional file that exists in any form is read, so that one that is not a regular file is an error, not absent.</summary>
    public static bool Exists(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary>The regular, non-empty file <paramref name="path"/> names, reached through its symbolic links.</summary>
    /// <param name="path">The path.</param>
    /// <param name="error">Makes the exception for a problem (a phrase such as "not found") and its cause; null: an
    /// <see cref="InvalidCheckpointException"/> naming <paramref name="path"/>.</param>
    public static FileInfo Resolve(string path, Func<string, Exception?, LongCatException>? error = null)
    {
        error ??= (problem, inner) => new InvalidCheckpointException(path, problem, inner);
        string real;
        try
        {
            real = RealPath(path, out int links, error);
            if (Directory.Exists(real)) throw error(links == 0 ? "a directory, not a file" : $"a symbolic link to the directory '{real}', not a file", null);
            var file = new FileInfo(real);
            if (!file.Exists) throw error(links == 0 ? "not found" : $"a symbolic link to '{real}', which does not exist", null);
            if (file.Length == 0) throw error("empty, or not a regular file (a FIFO, socket or device)", null);
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw error($"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>The whole of the regular file <paramref name="path"/>, refused unread when it has more than
    /// <paramref name="maxBytes"/> bytes (errors as <see cref="Resolve"/>).</summary>
    public static byte[] ReadAll(string path, long maxBytes, Func<string, Exception?, LongCatException>? error = null)
    {
        error ??= (problem, inner) => new InvalidCheckpointException(path, problem, inner);
        var file = Resolve(path, error);
        if (file.Length > maxBytes) throw error($"{file.Length} bytes, more than the {Size(maxBytes)} this file may have", null);
        try
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            return ReadAtMost(stream, maxBytes, error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw error($"cannot be read ({e.Message})", e);
        }
    }

    /// <summary>All of <paramref name="stream"/>, or an error once it has given more than <paramref name="maxBytes"/> bytes
    /// (a file that grew, or a gzip stream that decompresses past the cap: it is never read further).</summary>
    public static byte[] ReadAtMost(Stream stream, long maxBytes, Func<string, Exception?, LongCatException> error)
    {
        var buffer = new byte[(int)Math.Min(maxBytes + 1, stream.CanSeek ? Math.Max(stream.Length, 0) + 1 : 1 << 16)];
        int filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled > maxBytes) throw error($"more than the {Size(maxBytes)} this file may have", null);
                Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, 2L * buffer.Length));
            }
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) return buffer.AsSpan(0, filled).ToArray();
            filled += read;
        }
    }

    /// <summary>A byte count in words: "64 MiB".</summary>
    public static string Size(long bytes) => bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";

    // realpath(3) in managed code: every symbolic link along the path, directories' included, replaced by its target, which is read
    // relative to the real folder of the link (FileSystemInfo.ResolveLinkTarget joins a relative target to the link's path as
    // written, which is wrong once a folder on the way is itself a link, as when a model folder links to a cache snapshot).
    private static string RealPath(string path, out int links, Func<string, Exception?, LongCatException> error)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Parts(full[root.Length..]).Reverse());
        string resolved = root;
        links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                resolved = Path.GetDirectoryName(resolved) ?? root;
                continue;
            }
            string next = Path.Join(resolved, part);
            if (new FileInfo(next).LinkTarget is not { } target)
            {
                resolved = next;
                continue;
            }
            if (++links > MaxLinkDepth) throw error($"more than {MaxLinkDepth} symbolic links deep (a loop?)", null);
            if (Path.IsPathRooted(target))
            {
                resolved = Path.GetPathRoot(target)!;
                target = target[resolved.Length..];
            }
            foreach (var p in Parts(target).Reverse()) pending.Push(p);
        }
        return resolved;
    }

    private static string[] Parts(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
