using LongCat.Sdk.Checkpoints;

namespace LongCat.Sdk.Compute;

/// <summary>MLA dimensions for the fused attention ops.</summary>
/// <param name="Heads">Query heads (nH).</param>
/// <param name="NopeDim">qk_nope_head_dim.</param>
/// <param name="RopeDim">qk_rope_head_dim (R).</param>
/// <param name="VDim">v_head_dim.</param>
/// <param name="Latent">kv_lora_rank (L).</param>
internal readonly record struct MlaShape(int Heads, int NopeDim, int RopeDim, int VDim, int Latent)
{
    /// <summary>Width of one head in q: nope + rope.</summary>
    public int QHeadDim => NopeDim + RopeDim;
    /// <summary>Rows of one head in kv_b_proj: k_nope + v.</summary>
    public int KvHeadRows => NopeDim + VDim;
    /// <summary>Values cached per token: L + R.</summary>
    public int CacheWidth => Latent + RopeDim;
}

/// <summary>
/// Rows read through RMSNorm: an op that takes one sees weight ⊙ x / sqrt(mean(x²) + eps) for each row of <paramref name="X"/>,
/// normalized where it is read (a norm prologue), so the normed rows cost no launch and no buffer of their own.
/// </summary>
/// <param name="X">F32 [T, n]: the rows before the norm (the residual stream).</param>
/// <param name="Weight">The norm weight [n] (F32, BF16 or F16).</param>
/// <param name="Eps">Added to the mean square.</param>
internal readonly record struct RmsNormed(DeviceTensor X, DeviceTensor Weight, float Eps);

/// <summary>The weights and scalars of one MLA sublayer that <see cref="IComputeBackend.MlaQueryAndCache"/> reads.</summary>
/// <param name="QANorm">q_a_layernorm weight [q_lora].</param>
/// <param name="QB">q_b_proj [nH·(nope+R), q_lora].</param>
/// <param name="KvANorm">kv_a_layernorm weight [L].</param>
/// <param name="KvB">kv_b_proj [nH·(nope+v), L]: W_UK and W_UV of every head.</param>
/// <param name="NormEps">eps of both LoRA norms.</param>
/// <param name="QScale">s_q, multiplies q after q_b_proj (mla_scale_q_lora).</param>
/// <param name="KvScale">s_kv, multiplies the normed latent (mla_scale_kv_lora).</param>
internal sealed record MlaLatentWeights(DeviceTensor QANorm, DeviceTensor QB, DeviceTensor KvANorm, DeviceTensor KvB, float NormEps, float QScale,
    float KvScale);

/// <summary>Rotary embedding parameters on the device.</summary>
/// <param name="InvFreq">F32 [R/2]: per-pair inverse frequency (YaRN-blended when rope_scaling is set).</param>
/// <param name="AttentionFactor">Multiplies cos and sin (YaRN attention factor; 1 otherwise).</param>
internal readonly record struct RopeParams(DeviceTensor InvFreq, float AttentionFactor);

/// <summary>Where each token of a step sits in the paged KV cache.</summary>
/// <param name="Positions">I32 [T]: position of each token in its sequence.</param>
/// <param name="Slots">I32 [T]: cache row (block × blockSize + offset) each token's latent is written to.</param>
/// <param name="TokenSequence">I32 [T]: row of <paramref name="BlockTables"/> each token belongs to.</param>
/// <param name="BlockTables">I32 [S, maxBlocks]: block ids of each sequence, in order.</param>
/// <param name="BlockSize">Tokens per block.</param>
internal readonly record struct AttentionMetadata(DeviceTensor Positions, DeviceTensor Slots, DeviceTensor TokenSequence, DeviceTensor BlockTables, int BlockSize);

/// <summary>The routed experts of one MoE layer, indexed by expert id (identity experts have no weights).</summary>
/// <param name="Gate">gate_proj per expert, [F, H].</param>
/// <param name="Up">up_proj per expert, [F, H].</param>
/// <param name="Down">down_proj per expert, [H, F].</param>
internal sealed record ExpertWeights(DeviceTensor[] Gate, DeviceTensor[] Up, DeviceTensor[] Down)
{
    /// <summary>Number of real experts; ids at or above it are identity experts.</summary>
    public int RealCount => Gate.Length;
}

/// <summary>
/// Executes the model's fused ops on one device. Activations are F32 row-major [rows, columns]; weights stay in
/// their stored format (F32, BF16, F16, FP8-E4M3 with block scales) and are widened inside the kernels.
/// All calls come from one thread (the engine loop); a backend may parallelize internally.
/// </summary>
internal interface IComputeBackend : IDisposable
{
    /// <summary>Short name for logs and benchmarks ("cpu", "ilgpu-cuda", …).</summary>
    string Name { get; }

