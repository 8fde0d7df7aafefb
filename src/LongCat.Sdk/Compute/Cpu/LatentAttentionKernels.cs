using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LongCat.Sdk.Compute.Cpu;

/// <summary>
/// The inner loops of absorbed MLA attention over cached latent rows [c (L) ‖ k_rot (R)], one query head at a time.
/// Every (query, row) score and every output lane is computed by the same sequence of operations whatever the number of rows
/// handled together, so a token's attention is bit-identical whether it is decoded alone or verified beside drafts.
/// </summary>
internal static unsafe class LatentAttentionKernels
{
    /// <summary>
    /// scores[j] = scale · (q_lat·row_j[0..L) + q_rot·row_j[L..L+R)) for <paramref name="count"/> rows starting at
    /// <paramref name="rows"/>, <paramref name="stride"/> floats apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* qLat, float* qRot, float* rows, long stride, int count, int L, int R, float scale, float* scores)
    {
        int j = 0;
        if (Wide(L, R))
        {
            // The Vector256 loop's two accumulators per row (a: lanes 0-7 of each 16, b: lanes 8-15) as the halves of one.
            for (; j + 4 <= count; j += 4)
            {
                float* r0 = rows + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                for (int i = 0; i < L; i += 16)
                {
                    var q = Vector512.Load(qLat + i);
                    c0 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r0 + i), c0);
                    c1 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r1 + i), c1);
                    c2 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r2 + i), c2);
                    c3 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r3 + i), c3);
                }
                for (int k = 0; k < R; k += 16)
                {
                    var q = Vector512.Load(qRot + k);
                    c0 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r0 + L + k), c0);
                    c1 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r1 + L + k), c1);
                    c2 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r2 + L + k), c2);
                    c3 = Vector512.FusedMultiplyAdd(q, Vector512.Load(r3 + L + k), c3);
                }
                scores[j] = scale * (Halves(c0) + Tail(qLat, qRot, r0, L, R, L, R));
                scores[j + 1] = scale * (Halves(c1) + Tail(qLat, qRot, r1, L, R, L, R));
                scores[j + 2] = scale * (Halves(c2) + Tail(qLat, qRot, r2, L, R, L, R));
                scores[j + 3] = scale * (Halves(c3) + Tail(qLat, qRot, r3, L, R, L, R));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            // Two accumulators per row (alternate 8-lane chunks of each part): eight short chains in flight, not four long ones.
            for (; j + 4 <= count; j += 4)
            {
                float* r0 = rows + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                int i = 0;
                for (; i + 16 <= L; i += 16)
                {
                    var q = Vector256.Load(qLat + i);
                    a0 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r0 + i), a0);
                    a1 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r1 + i), a1);
                    a2 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r2 + i), a2);
                    a3 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r3 + i), a3);
                    var p = Vector256.Load(qLat + i + 8);
                    b0 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r0 + i + 8), b0);
                    b1 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r1 + i + 8), b1);
                    b2 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r2 + i + 8), b2);
                    b3 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r3 + i + 8), b3);
                }
                for (; i + 8 <= L; i += 8)
                {
                    var q = Vector256.Load(qLat + i);
                    a0 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r0 + i), a0);
                    a1 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r1 + i), a1);
                    a2 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r2 + i), a2);
                    a3 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r3 + i), a3);
                }
                int k = 0;
                for (; k + 16 <= R; k += 16)
                {
                    var q = Vector256.Load(qRot + k);
                    a0 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r0 + L + k), a0);
                    a1 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r1 + L + k), a1);
                    a2 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r2 + L + k), a2);
                    a3 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r3 + L + k), a3);
                    var p = Vector256.Load(qRot + k + 8);
                    b0 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r0 + L + k + 8), b0);
                    b1 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r1 + L + k + 8), b1);
                    b2 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r2 + L + k + 8), b2);
                    b3 = Vector256.FusedMultiplyAdd(p, Vector256.Load(r3 + L + k + 8), b3);
                }
                for (; k + 8 <= R; k += 8)
                {
                    var q = Vector256.Load(qRot + k);
                    a0 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r0 + L + k), a0);
                    a1 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r1 + L + k), a1);
                    a2 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r2 + L + k), a2);
                    a3 = Vector256.FusedMultiplyAdd(q, Vector256.Load(r3 + L + k), a3);
                }
                scores[j] = scale * (Vector256.Sum(a0 + b0) + Tail(qLat, qRot, r0, i, k, L, R));
                scores[j + 1] = scale * (Vector256.Sum(a1 + b1) + Tail(qLat, qRot, r1, i, k, L, R));
                scores[j + 2] = scale * (Vector256.Sum(a2 + b2) + Tail(qLat, qRot, r2, i, k, L, R));
                scores[j + 3] = scale * (Vector256.Sum(a3 + b3) + Tail(qLat, qRot, r3, i, k, L, R));
            }
        }
        for (; j < count; j++) scores[j] = scale * Score(qLat, qRot, rows + j * stride, L, R);
    }

    /// <summary>One row's unscaled score, in exactly the four-row loop's order.</summary>
    private static float Score(float* qLat, float* qRot, float* row, int L, int R)
    {
        int i = 0, k = 0;
        float vectorPart = 0;
        if (Wide(L, R))
        {
            Vector512<float> c = default;
            for (; i < L; i += 16) c = Vector512.FusedMultiplyAdd(Vector512.Load(qLat + i), Vector512.Load(row + i), c);
            for (; k < R; k += 16) c = Vector512.FusedMultiplyAdd(Vector512.Load(qRot + k), Vector512.Load(row + L + k), c);
            vectorPart = Halves(c);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> a = default, b = default;
            for (; i + 16 <= L; i += 16)
            {
                a = Vector256.FusedMultiplyAdd(Vector256.Load(qLat + i), Vector256.Load(row + i), a);
                b = Vector256.FusedMultiplyAdd(Vector256.Load(qLat + i + 8), Vector256.Load(row + i + 8), b);
            }
            for (; i + 8 <= L; i += 8) a = Vector256.FusedMultiplyAdd(Vector256.Load(qLat + i), Vector256.Load(row + i), a);
            for (; k + 16 <= R; k += 16)
            {
                a = Vector256.FusedMultiplyAdd(Vector256.Load(qRot + k), Vector256.Load(row + L + k), a);
                b = Vector256.FusedMultiplyAdd(Vector256.Load(qRot + k + 8), Vector256.Load(row + L + k + 8), b);
            }
            for (; k + 8 <= R; k += 8) a = Vector256.FusedMultiplyAdd(Vector256.Load(qRot + k), Vector256.Load(row + L + k), a);
            vectorPart = Vector256.Sum(a + b);
        }
        return vectorPart + Tail(qLat, qRot, row, i, k, L, R);
    }

    /// <summary>
    /// <see cref="Scores"/> for four query heads of one token at once (MLA's heads share the cached rows): each row is read once
    /// for all four, and each (query, row) score is formed exactly as <see cref="Score"/> forms it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores4(float* qLat, float* qRot, int latStride, int rotStride, float* rows, long stride, int count, int L, int R,
        float scale, float* scores, int scoreStride)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            for (int g = 0; g < 4; g++) Scores(qLat + g * latStride, qRot + g * rotStride, rows, stride, count, L, R, scale, scores + g * scoreStride);
            return;
        }
        float* q0 = qLat, q1 = q0 + latStride, q2 = q1 + latStride, q3 = q2 + latStride;
        float* k0 = qRot, k1 = k0 + rotStride, k2 = k1 + rotStride, k3 = k2 + rotStride;
        if (Wide(L, R))
        {
            for (int j = 0; j < count; j++)
            {
                float* row = rows + j * stride;
                Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
                for (int i = 0; i < L; i += 16)
                {
                    var r = Vector512.Load(row + i);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Load(q0 + i), r, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Load(q1 + i), r, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Load(q2 + i), r, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Load(q3 + i), r, c3);
                }
                float* rr = row + L;
                for (int k = 0; k < R; k += 16)
                {
                    var r = Vector512.Load(rr + k);
                    c0 = Vector512.FusedMultiplyAdd(Vector512.Load(k0 + k), r, c0);
                    c1 = Vector512.FusedMultiplyAdd(Vector512.Load(k1 + k), r, c1);
                    c2 = Vector512.FusedMultiplyAdd(Vector512.Load(k2 + k), r, c2);
                    c3 = Vector512.FusedMultiplyAdd(Vector512.Load(k3 + k), r, c3);
                }
                scores[j] = scale * (Halves(c0) + Tail(q0, k0, row, L, R, L, R));
                scores[scoreStride + j] = scale * (Halves(c1) + Tail(q1, k1, row, L, R, L, R));
                scores[2 * scoreStride + j] = scale * (Halves(c2) + Tail(q2, k2, row, L, R, L, R));
                scores[3 * scoreStride + j] = scale * (Halves(c3) + Tail(q3, k3, row, L, R, L, R));
            }
            return;
        }
        for (int j = 0; j < count; j++)
        {
            float* row = rows + j * stride;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            int i = 0;
            for (; i + 16 <= L; i += 16)
            {
                var r = Vector256.Load(row + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i), r, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i), r, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i), r, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i), r, a3);
                var u = Vector256.Load(row + i + 8);
                b0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i + 8), u, b0);
                b1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i + 8), u, b1);
                b2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i + 8), u, b2);
                b3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i + 8), u, b3);
            }
            for (; i + 8 <= L; i += 8)
            {
                var r = Vector256.Load(row + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(q0 + i), r, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(q1 + i), r, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(q2 + i), r, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(q3 + i), r, a3);
            }
            int k = 0;
            float* rr = row + L;
            for (; k + 16 <= R; k += 16)
            {
                var r = Vector256.Load(rr + k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(k0 + k), r, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(k1 + k), r, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(k2 + k), r, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(k3 + k), r, a3);
                var u = Vector256.Load(rr + k + 8);
                b0 = Vector256.FusedMultiplyAdd(Vector256.Load(k0 + k + 8), u, b0);
                b1 = Vector256.FusedMultiplyAdd(Vector256.Load(k1 + k + 8), u, b1);
                b2 = Vector256.FusedMultiplyAdd(Vector256.Load(k2 + k + 8), u, b2);
                b3 = Vector256.FusedMultiplyAdd(Vector256.Load(k3 + k + 8), u, b3);
            }
            for (; k + 8 <= R; k += 8)
            {
                var r = Vector256.Load(rr + k);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(k0 + k), r, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(k1 + k), r, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(k2 + k), r, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(k3 + k), r, a3);
            }
            scores[j] = scale * (Vector256.Sum(a0 + b0) + Tail(q0, k0, row, i, k, L, R));
            scores[scoreStride + j] = scale * (Vector256.Sum(a1 + b1) + Tail(q1, k1, row, i, k, L, R));
            scores[2 * scoreStride + j] = scale * (Vector256.Sum(a2 + b2) + Tail(q2, k2, row, i, k, L, R));
            scores[3 * scoreStride + j] = scale * (Vector256.Sum(a3 + b3) + Tail(q3, k3, row, i, k, L, R));
        }
    }

    /// <summary>
    /// <see cref="Values"/> for four queries with the same <paramref name="count"/>: outputs g·outputStride, weights p + g·pStride;
    /// each row is read once for all four, and every lane accumulates exactly as <see cref="Values"/> accumulates it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Values4(float* p, int pStride, int count, float* cache, long stride, int* table, int blockSize, int L, float* output, int outputStride)
    {
        int l = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            float* p0 = p, p1 = p0 + pStride, p2 = p1 + pStride, p3 = p2 + pStride;
            if (Vector512.IsHardwareAccelerated)
                for (; l + 16 <= L; l += 16)
                {
                    // Lane by lane the same FMAs as below: the width only decides how many lanes one instruction carries.
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                    for (int j0 = 0; j0 < count; j0 += blockSize)
                    {
                        float* row = cache + (long)table[j0 / blockSize] * blockSize * stride + l;
                        int n = Math.Min(blockSize, count - j0);
                        for (int j = j0; j < j0 + n; j++, row += stride)
                        {
                            var r = Vector512.Load(row);
                            a0 = Vector512.FusedMultiplyAdd(r, Vector512.Create(p0[j]), a0);
                            a1 = Vector512.FusedMultiplyAdd(r, Vector512.Create(p1[j]), a1);
                            a2 = Vector512.FusedMultiplyAdd(r, Vector512.Create(p2[j]), a2);
                            a3 = Vector512.FusedMultiplyAdd(r, Vector512.Create(p3[j]), a3);
                        }
                    }
                    a0.Store(output + l); a1.Store(output + outputStride + l);
                    a2.Store(output + 2 * outputStride + l); a3.Store(output + 3 * outputStride + l);
                }
            for (; l + 16 <= L; l += 16)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                for (int j0 = 0; j0 < count; j0 += blockSize)
                {
                    float* row = cache + (long)table[j0 / blockSize] * blockSize * stride + l;
                    int n = Math.Min(blockSize, count - j0);
                    for (int j = j0; j < j0 + n; j++, row += stride)
                    {
                        var r = Vector256.Load(row);
                        var u = Vector256.Load(row + 8);
                        var w0 = Vector256.Create(p0[j]); var w1 = Vector256.Create(p1[j]);
                        var w2 = Vector256.Create(p2[j]); var w3 = Vector256.Create(p3[j]);
                        a0 = Vector256.FusedMultiplyAdd(r, w0, a0); b0 = Vector256.FusedMultiplyAdd(u, w0, b0);
                        a1 = Vector256.FusedMultiplyAdd(r, w1, a1); b1 = Vector256.FusedMultiplyAdd(u, w1, b1);
                        a2 = Vector256.FusedMultiplyAdd(r, w2, a2); b2 = Vector256.FusedMultiplyAdd(u, w2, b2);
                        a3 = Vector256.FusedMultiplyAdd(r, w3, a3); b3 = Vector256.FusedMultiplyAdd(u, w3, b3);
                    }
                }
                a0.Store(output + l); b0.Store(output + l + 8);
                a1.Store(output + outputStride + l); b1.Store(output + outputStride + l + 8);
                a2.Store(output + 2 * outputStride + l); b2.Store(output + 2 * outputStride + l + 8);
                a3.Store(output + 3 * outputStride + l); b3.Store(output + 3 * outputStride + l + 8);
            }
        }
        if (l == L) return;
        // The lanes left over (fewer than 16): one query at a time, same per-lane order.
        for (int g = 0; g < 4; g++) ValuesFrom(p + g * pStride, count, cache, stride, table, blockSize, l, L, output + g * outputStride);
    }

    /// <summary>The lanes past the last whole vector of each part, in order.</summary>
    /// <summary>
    /// Whether the scores take the Vector512 loops: both parts whole 16-lane vectors. One 16-lane accumulator holds exactly the
    /// Vector256 loops' pair (a: lanes 0-7 of each 16 values, b: lanes 8-15), so every score keeps its bits (the 8-lane
    /// remainder loops, which feed a alone, are the Vector256 path's).
    /// </summary>
    private static bool Wide(int L, int R) => Vector512.IsHardwareAccelerated && L % 16 == 0 && R % 16 == 0;

    /// <summary>Vector256.Sum(a + b) of the Vector256 loops, from their pair held as one vector's halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Halves(Vector512<float> c) => Vector256.Sum(c.GetLower() + c.GetUpper());

    private static float Tail(float* qLat, float* qRot, float* row, int i, int k, int L, int R)
    {
        float s = 0;
        for (; i < L; i++) s = MathF.FusedMultiplyAdd(qLat[i], row[i], s);
        for (; k < R; k++) s = MathF.FusedMultiplyAdd(qRot[k], row[L + k], s);
        return s;
    }

    /// <summary>
    /// output[0..L) = Σ_j p[j] · row_j[0..L) over positions j in [0, count) of a paged cache: row j lives at
    /// cache + (table[j / blockSize] · blockSize + j % blockSize) · stride. Each lane accumulates over j in order with fused
    /// multiply-adds.
    /// </summary>
    public static void Values(float* p, int count, float* cache, long stride, int* table, int blockSize, int L, float* output) =>
        ValuesFrom(p, count, cache, stride, table, blockSize, 0, L, output);

    /// <summary><see cref="Values"/> for lanes [l0, L) only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ValuesFrom(float* p, int count, float* cache, long stride, int* table, int blockSize, int l0, int L, float* output)
    {
        int l = l0;
        if (Vector256.IsHardwareAccelerated)
        {
            if (Vector512.IsHardwareAccelerated)
                for (; l + 64 <= L; l += 64)
                {
                    Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;   // lane by lane the loop below's FMAs
                    for (int j0 = 0; j0 < count; j0 += blockSize)
                    {
                        float* row = cache + (long)table[j0 / blockSize] * blockSize * stride + l;
                        int n = Math.Min(blockSize, count - j0);
                        for (int j = 0; j < n; j++, row += stride)
                        {
                            var w = Vector512.Create(p[j0 + j]);
                            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), w, a0);
                            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 16), w, a1);
                            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 32), w, a2);
                            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(row + 48), w, a3);
                        }
                    }
                    a0.Store(output + l); a1.Store(output + l + 16); a2.Store(output + l + 32); a3.Store(output + l + 48);
                }
            for (; l + 64 <= L; l += 64)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int j0 = 0; j0 < count; j0 += blockSize)
                {
                    float* row = cache + (long)table[j0 / blockSize] * blockSize * stride + l;
                    int n = Math.Min(blockSize, count - j0);
                    for (int j = 0; j < n; j++, row += stride)
                    {
                        var w = Vector256.Create(p[j0 + j]);
                        a0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), w, a0);
                        a1 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 8), w, a1);
                        a2 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 16), w, a2);
                        a3 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 24), w, a3);
                        a4 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 32), w, a4);
                        a5 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 40), w, a5);
                        a6 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 48), w, a6);
                        a7 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 56), w, a7);
                    }
                }
                a0.Store(output + l); a1.Store(output + l + 8); a2.Store(output + l + 16); a3.Store(output + l + 24);
                a4.Store(output + l + 32); a5.Store(output + l + 40); a6.Store(output + l + 48); a7.Store(output + l + 56);
            }
            for (; l + 8 <= L; l += 8)
            {
                Vector256<float> a = default;
                for (int j0 = 0; j0 < count; j0 += blockSize)
                {
                    float* row = cache + (long)table[j0 / blockSize] * blockSize * stride + l;
                    int n = Math.Min(blockSize, count - j0);
                    for (int j = 0; j < n; j++, row += stride) a = Vector256.FusedMultiplyAdd(Vector256.Load(row), Vector256.Create(p[j0 + j]), a);
                }
                a.Store(output + l);
            }
        }
        for (; l < L; l++)
        {
            float a = 0;
            for (int j = 0; j < count; j++)
                a = MathF.FusedMultiplyAdd(cache[((long)table[j / blockSize] * blockSize + j % blockSize) * stride + l], p[j], a);
            output[l] = a;
        }
    }

    /// <summary>
    /// Natural log of the smallest normal F32: a score this far below the row's maximum has a probability below every normal
    /// float (its exponential alone is subnormal).
    /// </summary>
    private const float SubnormalExponent = -87.33654f;

    /// <summary>
    /// scores ← softmax(scores) in place, with no subnormal probability: scores more than 87.3 below the maximum become −∞ before
    /// the exponentials (which would be subnormal, and the sum, at least 1, cannot see them) and probabilities below the smallest
    /// normal float become 0 after. Every other probability has the bits of TensorPrimitives' softmax of (scores − max). A
    /// trained model's peaked attention makes such probabilities often (about 4% of them on the thinking demo model), and every
    /// multiply of a subnormal operand takes a microcode assist on x86 (.NET does not set flush-to-zero): in the values' sum they
    /// cost the demo model's batched decode a third of its attention time. Dropping them changes an output lane only where the
    /// lane's sum is itself below about 1e-30.
    /// </summary>
    public static void SoftMax(Span<float> scores)
    {
        TensorPrimitives.Subtract(scores, TensorPrimitives.Max(scores), scores);   // SoftMax alone overflows above ~88
        ReplaceBelow(scores, SubnormalExponent, float.NegativeInfinity);
        TensorPrimitives.SoftMax(scores, scores);
        ReplaceBelow(scores, MinNormal, 0f);
    }

    /// <summary>values[i] = replacement where values[i] &lt; threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReplaceBelow(Span<float> values, float threshold, float replacement)
    {
        int i = 0, n = values.Length;
        fixed (float* p = values)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var t = Vector512.Create(threshold); var r = Vector512.Create(replacement);
                for (; i <= n - 16; i += 16)
                {
                    var v = Vector512.Load(p + i);
                    Vector512.ConditionalSelect(Vector512.LessThan(v, t), r, v).Store(p + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var t = Vector256.Create(threshold); var r = Vector256.Create(replacement);
                for (; i <= n - 8; i += 8)
                {
                    var v = Vector256.Load(p + i);
                    Vector256.ConditionalSelect(Vector256.LessThan(v, t), r, v).Store(p + i);
                }
            }
            for (; i < n; i++)
                if (p[i] < threshold) p[i] = replacement;
        }
    }

    /// <summary>The smallest normal F32, 2^-126.</summary>
    private const float MinNormal = 1.17549435e-38f;
}
