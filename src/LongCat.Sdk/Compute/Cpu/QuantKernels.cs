using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>The instruction set a quantized product runs on. Every path gives the same bits (<see cref="QuantKernels"/>).</summary>
internal enum QuantPath
{
    /// <summary>Plain loops: the reference the others are tested against, and the path without AVX2.</summary>
    Scalar,
    /// <summary>256-bit, u8×s8 pairs (vpmaddubsw) then s16 pairs (vpmaddwd).</summary>
    Avx2,
    /// <summary>256-bit vpdpbusd (AVX-VNNI): four u8×s8 products summed into each s32 lane in one instruction.</summary>
    AvxVnni,
    /// <summary>512-bit vpmaddubsw/vpmaddwd (AVX-512BW): two 8-bit blocks, or four 4-bit blocks, per instruction.</summary>
    Avx512,
}

/// <summary>
/// Products of <see cref="DType.Q8"/> and <see cref="DType.Q4"/> weight rows with token rows quantized once per op to int8
/// (<see cref="QuantizedRows"/>): integer dot products per block of 32 values, dequantized in registers, as llama.cpp's
/// Q8_0/Q4_0 × Q8_0 kernels do.
/// </summary>
/// <remarks>
/// <para><b>One order for every path, every batch.</b> A product is defined by this arithmetic, which the scalar twins
/// (<see cref="DotQ8Scalar"/>, <see cref="DotQ4Scalar"/>) spell out and every SIMD path reproduces bit for bit, whatever the
/// number of token rows in the call:</para>
/// <list type="number">
/// <item>Integer lanes, exact. Q8: for block b, lane j (0..7) is Σ w·a over columns 32b+4j..+3. Q4: blocks go in pairs
/// (2p, 2p+1); lane j &lt; 4 of pair p is Σ (q − zero)·a over block 2p's columns 4j..4j+3 and 16+4j..16+4j+3 (a byte's two
/// nibbles), lanes 4..7 the same for block 2p+1 (a missing last block: zeros).</item>
/// <item>d = weight scale (F16 → F32) × activation scale, an F32 product, per block.</item>
/// <item>Two sets of eight F32 lanes: Q8 block b adds into set b mod 2, Q4 pair p into set p mod 2, each lane by
/// acc = fma((float)lane, d, acc), in increasing block order.</item>
/// <item>s = set0 + set1 (lanewise), result = ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)).</item>
/// </list>
/// <para>The integer lanes come out exact on every path: Q8 via the sign trick (|w| as u8 × a with w's sign, at most
/// 2·127·127 per s16 pair) or the offset trick (w + 128 as u8, then the row's −128·Σa added back, VNNI only: no s16 step);
/// Q4's nibbles are u8 already and −zero·Σa comes from the offsets stored with the activations.</para>
/// </remarks>
internal static unsafe partial class QuantKernels
{
    /// <summary>Values per activation scale and per weight block.</summary>
    public const int Block = BlockFormats.BlockSize;

    /// <summary>
    /// Bytes ahead of a weight row's current position that the kernels prefetch, one line per line read (a prefetch past the
    /// weight's end is harmless). A pass reads four consecutive rows at once, so a distance under four rows' bytes lands on rows
    /// the pass is already reading: 1 KB (the first choice) left Q8 decode at 0.45 of the read bandwidth on lite-mini, 16 KB
    /// (four passes of 1 KB rows ahead) took it to 0.68-0.73 and Q4 to 0.69-0.75 (docs/PERFORMANCE.md).
    /// </summary>
    private const int PrefetchDistance = 16384;

    /// <summary>
    /// The fastest path this CPU has for <paramref name="format"/> weights (measured: docs/PERFORMANCE.md); every path gives the
    /// same bits. Q8: AVX-VNNI's vpdpbusd on 256 bits, then AVX2; the AVX-512BW sign trick needs three more ops per step than
    /// AVX2's (no vpsignb) and loses to both. Q4: AVX-512BW (four blocks per step), then AVX-VNNI, then AVX2.
    /// </summary>
    public static QuantPath Best(DType format) => format == DType.Q8
        ? IsSupported(QuantPath.AvxVnni) ? QuantPath.AvxVnni : IsSupported(QuantPath.Avx2) ? QuantPath.Avx2 : QuantPath.Scalar
        : IsSupported(QuantPath.Avx512) ? QuantPath.Avx512 : IsSupported(QuantPath.AvxVnni) ? QuantPath.AvxVnni : IsSupported(QuantPath.Avx2) ? QuantPath.Avx2 : QuantPath.Scalar;