    /// <summary>Allocates a zero-filled tensor.</summary>
    DeviceTensor Allocate(DType dtype, params int[] shape);

    /// <summary>
    /// Makes a checkpoint tensor available to kernels, viewed with <paramref name="shape"/> (same bytes). With
    /// <paramref name="format"/> a block-quantized format, the stored I8/U8 bytes are that format's values, <paramref name="shape"/>
    /// its logical [out, in], and <paramref name="blockScales"/> its F16 scales per <paramref name="groupSize"/> values.
    /// </summary>
    DeviceTensor LoadWeight(SafetensorsFile file, TensorInfo info, int[] shape, DeviceTensor? blockScales = null, DType? format = null, int groupSize = 0);

    /// <summary>
    /// A table the model reads a few rows per step (the token embedding when not tied to lm_head, the N-gram tables): the CPU
    /// backend leaves it memory-mapped whatever its residency (page cache the OS may evict, not process memory; docs/DEPLOYMENT.md);
    /// other backends load it as <see cref="LoadWeight"/> does.
    /// </summary>
    DeviceTensor LoadTable(SafetensorsFile file, TensorInfo info, int[] shape) => LoadWeight(file, info, shape);

    /// <summary>
    /// A zero-filled weight to be written with <see cref="Upload{T}"/> (weights quantized at load): in weight memory (the CPU
    /// backend's huge-page arena, device memory on a GPU), with a block-quantized format's F16 <paramref name="scales"/>, optional
    /// <paramref name="zeros"/> and <paramref name="groupSize"/>.
    /// </summary>
    DeviceTensor AllocateWeight(DType dtype, int[] shape, string name, DeviceTensor? scales = null, DeviceTensor? zeros = null, int groupSize = 0);

    /// <summary>Copies host values into a tensor (its first <c>values.Length</c> elements).</summary>
    void Upload<T>(DeviceTensor destination, ReadOnlySpan<T> values) where T : unmanaged;

    /// <summary>Copies a tensor's first <c>values.Length</c> elements to the host.</summary>
    void Download<T>(DeviceTensor source, Span<T> values) where T : unmanaged;

    /// <summary>output[t, :] = table[ids[t, column], :], widened to F32.</summary>
    void Embedding(DeviceTensor table, DeviceTensor ids, int column, DeviceTensor output);

    /// <summary>output = weight ⊙ x / sqrt(mean(x²) + eps), per row.</summary>
    void RmsNorm(DeviceTensor x, DeviceTensor weight, float eps, DeviceTensor output);

    /// <summary>y = x·Wᵀ (or y += x·Wᵀ when <paramref name="accumulate"/>): x [T, in], W [out, in], y [T, out].</summary>
    /// <remarks>With <paramref name="accumulate"/> the product is a residual epilogue: <c>MatMul(o, W_o, h, accumulate: true)</c> is h += o_proj(o).</remarks>
    void MatMul(DeviceTensor x, DeviceTensor weight, DeviceTensor y, bool accumulate = false);

    /// <summary>
    /// Two projections of one normed input: y1 = x̂·W1ᵀ and y2 = x̂·W2ᵀ with x̂ = RmsNorm(x) [T, in] (MLA's q_a and kv_a).
    /// W1 [out1, in] and W2 [out2, in] share a format; each keeps its own storage (and FP8 block scales).
    /// </summary>
    void MatMulPair(RmsNormed x, DeviceTensor weight1, DeviceTensor y1, DeviceTensor weight2, DeviceTensor y2);

    /// <summary>h = silu(x̂·Gᵀ) ⊙ (x̂·Uᵀ) with x̂ = RmsNorm(x): the SwiGLU hidden of a dense MLP. x [T, H], G and U [F, H], h [T, F].</summary>
    void MatMulSwiGlu(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor h);

    /// <summary>x *= scale, element-wise.</summary>
    void Scale(DeviceTensor x, float scale);

    /// <summary>
    /// MLA's latent projections after q_a and kv_a, as one op. Query side: q = q_b(RmsNorm(qa; QANorm))·s_q [T, nH·(nope+R)];
    /// q_nope is absorbed with W_UK (rows [h·(nope+v), h·(nope+v)+nope) of kv_b_proj) into qLat [T, nH·L] and q_rot is rotated
    /// (interleaved pairs) into qRot [T, nH·R]. Key side: ckv [T, L+R] = [c ‖ k_rot] from kv_a_proj_with_mqa gives
    /// cache[slots[t]] = [RmsNorm(c; KvANorm)·s_kv ‖ rope(k_rot)].
    /// </summary>
    void MlaQueryAndCache(DeviceTensor qa, DeviceTensor ckv, MlaLatentWeights weights, MlaShape shape, RopeParams rope, AttentionMetadata meta,
        DeviceTensor cache, DeviceTensor qLat, DeviceTensor qRot);

