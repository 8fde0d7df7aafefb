using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// The SIMD CPU backend: every op runs on all cores (row-parallel matmuls, head-parallel attention, expert-parallel MoE);
/// weights are read in their stored format, from the mapped files or from a huge-page copy (<see cref="WeightResidency"/>).
/// </summary>
internal sealed unsafe partial class CpuBackend : IComputeBackend
{
    private readonly HugePageArena _arena = new();
    private readonly SpinWorkerPool _pool;
    private readonly CpuScratch _scratch = new();

    /// <summary>Creates the backend.</summary>
    /// <param name="residency">Where weights live; see <see cref="WeightResidency"/>.</param>
    /// <param name="threads">Worker threads; defaults to all cores.</param>
    public CpuBackend(WeightResidency residency = WeightResidency.Copied, int threads = 0)
    {
        Residency = residency;
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _pool = new SpinWorkerPool(Threads);
    }

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <summary>Where weights live.</summary>
    public WeightResidency Residency { get; }

    /// <summary>Worker threads used by each op.</summary>
    public int Threads { get; }

    /// <summary>
    /// True (the default): Q8/Q4 weights multiply token rows quantized to int8 per op (<see cref="QuantKernels"/>). False: they
    /// are dequantized a chunk at a time against F32 rows (<see cref="SimdKernels.Dot"/>), exact but several times slower: the
    /// reference the int8 path's model-level error is measured against.
    /// </summary>
    internal bool Int8Activations { get; init; } = true;

    /// <summary>
    /// The instruction set of the Q8/Q4 products (default null: the fastest this CPU has for each format,
    /// <see cref="QuantKernels.Best"/>; every path gives the same bits).
    /// </summary>
    internal QuantPath? QuantPath
    {
        get => _quantPath;
        init => _quantPath = value is not { } p || QuantKernels.IsSupported(p) ? value : throw new NotSupportedException($"This CPU has no {value} path.");
    }

    private readonly QuantPath? _quantPath;

    /// <summary>Bytes of anonymous memory holding copied weights.</summary>
    public long CopiedWeightBytes => _arena.ReservedBytes;

    /// <summary>Bytes of weights in anonymous memory (copied, or quantized as they loaded), as allocated.</summary>
    public long WeightMemoryBytes => _arena.UsedBytes;

    /// <inheritdoc/>
    public DeviceTensor Allocate(DType dtype, params int[] shape) => CpuTensor.Allocate(dtype, shape);

    /// <inheritdoc/>
    public DeviceTensor LoadWeight(SafetensorsFile file, TensorInfo info, int[] shape, DeviceTensor? blockScales = null, DType? format = null, int groupSize = 0) =>
        Load(file, info, shape, blockScales, format, groupSize, copy: Residency == WeightResidency.Copied);

    /// <inheritdoc/>
    public DeviceTensor LoadTable(SafetensorsFile file, TensorInfo info, int[] shape) => Load(file, info, shape, null, null, 0, copy: false);

