using System.Diagnostics;
using System.Threading.Channels;
using LongCat.Sdk.KvCache;
using LongCat.Sdk.Model;

namespace LongCat.Sdk.Serving;

/// <summary>
/// The one thread that owns the model and its backend: takes requests from a channel, runs schedule → forward → sample → post
/// until disposed. A failure in one step fails only the sequences of that step; cancellation is honoured at the next step and
/// frees the sequence's KV blocks before its stream completes.
/// </summary>
internal sealed class EngineLoop : IDisposable
{
    private readonly LongCatModel _model;
    private readonly Scheduler _scheduler;
    private readonly Channel<Sequence> _incoming = Channel.CreateUnbounded<Sequence>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private float[] _logitsRow = [];
    private float[] _probabilitiesRow = [];                     // the target's distribution of a sampled verify row

    public EngineLoop(LongCatModel model, int maxBatchTokens, int maxSequences, bool prefixCaching)
    {
        _model = model;
        if (prefixCaching) PrefixCache = new PrefixCache(model.KvCache.Pool);
        _scheduler = new Scheduler(model.KvCache.Pool, maxBatchTokens, maxSequences, PrefixCache);
        _thread = new Thread(Run) { IsBackground = true, Name = "longcat-engine" };
        _thread.Start();
    }

    /// <summary>Full blocks of finished sequences kept for reuse, or null when prefix caching is off.</summary>
    public PrefixCache? PrefixCache { get; }

    /// <summary>Steps run so far.</summary>
    public long Steps { get; private set; }

    public void Submit(Sequence s)
    {
        if (!_incoming.Writer.TryWrite(s)) throw new ObjectDisposedException(nameof(LongCatEngine));
    }