    /// <summary>True when this CPU runs <paramref name="path"/>.</summary>
    public static bool IsSupported(QuantPath path) => path switch
    {
        QuantPath.Scalar => true,
        QuantPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        QuantPath.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported,
        QuantPath.Avx512 => Avx512BW.IsSupported && Avx512F.IsSupported,
        _ => false,
    };

    // ---- The activation side: token rows to int8 blocks ----

    /// <summary>
    /// Quantizes token row <paramref name="x"/> into row <paramref name="t"/> of <paramref name="rows"/>: per block, s = max|x| / 127,
    /// q = round(x / s) (ties to even) as x · (1 / s), clamped to ±127 (never −128: the sign trick negates it); then the offsets.
    /// Vector and scalar code give the same bytes (an exact max, the same F32 operations).
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, in QuantizedRows rows, int t, bool scalar = false)
    {
        int nb = rows.Blocks;
        sbyte* q = rows.Values(t);
        float* scales = rows.Scales(t);
        int* offsets = rows.Offsets(t);
        sbyte* block = stackalloc sbyte[Block];
        new Span<byte>(q, QuantizedRows.ValueBytes(nb)).Clear();
        new Span<byte>(offsets, QuantizedRows.OffsetBytes(nb)).Clear();
        for (int b = 0; b < nb; b++)
        {
            scales[b] = !scalar && Vector256.IsHardwareAccelerated ? QuantizeBlock(x + b * Block, block) : QuantizeBlockScalar(x + b * Block, block);
            if (rows.Format == DType.Q8)
            {
                // Natural order; offsets −128·Σa per 4 values (the VNNI offset trick's correction).
                Unsafe.CopyBlock(q + b * Block, block, Block);
                for (int j = 0; j < 8; j++) offsets[b * 8 + j] = -128 * (block[4 * j] + block[4 * j + 1] + block[4 * j + 2] + block[4 * j + 3]);
            }
            else
            {
                // Quads of blocks, 128 bytes: the four blocks' columns 0..15, then their columns 16..31, matching a weight byte's
                // low and high nibbles. Offsets −8·Σa per lane of its pair (zero 8; other zeros scale it by zero/8, exactly).
                sbyte* dst = q + b / 4 * 128 + b % 4 * 16;
                Unsafe.CopyBlock(dst, block, 16);
                Unsafe.CopyBlock(dst + 64, block + 16, 16);
                int* o = offsets + b / 2 * 8 + b % 2 * 4;
                for (int j = 0; j < 4; j++)
                {
                    int sum = 0;
                    for (int i = 0; i < 4; i++) sum += block[4 * j + i] + block[16 + 4 * j + i];
                    o[j] = -8 * sum;
                }
            }
        }
    }

    private static float QuantizeBlockScalar(float* x, sbyte* q)
    {
        float amax = 0;
        for (int i = 0; i < Block; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
        float scale = amax / 127f, inv = scale == 0 ? 0 : 1f / scale;
        for (int i = 0; i < Block; i++) q[i] = (sbyte)Math.Clamp(MathF.Round(x[i] * inv), -127f, 127f);
        return scale;
    }

    private static float QuantizeBlock(float* x, sbyte* q)
    {
        var v0 = Vector256.Load(x); var v1 = Vector256.Load(x + 8); var v2 = Vector256.Load(x + 16); var v3 = Vector256.Load(x + 24);
        var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
        float amax = MathF.Max(MathF.Max(m4[0], m4[1]), MathF.Max(m4[2], m4[3]));
        float scale = amax / 127f, inv = scale == 0 ? 0 : 1f / scale;
        var vi = Vector256.Create(inv);
        var lo = Vector256.Create(-127f);
        var hi = Vector256.Create(127f);
        var i0 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(v0 * vi), lo, hi));
        var i1 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(v1 * vi), lo, hi));
        var i2 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(v2 * vi), lo, hi));
        var i3 = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(v3 * vi), lo, hi));
        Vector256.Narrow(Vector256.Narrow(i0, i1), Vector256.Narrow(i2, i3)).Store(q);
        return scale;
    }

    // ---- Weight scales ----

    private static readonly float TwoPow112 = BitConverter.UInt32BitsToSingle(0x77800000);

    /// <summary>An F16 scale as F32, exactly (finite values; the vector form below gives the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToSingle(ushort h)
    {
        float magnitude = BitConverter.UInt32BitsToSingle((uint)(h & 0x7FFF) << 13) * TwoPow112;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(magnitude) | (uint)(h & 0x8000) << 16);
    }

    /// <summary>Eight F16 scales as F32: the half's bits moved into an F32's and rebased by 2^112 (exact, subnormals included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> HalfToSingle8(ushort* h)
    {
        var bits = Avx2.ConvertToVector256Int32(h).AsUInt32();
        var magnitude = ((bits & Vector256.Create(0x7FFFu)) << 13).AsSingle() * Vector256.Create(TwoPow112);
        return (magnitude.AsUInt32() | ((bits & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    /// <summary>
    /// d[8·j + i] = weight scale × activation scale of block c + i for slot j (weight scales from ws_j, token row scales from s_j),
    /// for the slots of <typeparamref name="TS"/>; 0 for i ≥ m (a missing block adds fma(0, 0, acc) = acc, acc never being −0).
    /// No calls: a call in the kernels' loops makes the JIT keep their accumulators in memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChunkScales<TS>(ushort* ws0, ushort* ws1, ushort* ws2, ushort* ws3, float* s0, float* s1, float* s2, float* s3, int c, int m, float* d)
        where TS : struct, IShape
    {
        int slots = TS.R * TS.N;
        if (m == 8)
        {
            (HalfToSingle8(ws0 + c) * Vector256.Load(s0 + c)).Store(d);
            if (slots > 1) (HalfToSingle8(ws1 + c) * Vector256.Load(s1 + c)).Store(d + 8);
            if (slots > 2) (HalfToSingle8(ws2 + c) * Vector256.Load(s2 + c)).Store(d + 16);
            if (slots > 3) (HalfToSingle8(ws3 + c) * Vector256.Load(s3 + c)).Store(d + 24);
            return;
        }
        for (int i = 0; i < 8; i++)
        {
            bool present = i < m;
            d[i] = present ? HalfToSingle(ws0[c + i]) * s0[c + i] : 0;
            if (slots > 1) d[8 + i] = present ? HalfToSingle(ws1[c + i]) * s1[c + i] : 0;
            if (slots > 2) d[16 + i] = present ? HalfToSingle(ws2[c + i]) * s2[c + i] : 0;
            if (slots > 3) d[24 + i] = present ? HalfToSingle(ws3[c + i]) * s3[c + i] : 0;
        }
    }

    /// <summary>
    /// The weight row of slot <paramref name="j"/> in a <typeparamref name="TS"/> pass from weight row r: row r + j when several
    /// weight rows share the pass (decode), row r when several token rows do (prefill); null past the shape's slots.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightSlot<TS>(in QuantWeightRows rows, int r, int j, out byte* w, out ushort* ws, out byte* zeros) where TS : struct, IShape
    {
        bool used = j < TS.R * TS.N;
        int row = r + (TS.R > 1 ? j : 0);
        w = used ? rows.Row(row) : null;
        ws = used ? rows.RowScales(row) : null;
        zeros = used ? rows.RowZeros(row) : null;
    }

    /// <summary>The token row of slot <paramref name="j"/>: t0 when several weight rows share a pass, t0 + j when several token
    /// rows do; null past the shape's slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TokenSlot<TS>(in QuantizedRows a, int t0, int j, out sbyte* q, out int* offsets, out float* scales) where TS : struct, IShape
    {
        bool used = j < TS.R * TS.N;
        int t = t0 + (TS.R > 1 ? 0 : j);
        q = used ? a.Values(t) : null;
        offsets = used ? a.Offsets(t) : null;
        scales = used ? a.Scales(t) : null;
    }

    /// <summary>Step 4 of the order for one slot: s = set0 + set1 given, then its eight lanes to one F32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Reduce(Vector256<float> s)
    {
        var h = s.GetLower() + s.GetUpper();
        return (h[0] + h[2]) + (h[1] + h[3]);
    }

    /// <summary>Step 4 for four slots at once, each result the bits of <see cref="Reduce(Vector256{float})"/>: the same additions, transposed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        // t = [s0+s4, s1+s5, s2+s6, s3+s7] per slot; c01 = [t0+t2, t1+t3] of slots 0 and 1; then (t0+t2) + (t1+t3).
        Vector128<float> t0 = s0.GetLower() + s0.GetUpper(), t1 = s1.GetLower() + s1.GetUpper();
        Vector128<float> t2 = s2.GetLower() + s2.GetUpper(), t3 = s3.GetLower() + s3.GetUpper();
        var c01 = Sse.Shuffle(t0, t1, 0b01_00_01_00) + Sse.Shuffle(t0, t1, 0b11_10_11_10);
        var c23 = Sse.Shuffle(t2, t3, 0b01_00_01_00) + Sse.Shuffle(t2, t3, 0b11_10_11_10);
        return Sse.Shuffle(c01, c23, 0b10_00_10_00) + Sse.Shuffle(c01, c23, 0b11_01_11_01);
    }

    /// <summary>The results of a pass's slots (their sets already added: s_j = set0 + set1) to result[0..R·N).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TS>(float* result, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3) where TS : struct, IShape
    {
        int slots = TS.R * TS.N;
        if (slots == 4)
        {
            Reduce4(s0, s1, s2, s3).Store(result);
            return;
        }
        result[0] = Reduce(s0);
        if (slots > 1) result[1] = Reduce(s1);
        if (slots > 2) result[2] = Reduce(s2);
    }

    /// <summary><see cref="Store{TS}(float*, Vector256{float}, Vector256{float}, Vector256{float}, Vector256{float})"/> for zmm
    /// accumulators holding a slot's even set in the low half and its odd set in the high half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TS>(float* result, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3) where TS : struct, IShape =>
        Store<TS>(result, a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper());

    private static float ReduceScalar(float* acc)
    {
        float s0 = acc[0] + acc[8], s1 = acc[1] + acc[9], s2 = acc[2] + acc[10], s3 = acc[3] + acc[11];
        float s4 = acc[4] + acc[12], s5 = acc[5] + acc[13], s6 = acc[6] + acc[14], s7 = acc[7] + acc[15];
        return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
    }

    // ---- Weight rows ----

    /// <summary>
    /// result[i·count + k] = W[row0 + i]·x[t0 + k] for i &lt; <paramref name="rowCount"/>, k &lt; <paramref name="count"/> ≤ 4, with
    /// <paramref name="a"/> quantized in <paramref name="w"/>'s format; every result has the bits of the one-row, one-token product.
    /// Scales of groups wider than 32 values and zero points are spread per block into <paramref name="spread"/>
    /// (<see cref="SpreadBytes"/> bytes) first, a row at a time. <paramref name="path"/>: null for <see cref="Best"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(CpuTensor w, int row0, int rowCount, in QuantizedRows a, int t0, int count, float* result, byte* spread, QuantPath? path)
    {
        var p = path ?? Best(w.DType);
        int nb = w.Columns / Block;
        var scales = (CpuTensor)w.BlockScales!;
        var z = (CpuTensor?)w.Zeros;
        long rowBytes = w.DType.ByteCount(w.Columns);
        var rows = new QuantWeightRows(w.Data + row0 * rowBytes, rowBytes, (ushort*)scales.Data + (long)row0 * scales.Columns, scales.Columns,
            z is null ? null : z.Data + (long)row0 * z.Columns, z?.Columns ?? 0, rowCount);
        if (w.GroupSize == Block && z is null)
        {
            Dot(w.DType, rows, a, t0, count, nb, result, p);
            return;
        }
        // GPTQ-style groups (64, 128, ... values) or zero points: one scale and zero per block, as the kernels read them.
        int per = w.GroupSize / Block;
        ushort* s = (ushort*)spread;
        byte* zs = z is null ? null : spread + 2 * nb;
        for (int i = 0; i < rowCount; i++)
        {
            ushort* ws = rows.Scales + i * rows.ScaleStride;
            byte* zeros = z is null ? null : rows.Zeros + i * rows.ZeroStride;
            for (int b = 0; b < nb; b++)
            {
                s[b] = ws[b / per];
                if (zs != null) zs[b] = zeros[b / per];
            }
            Dot(w.DType, new QuantWeightRows(rows.Data + i * rowBytes, rowBytes, s, nb, zs, nb, 1), a, t0, count, nb, result + i * count, p);
        }
    }

    /// <summary>Bytes <see cref="Dot(CpuTensor, int, int, in QuantizedRows, int, int, float*, byte*, QuantPath?)"/> needs in its
    /// spread buffer for rows of <paramref name="columns"/> values.</summary>
    public static int SpreadBytes(int columns) => 3 * (columns / Block);

    /// <summary>result[i·count + k] = row i · token row t0 + k, for Q8 or Q4 rows with one scale (and zero) per block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot(DType format, in QuantWeightRows w, in QuantizedRows a, int t0, int count, int nb, float* result, QuantPath path)
    {
        if (format == DType.Q8)
            switch (path)
            {
                case QuantPath.Avx512: ForCount<Q8Avx512Kernel>(count, w, a, t0, nb, result); return;
                case QuantPath.AvxVnni when count == 4 && nb <= FourTokenMaxBlocks: RunFourTokens<Q8Tokens4<Q8Vnni>>(w, a, t0, nb, result); return;
                case QuantPath.AvxVnni: ForCount<Q8Kernel256<Q8Vnni>>(count, w, a, t0, nb, result); return;
                case QuantPath.Avx2 when count == 4 && nb <= FourTokenMaxBlocks: RunFourTokens<Q8Tokens4<Q8Avx2>>(w, a, t0, nb, result); return;
                case QuantPath.Avx2 when count == 1 && nb <= FourTokenMaxBlocks:
                    if (SimdKernels.IsAmdProcessor) RunFourRows<Q8Rows4<Q8Avx2, SimdKernels.IntoL2>, Q8Kernel256<Q8Avx2>>(w, a, t0, nb, result);
                    else RunFourRows<Q8Rows4<Q8Avx2, SimdKernels.IntoL1>, Q8Kernel256<Q8Avx2>>(w, a, t0, nb, result);
                    return;
                case QuantPath.Avx2: ForCount<Q8Kernel256<Q8Avx2>>(count, w, a, t0, nb, result); return;
            }
        else
            switch (path)
            {
                case QuantPath.Avx512 when count == 4 && Q4Tokens4.Handles(w, nb): RunFourTokens<Q4Tokens4>(w, a, t0, nb, result); return;
                case QuantPath.Avx512 when count == 1 && Q4Rows4Handles(w, nb):
                    if (SimdKernels.IsAmdProcessor) RunFourRows<Q4Rows4<SimdKernels.IntoL2>, Q4Avx512Kernel>(w, a, t0, nb, result);
                    else RunFourRows<Q4Rows4<SimdKernels.IntoL1>, Q4Avx512Kernel>(w, a, t0, nb, result);
                    return;
                case QuantPath.Avx512: ForCount<Q4Avx512Kernel>(count, w, a, t0, nb, result); return;
                case QuantPath.AvxVnni: ForCount<Q4Kernel256<Q4Vnni>>(count, w, a, t0, nb, result); return;
                case QuantPath.Avx2: ForCount<Q4Kernel256<Q4Avx2>>(count, w, a, t0, nb, result); return;
            }
        for (int i = 0; i < w.Count; i++)
            for (int k = 0; k < count; k++)
                result[i * count + k] = format == DType.Q8
                    ? DotQ8Scalar((sbyte*)w.Row(i), w.RowScales(i), a, t0 + k, nb)
                    : DotQ4Scalar(w.Row(i), w.RowScales(i), w.RowZeros(i), a, t0 + k, nb);
    }

    /// <summary>The scalar twin of the Q8 kernels: the order of the class remarks, literally.</summary>
    [SkipLocalsInit]
    public static float DotQ8Scalar(sbyte* w, ushort* ws, in QuantizedRows a, int t, int nb)
    {
        float* acc = stackalloc float[16];
        new Span<float>(acc, 16).Clear();
        sbyte* q = a.Values(t);
        for (int b = 0; b < nb; b++)
        {
            float d = HalfToSingle(ws[b]) * a.Scales(t)[b];
            for (int j = 0; j < 8; j++)
            {
                int lane = 0;
                for (int i = 0; i < 4; i++) lane += w[b * Block + 4 * j + i] * q[b * Block + 4 * j + i];
                acc[b % 2 * 8 + j] = MathF.FusedMultiplyAdd(lane, d, acc[b % 2 * 8 + j]);
            }
        }
        return ReduceScalar(acc);
    }

    /// <summary>The scalar twin of the Q4 kernels: the order of the class remarks, literally (Σ (q − zero)·a; not the offsets).</summary>
    [SkipLocalsInit]
    public static float DotQ4Scalar(byte* w, ushort* ws, byte* zeros, in QuantizedRows a, int t, int nb)
    {
        float* acc = stackalloc float[16];
        new Span<float>(acc, 16).Clear();
        sbyte* q = a.Values(t);
        for (int p = 0; p < (nb + 1) / 2; p++)
            for (int j = 0; j < 8; j++)
            {
                int b = 2 * p + j / 4, jj = j % 4, lane = 0;
                float d = 0;
                if (b < nb)
                {
                    int zero = zeros == null ? 8 : zeros[b];
                    sbyte* lo = q + b / 4 * 128 + b % 4 * 16;                    // the block's columns 0..15, then 16..31 at +64
                    for (int i = 0; i < 4; i++)
                    {
                        byte packed = w[b * 16 + 4 * jj + i];
                        lane += ((packed & 0xF) - zero) * lo[4 * jj + i] + ((packed >> 4) - zero) * lo[64 + 4 * jj + i];
                    }
                    d = HalfToSingle(ws[b]) * a.Scales(t)[b];
                }
                acc[p % 2 * 8 + j] = MathF.FusedMultiplyAdd(lane, d, acc[p % 2 * 8 + j]);
            }
        return ReduceScalar(acc);
    }

    // ---- Shapes: up to four (weight row, token row) products share a pass ----

    /// <summary>R weight rows × N token rows per pass (one of them 1, R·N ≤ 4): each product is a slot with its own accumulators.</summary>
    internal interface IShape
    {
        static abstract int R { get; }
        static abstract int N { get; }
    }

    private struct R1N1 : IShape { public static int R => 1; public static int N => 1; }
    private struct R1N2 : IShape { public static int R => 1; public static int N => 2; }
    private struct R1N3 : IShape { public static int R => 1; public static int N => 3; }
    private struct R1N4 : IShape { public static int R => 1; public static int N => 4; }
    private struct R4N1 : IShape { public static int R => 4; public static int N => 1; }

    /// <summary>A compile-time flag: kernels specialized on it carry no run-time test in their loops.</summary>
    internal interface IFlag
    {
        static abstract bool Value { get; }
    }

    private struct Yes : IFlag { public static bool Value => true; }
    private struct No : IFlag { public static bool Value => false; }

    /// <summary>A kernel over weight rows, specialized for the shape of its passes.</summary>
    private interface IRowKernel
    {
        /// <summary>result[i·N + k] for rows i &lt; w.Count (a multiple of R) and token rows t0 + k, k &lt; N.</summary>
        static abstract void Run<TS>(in QuantWeightRows w, in QuantizedRows a, int t0, int nb, float* result) where TS : struct, IShape;
    }

    /// <summary>
    /// Decode (one token row): four weight rows per pass, sharing the token row's loads, eight independent accumulator chains, one
    /// loop for four rows; the rows left over one at a time. Several token rows: one weight row per pass, read once for all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForCount<TKernel>(int count, in QuantWeightRows w, in QuantizedRows a, int t0, int nb, float* result)
        where TKernel : struct, IRowKernel
    {
        switch (count)
        {
            case 1:
                int four = w.Count / 4 * 4;
                if (four > 0) TKernel.Run<R4N1>(w.Slice(0, four), a, t0, nb, result);
                if (four < w.Count) TKernel.Run<R1N1>(w.Slice(four, w.Count - four), a, t0, nb, result + four);
                break;
            case 2: TKernel.Run<R1N2>(w, a, t0, nb, result); break;
            case 3: TKernel.Run<R1N3>(w, a, t0, nb, result); break;
            case 4: TKernel.Run<R1N4>(w, a, t0, nb, result); break;
            default: throw new ArgumentOutOfRangeException(nameof(count), count, "one to four token rows");
        }
    }
}

/// <summary>
/// Consecutive rows of a <see cref="DType.Q8"/> or <see cref="DType.Q4"/> weight as the kernels read them: the values, one F16
/// scale per block of 32, and (Q4) one zero point per block or none.
/// </summary>
internal readonly unsafe struct QuantWeightRows(byte* data, long stride, ushort* scales, long scaleStride, byte* zeros, long zeroStride, int count)
{
    public byte* Data { get; } = data;
    public long Stride { get; } = stride;
    public ushort* Scales { get; } = scales;
    public long ScaleStride { get; } = scaleStride;
    public byte* Zeros { get; } = zeros;
    public long ZeroStride { get; } = zeroStride;
    public int Count { get; } = count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Row(int i) => Data + i * Stride;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public QuantWeightRows Slice(int start, int count) => new(Row(start), Stride, RowScales(start), ScaleStride, RowZeros(start), ZeroStride, count);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort* RowScales(int i) => Scales + i * ScaleStride;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* RowZeros(int i) => Zeros == null ? null : Zeros + i * ZeroStride;
}

/// <summary>
/// Token rows [T, K] quantized for a product with <see cref="DType.Q8"/> or <see cref="DType.Q4"/> weights
/// (<see cref="QuantKernels.Quantize"/>): per row, the int8 values (Q8: natural order; Q4: quads of blocks, columns 0..15 of
/// each then 16..31, zero-padded to a whole quad), one F32 scale per block, and per lane the offset term (Q8: −128·Σ of 4
/// values, per block; Q4: −8·Σ of the lane's 8 values, per pair of blocks). Rows are 64-byte aligned in a caller's buffer.
/// </summary>
internal readonly unsafe struct QuantizedRows(byte* data, int rows, int columns, DType format)
{
    public byte* Data { get; } = data;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;

    /// <summary>The weight format these rows were quantized for.</summary>
    public DType Format { get; } = format;

    public int Blocks => Columns / QuantKernels.Block;
    public long Stride => RowBytes(Columns);

    public bool IsEmpty => Data == null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public sbyte* Values(int t) => (sbyte*)(Data + t * Stride);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Scales(int t) => (float*)(Data + t * Stride + ValueBytes(Blocks));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int* Offsets(int t) => (int*)(Data + t * Stride + ValueBytes(Blocks) + ScaleBytes(Blocks));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ValueBytes(int blocks) => (blocks + 3) / 4 * 128;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ScaleBytes(int blocks) => (blocks * 4 + 63) / 64 * 64;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int OffsetBytes(int blocks) => (blocks + 3) / 4 * 128;

    /// <summary>Bytes of one quantized row of <paramref name="columns"/> values (a multiple of 64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long RowBytes(int columns)
    {
        int nb = columns / QuantKernels.Block;
        return ValueBytes(nb) + ScaleBytes(nb) + OffsetBytes(nb);
    }
}