    private DeviceTensor Load(SafetensorsFile file, TensorInfo info, int[] shape, DeviceTensor? blockScales, DType? format, int groupSize, bool copy)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        var dtype = format ?? info.DType;
        if (dtype.ByteCount(n) != info.Length)
            throw new InvalidCheckpointException(file.Path, $"tensor '{info.Name}': {info.ShapeText} {info.DType.SafetensorsName()} cannot be viewed as {dtype} [{string.Join(", ", shape)}]");
        byte* src = file.Pointer(info);
        byte* data = src;
        if (copy && info.Length > 0)
        {
            data = _arena.Allocate(info.Length);
            Buffer.MemoryCopy(src, data, info.Length, info.Length);
            file.Evict(info);
        }
        return new CpuTensor(dtype, shape, data, owned: false, info.Name) { BlockScales = blockScales, GroupSize = groupSize };
    }

    /// <inheritdoc/>
    public DeviceTensor AllocateWeight(DType dtype, int[] shape, string name, DeviceTensor? scales = null, DeviceTensor? zeros = null, int groupSize = 0)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        long bytes = dtype.ByteCount(n);
        byte* data = bytes == 0 ? null : _arena.Allocate(bytes);
        if (data != null) NativeMemory.Clear(data, (nuint)bytes);
        return new CpuTensor(dtype, shape, data, owned: false, name) { BlockScales = scales, Zeros = zeros, GroupSize = groupSize };
    }

    /// <inheritdoc/>
    public void Upload<T>(DeviceTensor destination, ReadOnlySpan<T> values) where T : unmanaged
    {
        var d = Cpu(destination);
        CheckCount(d, values.Length * sizeof(T));
        values.CopyTo(new Span<T>(d.Data, values.Length));
    }

    /// <inheritdoc/>
    public void Download<T>(DeviceTensor source, Span<T> values) where T : unmanaged
    {
        var s = Cpu(source);
        CheckCount(s, values.Length * sizeof(T));
        new ReadOnlySpan<T>(s.Data, values.Length).CopyTo(values);
    }

    private static void CheckCount(CpuTensor t, long bytes)
    {
        if (bytes > t.ByteLength)
            throw new ArgumentException($"{bytes} bytes do not fit in {t}.");
    }

    /// <inheritdoc/>
    public void Synchronize() { }

    internal static CpuTensor Cpu(DeviceTensor t) =>
        t as CpuTensor ?? throw new ArgumentException($"{t} does not belong to the CPU backend.", nameof(t));

    /// <summary>Every op checks the shapes it writes through raw pointers: a mismatch is an exception, never a heap overrun.</summary>
    internal static void Require(bool condition, string op, string what)
    {
        if (!condition) throw new ArgumentException($"{op}: {what}.");
    }

    /// <summary>As <see cref="Require(bool, string, string)"/>, with the message formatted only when the check fails.</summary>
    internal static void Require(bool condition, string op, [InterpolatedStringHandlerArgument(nameof(condition))] ref CheckMessage what)
    {
        if (!condition) throw new ArgumentException($"{op}: {what.ToStringAndClear()}.");
    }

    /// <summary>Runs body(i) for i in [0, count), spread over the worker threads.</summary>
    internal void For(int count, Action<int> body)
    {
        _pool.For(count, body);
    }

    /// <summary>Splits [0, total) into ranges of at least <paramref name="minChunk"/> for <see cref="For"/>.</summary>
    internal void ForRanges(int total, int minChunk, Action<int, int> body)
    {
        int chunks = Math.Clamp(total / Math.Max(1, minChunk), 1, Threads * 4);
        int size = (total + chunks - 1) / chunks;
        chunks = (total + size - 1) / size;
        For(chunks, c =>
        {
            int start = c * size;
            body(start, Math.Min(total, start + size));
        });
    }

    /// <inheritdoc/>
    public void Embedding(DeviceTensor table, DeviceTensor ids, int column, DeviceTensor output)
    {
        var tab = Cpu(table); var id = Cpu(ids); var o = Cpu(output);
        int cols = tab.Columns, idCols = id.Columns;
        Require(o.Columns == cols && id.Rows >= o.Rows && column < idCols, nameof(Embedding), $"table {tab}, ids {id}, column {column}, output {o}");
        for (int t = 0; t < o.Rows; t++)
        {
            int row = id.I32[t * idCols + column];
            if ((uint)row >= (uint)tab.Rows) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {row} is outside [0, {tab.Rows}) of '{tab.Name}'");
            SimdKernels.ReadRow(tab, row, 0, cols, o.RowF32(t));
        }
    }

    /// <inheritdoc/>
    public void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor y, bool accumulate = false)
    {
        var xs = Cpu(x); var w = Cpu(weight); var ys = Cpu(y);
        int tokens = xs.Rows, inDim = w.Columns, outDim = w.Rows;
        if (xs.Columns != inDim || ys.Columns != outDim || ys.Rows != tokens)
            throw new ArgumentException($"MatMul shapes: x [{tokens}, {xs.Columns}], {w}, y [{ys.Rows}, {ys.Columns}].");
        var input = Input(xs, w);
        ForRanges(outDim, 16, (r0, r1) => MatMulRows(input, w, ys, r0, r1, accumulate));
    }

    /// <inheritdoc/>
    public void MatMulPair(RmsNormed x, DeviceTensor weight1, DeviceTensor y1, DeviceTensor weight2, DeviceTensor y2)
    {
        var w1 = Cpu(weight1); var w2 = Cpu(weight2); var o1 = Cpu(y1); var o2 = Cpu(y2);
        int tokens = x.X.Rows, inDim = w1.Columns, out1 = w1.Rows;
        Require(x.X.Columns == inDim && w2.Columns == inDim && o1.Rows == tokens && o2.Rows == tokens && o1.Columns == out1 && o2.Columns == w2.Rows,
            nameof(MatMulPair), $"x {x.X}, {w1}, {w2}, y1 {o1}, y2 {o2}");
        var xn = Input(Normalize(x, 0, nameof(MatMulPair)), w1, w2);
        // One pass over the rows of both weights: one parallel dispatch, not two.
        ForRanges(out1 + w2.Rows, 16, (r0, r1) =>
        {
            if (r0 < out1) MatMulRows(xn, w1, o1, r0, Math.Min(r1, out1), accumulate: false);
            if (r1 > out1) MatMulRows(xn, w2, o2, Math.Max(r0, out1) - out1, r1 - out1, accumulate: false);
        });
    }

    /// <summary>
    /// The token rows x [T, K] a product reads and, for BF16 weights, the same rows in <see cref="SimdKernels.PermuteEvenOdd"/>
    /// order; for Q8/Q4 weights, the same rows quantized (<see cref="QuantizedRows"/>): prepared once per op, then read by every
    /// row range and every weight row.
    /// </summary>
    private readonly struct MatMulInput(CpuTensor x, float* permuted, QuantizedRows q8, QuantizedRows q4, QuantPath? path)
    {
        public CpuTensor X { get; } = x;

        /// <summary>The instruction set of the Q8/Q4 products.</summary>
        public QuantPath? Path { get; } = path;

        /// <summary>[T, K] in even/odd order; null when no BF16 weight reads these rows.</summary>
        public float* Permuted { get; } = permuted;

        /// <summary>The rows quantized for <paramref name="format"/> weights (empty when none reads them).</summary>
        public QuantizedRows Quantized(DType format) => format == DType.Q8 ? q8 : q4;

        public int Rows => X.Rows;

        public float* PermutedRow(int t) => Permuted + (long)t * X.Columns;
    }

    /// <summary>
    /// <paramref name="x"/> as the product kernels read it for <paramref name="w1"/> (and <paramref name="w2"/>): a permuted copy for
    /// BF16 weights in scratch slot 2, quantized copies for Q8 and Q4 weights in slots 3 and 4.
    /// </summary>
    private MatMulInput Input(CpuTensor x, CpuTensor w1, CpuTensor? w2 = null)
    {
        bool Reads(DType format) => w1.DType == format || w2?.DType == format;
        return Prepared(x, Reads(DType.BF16), Int8Activations && Reads(DType.Q8), Int8Activations && Reads(DType.Q4));
    }

    /// <summary>
    /// <paramref name="x"/> permuted (<paramref name="bf16"/>) into scratch slot 2 and quantized for Q8 and Q4 weights into slots
    /// 3 and 4, each when asked; the rows spread over the workers when there are many (a 128-token prompt's rows took 0.2-0.3 ms
    /// per product on one core while the other waited). Each row's bytes are the same whoever prepares it.
    /// </summary>
    private MatMulInput Prepared(CpuTensor x, bool bf16, bool q8, bool q4)
    {
        long quantized = x.Rows * QuantizedRows.RowBytes(x.Columns);
        float* permuted = bf16 ? _scratch.Rows(2, x.Rows, x.Columns).F32 : null;
        byte* b8 = q8 ? _scratch.Bytes(3, quantized) : null, b4 = q4 ? _scratch.Bytes(4, quantized) : null;
        if ((long)x.Rows * x.Columns < ParallelPrepareValues) return Input(x, permuted, b8, b4, _quantPath);
        var input = new MatMulInput(x, permuted, q8 ? new QuantizedRows(b8, x.Rows, x.Columns, DType.Q8) : default,
            q4 ? new QuantizedRows(b4, x.Rows, x.Columns, DType.Q4) : default, _quantPath);
        ForRanges(x.Rows, 1, (t0, t1) => PrepareRows(input, t0, t1));
        return input;
    }

    /// <summary>Below this many values a product's rows are prepared on the calling thread (a decode step's one row: ~1 µs).</summary>
    private const long ParallelPrepareValues = 16384;

    /// <summary>
    /// <paramref name="x"/> as the product kernels read it: permuted into <paramref name="permuted"/> [T, K] and quantized into
    /// <paramref name="q8"/> and <paramref name="q4"/> (each <see cref="QuantizedRows.RowBytes"/> per row), each unless null.
    /// </summary>
    private static MatMulInput Input(CpuTensor x, float* permuted, byte* q8 = null, byte* q4 = null, QuantPath? path = null)
    {
        var input = new MatMulInput(x, permuted, q8 == null ? default : new QuantizedRows(q8, x.Rows, x.Columns, DType.Q8),
            q4 == null ? default : new QuantizedRows(q4, x.Rows, x.Columns, DType.Q4), path);
        PrepareRows(input, 0, x.Rows);
        return input;
    }

    /// <summary>Rows [t0, t1) of <paramref name="input"/>'s permuted and quantized copies, from its F32 rows.</summary>
    private static void PrepareRows(MatMulInput input, int t0, int t1)
    {
        var x = input.X;
        var rows8 = input.Quantized(DType.Q8);
        var rows4 = input.Quantized(DType.Q4);
        for (int t = t0; t < t1; t++)
        {
            if (input.Permuted != null) SimdKernels.PermuteEvenOdd(x.RowF32(t), input.PermutedRow(t), x.Columns);
            if (!rows8.IsEmpty) QuantKernels.Quantize(x.RowF32(t), rows8, t);
            if (!rows4.IsEmpty) QuantKernels.Quantize(x.RowF32(t), rows4, t);
        }
    }

    /// <summary>
    /// y[t, r] (+)= W[r]·x[t] for r in [r0, r1) and every token row t. Batch invariant: a row's result has the same bits whatever
    /// T is and wherever the row sits (BF16 rows are all summed in <see cref="SimdKernels.DotBf16Row"/>'s order, Q8/Q4 rows in
    /// <see cref="QuantKernels"/>' one order, other formats by <see cref="SimdKernels.Dot"/> one row at a time), so a request's
    /// tokens do not depend on what is batched with it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatMulRows(MatMulInput x, CpuTensor w, CpuTensor y, int r0, int r1, bool accumulate)
    {
        if (w.DType == DType.BF16 && x.Rows == 1)
        {
            MatVecBf16(x.Permuted, w, y, r0, r1, accumulate);
            return;
        }
        ProductRows(x, w, null, y, r0, r1, accumulate);
    }

    /// <summary>
    /// The many-row driver of <see cref="MatMulRows"/> (<paramref name="up"/> null: y (+)= W·x) and <see cref="SwiGluRows"/>
    /// (y = silu(W·x) · (U·x)). Cache blocking: a block of weight rows stays in L2 while each group of four token rows
    /// (L1-resident) passes over all of it, tile by tile (<see cref="ProductTile"/>); with rows outer and tokens inner every x
    /// load of a long prompt came from L2 and the BF16 kernel ran at a fifth of the FMA peak.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]    // scratch is cleared once below; a, b and spread are written before they are read
    private static void ProductRows(MatMulInput x, CpuTensor w, CpuTensor? up, CpuTensor y, int r0, int r1, bool accumulate)
    {
        int tokens = x.Rows, outDim = w.Rows, block = Math.Max(TileRows, RowBlock(w) / (up is null ? 1 : 2) / TileRows * TileRows);
        float* scratch = stackalloc float[4 * 16 * TileRows];
        float* a = stackalloc float[4 * TileRows], b = stackalloc float[4 * TileRows];
        byte* spread = stackalloc byte[QuantKernels.SpreadBytes(w.Columns)];
        new Span<float>(scratch, 4 * 16 * TileRows).Clear();
        for (int b0 = r0; b0 < r1; b0 += block)
        {
            int b1 = Math.Min(r1, b0 + block);
            for (int t = 0; t < tokens; t += 4)
            {
                int n = Math.Min(4, tokens - t);
                for (int r = b0; r < b1; r += TileRows)
                {
                    int rows = Math.Min(TileRows, b1 - r);
                    // The block's first group of token rows brings its weight rows from memory; later groups find them in L2.
                    bool cached = t > 0;
                    ProductTile(x, w, r, rows, t, n, a, scratch, spread, cached);
                    if (up is not null) ProductTile(x, up, r, rows, t, n, b, scratch, spread, cached);
                    for (int k = 0; k < n; k++)
                    {
                        float* dst = y.F32 + (long)(t + k) * outDim + r, sa = a + k * TileRows, sb = b + k * TileRows;
                        if (up is not null) for (int i = 0; i < rows; i++) dst[i] = SimdKernels.SiluMul(sa[i], sb[i]);
                        else if (accumulate) for (int i = 0; i < rows; i++) dst[i] += sa[i];
                        else Buffer.MemoryCopy(sa, dst, rows * 4L, rows * 4L);
                    }
                }
            }
        }
    }

    /// <summary>
    /// sums[k·16 + i] = W[r + i]·x[t + k] for i &lt; <paramref name="rows"/> ≤ 16 and k &lt; <paramref name="n"/> ≤ 4, each with the
    /// bits of that row and token alone: <see cref="Bf16Tile"/> for <see cref="TiledBf16"/> products, <see cref="QuantKernels"/>
    /// for Q8/Q4 weights with quantized rows, <see cref="RowDots"/> row by row otherwise. scratch: 4·16·16 floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProductTile(MatMulInput x, CpuTensor w, int r, int rows, int t, int n, float* sums, float* scratch, byte* spread, bool cached)
    {
        if (TiledBf16(x, w))
        {
            Bf16Tile(w, r, rows, x, t, n, sums, scratch, cached);
            return;
        }
        if (w.DType.IsBlockQuantized() && !x.Quantized(w.DType).IsEmpty)
        {
            float* res = scratch + 4 * 16 * TileRows - 4 * TileRows;     // [rows, n]: past what Bf16Tile's reductions read
            QuantKernels.Dot(w, r, rows, x.Quantized(w.DType), t, n, res, spread, x.Path);
            for (int i = 0; i < rows; i++)
                for (int k = 0; k < n; k++) sums[k * TileRows + i] = res[i * n + k];
            return;
        }
        float* one = stackalloc float[4];
        for (int i = 0; i < rows; i++)
        {
            RowDots(w, r + i, x, t, n, one);
            for (int k = 0; k < n; k++) sums[k * TileRows + i] = one[k];
        }
    }

    /// <summary>
    /// Whether a many-row BF16 product takes the tiled path (<see cref="Bf16Tile"/>): two or more token rows, rows a multiple of
    /// 32 wide (no scalar tail) and AVX-512. Otherwise <see cref="RowDots"/>, which has the same bits but reduces each row's sums
    /// one by one (on an expert's 256-wide down projection more instructions than its FMAs: experts that two or three tokens
    /// chose are most of a batched decode step's experts).
    /// </summary>
    private static bool TiledBf16(MatMulInput x, CpuTensor w) =>
        w.DType == DType.BF16 && x.Rows >= 2 && x.Permuted != null && w.Columns % 32 == 0 && Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Weight rows per tile (<see cref="ProductTile"/>): one transposed reduction (<see cref="SimdKernels.Sum16"/>) per token row
    /// for BF16, one dispatch for many rows into <see cref="QuantKernels"/> (a decode row is ~1 KB, tens of ns).
    /// </summary>
    private const int TileRows = 16;

    /// <summary>
    /// sums[k·16 + i] = W[r + i]·x[t + k] for i &lt; <paramref name="rows"/> ≤ 16 and k &lt; <paramref name="n"/> ≤ 4, each
    /// bit-identical to <see cref="SimdKernels.DotBf16Row"/> (the same accumulators, reduced in
    /// <see cref="SimdKernels.HorizontalSum"/>'s order by <see cref="SimdKernels.Sum16"/>): decode's sixteen-row kernel for n = 1,
    /// a two-row tile for n = 2, else a four-row one whose token rows past the end repeat the last (their sums are not formed).
    /// With <paramref name="cached"/> (the weight rows are in L2: not the first group of token rows over them) the four-row tile
    /// takes pairs of weight rows (<see cref="SimdKernels.DotBf16Rows2x4Half"/>, the same bits): ten loads per sixteen FMAs
    /// instead of eighteen, and 1.09-1.16× the prefill tokens/s on lite-mini (docs/PERFORMANCE.md). Not on the first group: its half
    /// passes read every other line of each row, which streamed from memory at up to half the speed. The first group over rows
    /// wider than <see cref="ChunkColumns"/> (two token rows: wider than 4,096) goes by chunks of columns
    /// (<see cref="Bf16TileByChunks{TRows}"/>, the same bits), so its token rows stay in L1.
    /// vectors holds 4·16·16 floats; rows past <paramref name="rows"/> reduce whatever it holds and are not read either.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Bf16Tile(CpuTensor w, int r, int rows, MatMulInput x, int t, int n, float* sums, float* vectors, bool cached)
    {
        int inDim = w.Columns, last = x.Rows - 1;
        float* x0 = x.PermutedRow(t), x1 = x.PermutedRow(Math.Min(t + 1, last));
        ushort* row = (ushort*)w.Data + (long)r * inDim;
        if (n == 1)
        {
            // The last token row of a group of five, nine, ...: decode's sixteen-row kernel, no token row repeated.
            SimdKernels.DotBf16Rows16(row, inDim, x0, rows, vectors, sums);
            return;
        }
        if (n == 2)
        {
            // Two token rows (an expert two tokens chose, the last pair of a batch): half the FMAs of the four-row tile.
            if (inDim > 4 * ChunkColumns)
                Bf16TileByChunks<SimdKernels.TwoTokenRows>(row, inDim, rows, x0, x1, x1, x1, vectors);
            else
                for (int i = 0; i < rows; i++, row += inDim)
                    SimdKernels.DotBf16Row2Vectors(row, x0, x1, inDim, vectors + 16 * i, 16 * TileRows);
            for (int k = 0; k < n; k++) SimdKernels.Sum16(vectors + k * 16 * TileRows, sums + k * TileRows);
            return;
        }
        float* x2 = x.PermutedRow(Math.Min(t + 2, last)), x3 = x.PermutedRow(Math.Min(t + 3, last));
        if (!cached && inDim > ChunkColumns)
            Bf16TileByChunks<SimdKernels.FourTokenRows>(row, inDim, rows, x0, x1, x2, x3, vectors);
        else if (cached)
        {
            // Pairs of weight rows, each half of the 64-value chunks for all pairs before the other half; an odd last row alone.
            int pairs = rows & ~1;
            for (int half = 0; half < 2; half++)
                for (int i = 0; i < pairs; i += 2)
                    SimdKernels.DotBf16Rows2x4Half(row + (long)i * inDim, x0, x1, x2, x3, inDim, half, vectors + 16 * i, 16 * TileRows);
            if (pairs < rows)
                SimdKernels.DotBf16Row4Vectors(row + (long)pairs * inDim, x0, x1, x2, x3, inDim, vectors + 16 * pairs, 16 * TileRows);
        }
        else
            for (int i = 0; i < rows; i++, row += inDim)
                SimdKernels.DotBf16Row4Vectors(row, x0, x1, x2, x3, inDim, vectors + 16 * i, 16 * TileRows);
        for (int k = 0; k < n; k++) SimdKernels.Sum16(vectors + k * 16 * TileRows, sums + k * TileRows);
    }

    /// <summary>
    /// Columns per chunk of <see cref="Bf16TileByChunks"/>: four token rows' chunk is 16 KB, half of L1 (measured against 512,
    /// 768 and 1,536 on the Zen 4 guest, docs/PERFORMANCE.md).
    /// </summary>
    private const int ChunkColumns = 1024;

    /// <summary>
    /// <see cref="Bf16Tile"/>'s first group of four token rows over rows wider than <see cref="ChunkColumns"/>, and two token rows
    /// over rows wider than 4,096 values (by chunks of 2,048): chunk by chunk, each chunk over all the tile's weight rows
    /// (<see cref="SimdKernels.DotBf16RowChunk{TRows, TPrefetch}"/>, the accumulators carried in a buffer of up to 16 KB), so the token rows'
    /// chunk (16 KB) stays in L1 while the weight rows stream; row by row, each weight row met the whole token rows (four × 2,048+
    /// columns × 4 bytes: 32 KB and more, all of L1), and four-token products ran at a third of the speed of 1,024-wide ones per
    /// FLOP. Same bits as row by row. Two token rows at 3,072 columns (24 KB) were faster whole than in chunks (rows-sweep
    /// [1024, 3072]: 197-203 against 248-256 µs), at 6,144 and 8,192 slower (316-344 → 225-256, 219-240 → 152-184 µs).
    /// Its own method: a second stackalloc in <see cref="Bf16Tile"/> made the JIT's code for the other tiles six times slower.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining), SkipLocalsInit]
    private static void Bf16TileByChunks<TRows>(ushort* row, int inDim, int rows, float* x0, float* x1, float* x2, float* x3, float* vectors)
        where TRows : struct, SimdKernels.ITokenRows
    {
        int chunk = TRows.Four ? ChunkColumns : 2 * ChunkColumns, stride = TRows.Four ? 256 : 128;
        float* carry = stackalloc float[256 * TileRows];       // every float read is written first (the first chunk starts from zero)
        for (int c0 = 0; c0 < inDim; c0 += chunk)
        {
            int c1 = Math.Min(inDim, c0 + chunk);
            // Each row prefetches what it needs next: its next chunk, or after its last the next tile's row at the same place.
            int ahead = c1 < inDim ? chunk * 2 : (TileRows * inDim - c0) * 2;
            for (int i = 0; i < rows; i++)
                SimdKernels.DotBf16RowChunk<TRows, SimdKernels.IntoL2>(row + (long)i * inDim, x0, x1, x2, x3, c0, c1, inDim, carry + stride * i, vectors + 16 * i,
                    16 * TileRows, ahead);
        }
    }

    /// <summary>Weight bytes per cache block of a many-row product: well inside one core's L2 beside the token rows.</summary>
    private const int RowBlockBytes = 256 * 1024;

    /// <summary>Weight rows per cache block of a many-row product (at least four).</summary>
    private static int RowBlock(CpuTensor w) => Math.Max(4, (int)(RowBlockBytes / Math.Max(1L, w.ByteLength / Math.Max(1, w.Rows))));

    /// <summary>
    /// result[k] = W[r]·x[t0 + k] for k &lt; count ≤ 4 (prefill and verify, four token rows at a time). A BF16 or Q8/Q4 weight row
    /// is read once for all the token rows, and each dot is bit-identical to the one-row kernel's; other formats go row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowDots(CpuTensor w, int r, MatMulInput x, int t0, int count, float* result)
    {
        int inDim = w.Columns;
        if (w.DType == DType.BF16)
        {
            SimdKernels.DotBf16RowN((ushort*)w.Data + (long)r * inDim, x.PermutedRow(t0), inDim, count, inDim, result);
            return;
        }
        if (w.DType.IsBlockQuantized() && !x.Quantized(w.DType).IsEmpty)
        {
            byte* spread = stackalloc byte[QuantKernels.SpreadBytes(inDim)];
            QuantKernels.Dot(w, r, 1, x.Quantized(w.DType), t0, count, result, spread, x.Path);
            return;
        }
        for (int k = 0; k < count; k++) result[k] = SimdKernels.Dot(w, r, x.X.RowF32(t0 + k), inDim);
    }

    /// <summary>Decode's BF16 matrix-vector product, x in even/odd order: sixteen weight rows per pass (<see cref="RowsDotBf16"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]    // vectors is cleared once below; res is written before it is read
    private static void MatVecBf16(float* xp, CpuTensor w, CpuTensor y, int r0, int r1, bool accumulate)
    {
        float* res = stackalloc float[16];
        float* vectors = stackalloc float[16 * 16];
        new Span<float>(vectors, 16 * 16).Clear();
        for (int r = r0; r < r1; r += 16)
        {
            int n = Math.Min(16, r1 - r);
            RowsDotBf16(w, r, n, xp, res, vectors);
            for (int k = 0; k < n; k++) y.F32[r + k] = accumulate ? y.F32[r + k] + res[k] : res[k];
        }
    }

    /// <summary>Up to this width x stays in L1 beside the weight stream, and one sequential stream per row reads DRAM fastest.</summary>
    private const int SingleStreamMaxColumns = 4096;

    /// <summary>
    /// result[0..count) = W[r..r+count)·x for count ≤ 16, x in even/odd order; every path sums in DotBf16Row's order.
    /// <paramref name="vectors"/>: 16·16 floats of scratch (<see cref="SimdKernels.DotBf16Rows16"/>).
    /// </summary>
    /// <remarks>
    /// Measured (benchmarks kernel-peak, one thread, 128 MiB of weights): 1024-wide rows read one at a time reach 35 GB/s against
    /// 26 GB/s for four interleaved streams; for 8192-wide rows x no longer fits in L1 and sharing its loads across four rows pays.
    /// Rows up to that width go one at a time with one transposed reduction per sixteen rows.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowsDotBf16(CpuTensor w, int r, int count, float* xp, float* result, float* vectors)
    {
        int inDim = w.Columns;
        ushort* row = (ushort*)w.Data + (long)r * inDim;
        if (inDim <= SingleStreamMaxColumns && inDim % 32 == 0 && Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
        {
            SimdKernels.DotBf16Rows16(row, inDim, xp, count, vectors, result);
            return;
        }
        for (int k0 = 0; k0 < count; k0 += 4)
        {
            int n = Math.Min(4, count - k0);
            ushort* rows = row + (long)k0 * inDim;
            if (inDim > SingleStreamMaxColumns && n == 4) SimdKernels.DotBf16Rows4(rows, inDim, xp, inDim, result + k0);
            else for (int k = 0; k < n; k++) result[k0 + k] = SimdKernels.DotBf16Row(rows + (long)k * inDim, xp, inDim);
        }
    }

    /// <inheritdoc/>
    public void MatMulSwiGlu(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor h)
    {
        var g = Cpu(gate); var u = Cpu(up); var hs = Cpu(h);
        int inDim = g.Columns, outDim = g.Rows;
        if (x.X.Columns != inDim || u.Rows != outDim || u.Columns != inDim || hs.Columns != outDim || hs.Rows != x.X.Rows)
            throw new ArgumentException($"MatMulSwiGlu shapes: x [{x.X.Rows}, {x.X.Columns}], {g}, {u}, h [{hs.Rows}, {hs.Columns}].");
        var xs = Input(Normalize(x, 0, nameof(MatMulSwiGlu)), g, u);
        ForRanges(outDim, 8, (r0, r1) => SwiGluRows(xs, g, u, hs, r0, r1));
    }

    /// <summary>h[t, r] = silu(G[r]·x[t]) · (U[r]·x[t]) for r in [r0, r1): both dots batch invariant, as in <see cref="MatMulRows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]    // vectors is cleared once below; gs and us are written before they are read
    private static void SwiGluRows(MatMulInput x, CpuTensor g, CpuTensor u, CpuTensor h, int r0, int r1)
    {
        if (x.Rows == 1 && g.DType == DType.BF16 && u.DType == DType.BF16)
        {
            float* gs = stackalloc float[16], us = stackalloc float[16];
            float* vectors = stackalloc float[16 * 16];
            new Span<float>(vectors, 16 * 16).Clear();
            for (int r = r0; r < r1; r += 16)
            {
                int n = Math.Min(16, r1 - r);
                RowsDotBf16(g, r, n, x.Permuted, gs, vectors);
                RowsDotBf16(u, r, n, x.Permuted, us, vectors);
                for (int k = 0; k < n; k++) h.F32[r + k] = SimdKernels.SiluMul(gs[k], us[k]);
            }
            return;
        }
        ProductRows(x, g, u, h, r0, r1, accumulate: false);
    }

    /// <inheritdoc/>
    public void Scale(DeviceTensor x, float scale)
    {
        var t = Cpu(x);
        var s = new Span<float>(t.F32, checked((int)t.ElementCount));
        TensorPrimitives.Multiply(s, scale, s);
    }

    /// <inheritdoc/>
    public void ConcatColumns(DeviceTensor a, DeviceTensor b, DeviceTensor output)
    {
        var x = Cpu(a); var y = Cpu(b); var o = Cpu(output);
        int ca = x.Columns, cb = y.Columns;
        if (o.Columns != ca + cb || x.Rows != o.Rows || y.Rows != o.Rows) throw new ArgumentException($"ConcatColumns shapes: {x}, {y}, {o}.");
        for (int t = 0; t < o.Rows; t++)
        {
            Buffer.MemoryCopy(x.RowF32(t), o.RowF32(t), ca * 4L, ca * 4L);
            Buffer.MemoryCopy(y.RowF32(t), o.RowF32(t) + ca, cb * 4L, cb * 4L);
        }
    }

    /// <inheritdoc/>
    public void GatherRows(DeviceTensor x, DeviceTensor rows, DeviceTensor output)
    {
        var xs = Cpu(x); var r = Cpu(rows); var o = Cpu(output);
        int cols = xs.Columns;
        Require(o.Columns == cols && r.ElementCount >= o.Rows, nameof(GatherRows), $"x {xs}, rows {r}, output {o}");
        for (int i = 0; i < o.Rows; i++) Require((uint)r.I32[i] < (uint)xs.Rows, nameof(GatherRows), $"row {r.I32[i]} outside [0, {xs.Rows})");
        for (int i = 0; i < o.Rows; i++)
            Buffer.MemoryCopy(xs.RowF32(r.I32[i]), o.RowF32(i), cols * 4L, cols * 4L);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (CpuTensor.Canary) CpuTensor.CheckFreed();
        _pool.Dispose();
        _scratch.Dispose();
        _expertBuffer?.Dispose();
        _expertBuffer = null;
        _arena.Dispose();
    }
}