    private void Run()
    {
        var impossible = new List<Sequence>();
        while (!_stop.IsCancellationRequested)
        {
            while (_incoming.Reader.TryRead(out var s)) _scheduler.Add(s);
            if (_scheduler.Idle)
            {
                try
                {
                    if (!_incoming.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult()) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }

            foreach (var s in _scheduler.All.Where(s => s.CancelRequested).ToList()) Finish(s, FinishReason.Cancelled);

            impossible.Clear();
            var plan = _scheduler.Schedule(impossible);
            foreach (var s in impossible)
                Fail(s, new KvCacheExhaustedException((s.Tokens.Count + _model.KvCache.Pool.BlockSize - 1) / _model.KvCache.Pool.BlockSize, _model.KvCache.Pool.FreeCount));
            if (plan.Count == 0) continue;
            Step(plan);
        }
        // Shutting down: end every stream.
        while (_incoming.Reader.TryRead(out var s)) _scheduler.Add(s);
        foreach (var s in _scheduler.All.ToList()) Finish(s, FinishReason.Cancelled);
    }

    private void Step(List<(Sequence Seq, int Count)> plan)
    {
        long stepStart = Stopwatch.GetTimestamp();
        bool speculate = _model.HasMtp && plan.Any(p => p.Seq.DraftTokens > 0);
        var batch = new ForwardBatch { KeepAllHidden = speculate };
        int history = _model.NgramHistoryLength;
        var chunks = new List<(Sequence Seq, int Start, int Count, int Drafts, int Row, int LogitRow)>(plan.Count);
        int row = 0, logitRow = 0;
        bool decode = true, verify = false;                                    // every sequence decodes one token / some verify drafts
        foreach (var (s, n) in plan)
        {
            int start = s.Cached, pending = s.Tokens.Count - start, drafts = n - Math.Min(n, pending);
            decode &= n - drafts == 1;
            verify |= drafts > 0;
            var tokens = new int[n];
            s.Tokens.CopyTo(start, tokens, 0, n - drafts);
            s.Drafts.CopyTo(0, tokens, n - drafts, drafts);                     // [pending token | drafts to verify]
            var ctx = s.Tokens.GetRange(Math.Max(0, start - history), Math.Min(history, start)).ToArray();
            batch.Chunks.Add(new SequenceChunk(s.Table, start, tokens, ctx, AllLogits: drafts > 0));
            chunks.Add((s, start, n, drafts, row, logitRow));
            row += n;
            logitRow += drafts > 0 ? n : 1;
        }
        float[] logits;
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            logits = _model.Forward(batch);
            Steps++;
            if (decode)
            {
                long ticks = Stopwatch.GetTimestamp() - t0;
                DecodeForwards++;
                DecodeForwardTicks += ticks;
                if (verify)
                {
                    VerifyForwards++;
                    VerifyForwardTicks += ticks;
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // One bad step must not take the engine down: the step's sequences fail, the rest go on.
            foreach (var (s, _) in plan) Fail(s, e);
            return;
        }

        int vocab = _model.Config.VocabSize;
        if (_logitsRow.Length != vocab)
        {
            _logitsRow = new float[vocab];
            _probabilitiesRow = new float[vocab];
        }
        var heads = new List<(Sequence Seq, MtpChunk Chunk, int Row)>();
        foreach (var (s, start, n, drafts, firstRow, firstLogit) in chunks)
        {
            try
            {
                int valid = n;                                                  // positions of this chunk that stay in the cache
                if (drafts == 0 && start + n < s.Tokens.Count)
                {
                    // A prefill chunk short of the prompt's end: nothing to sample yet.
                }
                else if (drafts == 0)
                {
                    logits.AsSpan(firstLogit * vocab, vocab).CopyTo(_logitsRow);
                    if (s.AllowedTokens is { } allowed) KeepOnly(_logitsRow, allowed);
                    s.DecodeSteps++;
                    Advance(s, s.Sampler.Sample(_logitsRow, s.Prompt, s.Generated));
                }
                else
                {
                    var emit = SpeculativeDecoder.Verify(s, logits.AsSpan(firstLogit * vocab, (drafts + 1) * vocab), vocab, s.Drafts,
                        s.DraftProbabilities.Count == drafts ? s.DraftProbabilities : null, _logitsRow, out int accepted, _probabilitiesRow);
                    s.Drafted += drafts;
                    s.Accepted += accepted;
                    s.DecodeSteps++;
                    s.VerifySteps++;
                    Drafted += drafts;
                    AcceptedDrafts += accepted;
                    VerifySteps++;
                    s.Drafts.Clear();
                    s.DraftProbabilities.Clear();
                    valid = 1 + accepted;
                    s.Table.Truncate(_model.KvCache.Pool, start + valid);          // roll back the rejected drafts' latents
                    foreach (int token in emit)
                    {
                        Advance(s, token);
                        if (s.Finished) break;
                    }
                }
                if (!s.Finished && speculate && s.DraftTokens > 0 && start + valid < s.Tokens.Count)
                {
                    // The head reads position p with token p+1: every position of this chunk whose next token is now known.
                    var next = s.Tokens.GetRange(start + 1, valid).ToArray();
                    heads.Add((s, new MtpChunk(s.Table, start, next, AllLogits: false), firstRow));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Fail(s, e);
            }
        }
        long draftStart = Stopwatch.GetTimestamp();
        if (decode) DecodeStepTicks += draftStart - stepStart;
        if (heads.Count > 0)
        {
            Draft(heads, vocab);
            DraftTicks += Stopwatch.GetTimestamp() - draftStart;
        }
    }

    /// <summary>Runs the MTP head over the step's new positions and proposes each decoding sequence's drafts for the next step.</summary>
    private void Draft(List<(Sequence Seq, MtpChunk Chunk, int Row)> heads, int vocab)
    {
        var rows = heads.SelectMany(h => Enumerable.Range(h.Row, h.Chunk.NextTokens.Length)).ToArray();
        float[] draftLogits;
        try
        {
            draftLogits = _model.ForwardMtp(heads.Select(h => h.Chunk).ToList(), _model.LastHidden, rows, draftVocabulary: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var h in heads) Fail(h.Seq, e);
            return;
        }
        // Chain: draft j+1 comes from the head at the position of draft j, fed the head's own output state.
        var chain = new List<(Sequence Seq, int HiddenRow)>();
        for (int i = 0; i < heads.Count; i++)
        {
            var s = heads[i].Seq;
            if (s.Tokens.Count - s.Cached != 1) continue;                       // still prefilling: no drafts yet
            int room = Math.Min(s.DraftTokens, s.MaxLength - s.Tokens.Count);
            if (room <= 0) continue;
            LoadDraftRow(draftLogits, i);
            s.Drafts.Add(SpeculativeDecoder.Draft(s, _logitsRow, s.Drafts, out var q));
            if (q is not null) s.DraftProbabilities.Add(q);
            if (room > 1) chain.Add((s, i));                                // LastMtpHidden: one row per chunk, its last
        }
        for (int j = 1; chain.Count > 0; j++)
        {
            var pool = _model.KvCache.Pool;
            var next = new List<(Sequence Seq, int HiddenRow)>();
            var chunks = new List<MtpChunk>();
            var hiddenRows = new List<int>();
            foreach (var (s, hiddenRow) in chain)
            {
                // The head at position p reads token p+1 and predicts p+2: draft j+1 (at position Count−1+j) comes from position Count−2+j.
                int position = s.Tokens.Count - 2 + j;
                int blocksNeeded = (position + 1 + pool.BlockSize - 1) / pool.BlockSize - s.Table.Blocks.Count;
                if (blocksNeeded > pool.FreeCount) continue;                    // no room to draft further: verify what we have
                s.Table.Reserve(pool, position + 1);
                chunks.Add(new MtpChunk(s.Table, position, [s.Drafts[^1]], AllLogits: false));
                hiddenRows.Add(hiddenRow);
                next.Add((s, chunks.Count - 1));
            }
            if (chunks.Count == 0) break;
            float[] more;
            try
            {
                more = _model.ForwardMtp(chunks, _model.LastMtpHidden, hiddenRows.ToArray(), draftVocabulary: true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                foreach (var (s, _) in next) Fail(s, e);
                return;
            }
            chain.Clear();
            for (int i = 0; i < next.Count; i++)
            {
                var s = next[i].Seq;
                LoadDraftRow(more, i);
                s.Drafts.Add(SpeculativeDecoder.Draft(s, _logitsRow, s.Drafts, out var q));
                if (q is not null) s.DraftProbabilities.Add(q);
                if (s.Drafts.Count < Math.Min(s.DraftTokens, s.MaxLength - s.Tokens.Count)) chain.Add(next[i]);
            }
        }
    }

    /// <summary>
    /// Row <paramref name="row"/> of the head's logits into the full-vocabulary buffer: as is, or, with a draft vocabulary, its
    /// tokens' logits and −∞ elsewhere, so the sampler drafts from the draft tokens alone and its distribution q is zero outside
    /// them (rejection sampling stays exact).
    /// </summary>
    private void LoadDraftRow(float[] logits, int row)
    {
        var ids = _model.DraftIds;
        if (ids is null)
        {
            logits.AsSpan(row * _logitsRow.Length, _logitsRow.Length).CopyTo(_logitsRow);
            return;
        }
        int n = ids.Length;
        var values = logits.AsSpan(row * n, n);
        Array.Fill(_logitsRow, float.NegativeInfinity);
        for (int j = 0; j < n; j++) _logitsRow[ids[j]] = values[j];
    }

    /// <summary>Drafted and accepted tokens over the engine's lifetime.</summary>
    public long Drafted { get; private set; }
    public long AcceptedDrafts { get; private set; }
    /// <summary>Sequence steps that verified drafts, over the engine's lifetime.</summary>
    public long VerifySteps { get; private set; }

    /// <summary>Forward steps in which every sequence decodes (one new token, plus its drafts if any), and their time in Stopwatch ticks.</summary>
    public long DecodeForwards { get; private set; }
    public long DecodeForwardTicks { get; private set; }
    /// <summary>Of the decode steps, those in which some sequence verified drafts.</summary>
    public long VerifyForwards { get; private set; }
    public long VerifyForwardTicks { get; private set; }
    /// <summary>Time in the MTP head (first and chained drafts), in Stopwatch ticks.</summary>
    public long DraftTicks { get; private set; }
    /// <summary>Decode steps up to the drafting (forward, sampling and verification, streaming), in Stopwatch ticks.</summary>
    public long DecodeStepTicks { get; private set; }

    /// <summary>Masks every logit but the allowed ones to -inf (the allowed ids are in the vocabulary; the set is small).</summary>
    private static void KeepOnly(float[] logits, int[] allowed)
    {
        Span<float> kept = stackalloc float[allowed.Length];
        for (int i = 0; i < allowed.Length; i++) kept[i] = logits[allowed[i]];
        Array.Fill(logits, float.NegativeInfinity);
        for (int i = 0; i < allowed.Length; i++) logits[allowed[i]] = kept[i];
    }

    /// <summary>Appends a sampled token and streams what it completes; finishes the sequence when a stop rule fires.</summary>
    private void Advance(Sequence s, int token)
    {
        s.FirstTokenAt ??= s.Clock.Elapsed;
        if (s.StopTokens.Contains(token))
        {
            Finish(s, FinishReason.Stop);                      // the stop token is neither emitted nor counted
            return;
        }
        s.Tokens.Add(token);
        var (text, stopped) = s.Output.Push(token);
        if (stopped)
        {
            Finish(s, FinishReason.Stop, [token], text);
            return;
        }
        if (s.Tokens.Count >= s.MaxLength)
        {
            Finish(s, FinishReason.Length, [token], text);
            return;
        }
        s.Updates.Writer.TryWrite(new GenerationUpdate { Text = text, TokenIds = [token] });
    }

    private void Finish(Sequence s, FinishReason reason, IReadOnlyList<int>? lastTokens = null, string text = "")
    {
        if (s.Finished) return;
        text += s.Output.Finish();
        var calls = s.Output.ToolCalls;
        if (reason == FinishReason.Stop && calls.Count > 0) reason = FinishReason.ToolCalls;
        _scheduler.Remove(s, keepPrefix: true);                // frees the KV blocks before the stream completes
        s.Finished = true;
        s.Updates.Writer.TryWrite(new GenerationUpdate
        {
            Text = text,
            TokenIds = lastTokens ?? [],
            FinishReason = reason,
            Usage = s.Usage(),
            ToolCalls = calls.Count > 0 ? calls : null,
            MalformedToolCalls = s.Output.MalformedToolCalls.Count > 0 ? s.Output.MalformedToolCalls : null,
        });
        s.Updates.Writer.TryComplete();
    }

    private void Fail(Sequence s, Exception error)
    {
        if (s.Finished) return;
        _scheduler.Remove(s, keepPrefix: false);
        s.Finished = true;
        s.Updates.Writer.TryComplete(error);
    }

    /// <summary>Free KV blocks, read from the loop's pool (for diagnostics and tests); blocks held only by the prefix cache count as free.</summary>
    public int FreeBlocks => _model.KvCache.Pool.FreeCount + (PrefixCache?.Evictable ?? 0);

    public void Dispose()
    {
        _incoming.Writer.TryComplete();
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