    /// <summary>
    /// Absorbed attention over the paged cache: for token t and head h, softmax over positions 0..positions[t] of its sequence of
    /// softmaxScale·(qLat·c + qRot·k_rot), then oLat [T, nH·L] = Σ p·c.
    /// </summary>
    void MlaAttention(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat);

    /// <summary>MLA value side: o [T, nH·v] with o[t,h] = W_UV[h]·oLat[t,h] (rows [h·(nope+v)+nope, (h+1)·(nope+v)) of kv_b_proj).</summary>
    void MlaValue(DeviceTensor oLat, DeviceTensor kvB, MlaShape shape, DeviceTensor o);

    /// <summary>
    /// <see cref="MlaAttention"/> followed by <see cref="MlaValue"/> as one op (W_UV as the attention's epilogue): o [T, nH·v].
    /// <paramref name="oLat"/> [T, nH·L] is workspace for backends that materialize the latent output; its contents afterwards are
    /// unspecified.
    /// </summary>
    void MlaAttentionValue(DeviceTensor qLat, DeviceTensor qRot, DeviceTensor cache, DeviceTensor kvB, MlaShape shape, float softmaxScale,
        AttentionMetadata meta, DeviceTensor oLat, DeviceTensor o);

    /// <summary>
    /// Router over x̂ = RmsNorm(x), which is also written to <paramref name="normed"/> [T, H] (the experts' input): scores =
    /// softmax(x̂·Cᵀ) in F32 over all experts; the top <paramref name="topK"/> of scores + <paramref name="bias"/> are selected
    /// (bias for selection only) and weighted by score × <paramref name="scaling"/>. ids I32 [T, k], weights F32 [T, k].
    /// </summary>
    void RouterTopK(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed);

    /// <summary>
    /// output[t] = Σ_k weights[t,k]·E_{ids[t,k]}(x[t]) (or output[t] += that when <paramref name="accumulate"/>: a residual epilogue)
    /// where a real expert is down(silu(gate·x) ⊙ up·x) and an id at or above <see cref="ExpertWeights.RealCount"/> is the identity.
    /// Tokens are grouped by expert so each expert's weights are read once; the sum runs in slot order.
    /// </summary>
    void MoeExperts(DeviceTensor x, DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor output, bool accumulate = false);

    /// <summary>
    /// Two computations of one normed input in one op (ScMoE's overlap window, LONGCAT.md §2): <see cref="RouterTopK"/> of
    /// <paramref name="x"/> (ids, weights, normed), then <see cref="MatMulSwiGlu"/> of the same <paramref name="x"/> into
    /// <paramref name="hidden"/>. The results are those of the two ops in that order; a backend may run them side by side.
    /// </summary>
    void RouterTopKAndSwiGlu(RmsNormed x, DeviceTensor classifier, DeviceTensor bias, int topK, float scaling, DeviceTensor ids, DeviceTensor weights,
        DeviceTensor normed, DeviceTensor gate, DeviceTensor up, DeviceTensor hidden);

    /// <summary>
    /// A dense SwiGLU MLP and the MoE experts added to one residual stream (ScMoE's end of block, LONGCAT.md §2):
    /// <paramref name="h"/> += down(silu(gate·x) ⊙ up·x) with <paramref name="mlpHidden"/> [T, F] as its hidden, then
    /// <paramref name="h"/> += Σ_k w_k·E_k(<paramref name="moeX"/>) as <see cref="MoeExperts"/> with accumulate. The results are those
    /// of <see cref="MatMulSwiGlu"/>, <see cref="MatMul"/> (accumulate) and <see cref="MoeExperts"/> in that order; a backend may run the
    /// MLP's and the experts' halves side by side.
    /// </summary>
    void MlpAndMoeExperts(RmsNormed x, DeviceTensor gate, DeviceTensor up, DeviceTensor down, DeviceTensor mlpHidden, DeviceTensor moeX,
        DeviceTensor ids, DeviceTensor weights, ExpertWeights experts, DeviceTensor h);

    /// <summary>output [T, a+b] = [a ‖ b] row by row.</summary>
    void ConcatColumns(DeviceTensor a, DeviceTensor b, DeviceTensor output);

    /// <summary>output[i] = x[rows[i]].</summary>
    void GatherRows(DeviceTensor x, DeviceTensor rows, DeviceTensor output);

    /// <summary>Waits until queued work is finished (a no-op on synchronous backends).</summary>
    void Synchronize();
}
