using System.Collections.Concurrent;
using Dlm.Core;
using Dlm.Models.Generation;
using Dlm.Numerics.Threading;

namespace Dlm.Serve.Engine;

/// <summary>
/// Continuous batching over one <see cref="InferenceSession"/>: a single engine thread owns the KV
/// cache of <see cref="Slots"/> sequences and loops — admit waiting requests into free slots
/// (prefill the prompt, copy it to each sample's slot, draw the first tokens), drop requests whose
/// client went away, then advance every live sample by one token in ONE batched decode step.
/// Requests join and leave between steps, so concurrent clients share each pass over the weights
/// instead of queuing behind each other. Sampling is the same as <see cref="Generator"/>'s (one
/// <see cref="Sampler"/> per sample, seeded streams, the prompt observed), so a request's tokens
/// do not depend on who else is in the batch.
/// </summary>
public sealed class ContinuousBatcher : IDisposable
{
    private readonly InferenceSession _session;
    private readonly TokenTextDecoder? _decoder;
    private readonly ConcurrentQueue<GenerationRequest> _pending = new();
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly Live?[] _bySlot;
    private readonly List<Live> _live = [];
    private readonly int _vocab;
    private readonly float[] _logits;
    private readonly int[] _rows, _tokens;
    private InferenceSession? _attention;
    private volatile bool _stopping;
    private int _pendingCount, _active;
    private long _steps, _generated;

    /// <summary>An engine of <paramref name="slots"/> sequences of up to <paramref name="capacity"/> tokens each.</summary>
    /// <param name="model">The weights.</param>
    /// <param name="slots">Sequences decoded together at most (a request of n samples takes n).</param>
    /// <param name="capacity">Tokens per sequence, prompt included (at most the model's context).</param>
    /// <param name="decoder">The tokenizer's decode, for stop strings.</param>
    /// <param name="pool">Threads of the kernels.</param>
    public ContinuousBatcher(InferenceModel model, int slots, int capacity, TokenTextDecoder? decoder, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (slots < 1) throw new DlmException($"the server needs at least one slot, not {slots}");
        Model = model;
        _session = new InferenceSession(model, slots, capacity, pool);
        _decoder = decoder;
        _vocab = model.Config.VocabSize;
        _bySlot = new Live?[slots];
        _logits = new float[slots * _vocab];
        _rows = new int[slots];
        _tokens = new int[slots];
        _thread = new Thread(Loop) { IsBackground = true, Name = "dlm-serve-engine" };
        _thread.Start();
    }

    /// <summary>The weights.</summary>
    public InferenceModel Model { get; }

    /// <summary>Sequences decoded together at most.</summary>
    public int Slots => _session.Sequences;

    /// <summary>Tokens one sequence holds, prompt included.</summary>
    public int Capacity => _session.Capacity;

    /// <summary>Slots in use now.</summary>
    public int ActiveSlots => Volatile.Read(ref _active);

    /// <summary>Requests waiting for slots.</summary>
    public int Queued => Volatile.Read(ref _pendingCount);

    /// <summary>Batched decode steps run so far.</summary>
    public long Steps => Interlocked.Read(ref _steps);

    /// <summary>Tokens generated so far (all requests).</summary>
    public long GeneratedTokens => Interlocked.Read(ref _generated);

    /// <summary>The most rows one decode step has carried so far (how much batching happened).</summary>
    public int LargestBatch { get; private set; }

    /// <summary>
    /// Queues <paramref name="request"/>; its events arrive on <see cref="GenerationRequest.Events"/>.
    /// It waits for slots when all are taken (first come, first served).
    /// </summary>
    public void Submit(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stopping, this);
        if (request.Samples < 1 || request.Samples > Slots) throw new DlmException($"n must lie in 1..{Slots}, not {request.Samples}");
        if (request.Prompt.Length == 0) throw new DlmException("a prompt needs at least one token");
        if (request.Prompt.Length >= Capacity) throw new DlmException($"the prompt of {request.Prompt.Length} tokens leaves no room in the context of {Capacity} tokens");
        request.Params.Validate();
        if (request.Params.StopStrings.Count > 0 && _decoder is null) throw new DlmException("stop strings need a tokenizer");
        Interlocked.Increment(ref _pendingCount);
        _pending.Enqueue(request);
        _wake.Release();
    }

    /// <summary>
    /// The last layer's attention of the last of <paramref name="tokens"/> over all of them
    /// ([heads][tokens]), computed on the engine thread between decode steps in a cache of its own.
    /// </summary>
    public Task<float[][]> AttentionAsync(int[] tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Length == 0) throw new DlmException("attention needs at least one token");
        if (tokens.Length > Capacity) throw new DlmException($"{tokens.Length} tokens do not fit the context of {Capacity} tokens");
        var done = new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously);
        cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        _work.Enqueue(() =>
        {
            if (done.Task.IsCompleted) return;
            try
            {
                _attention ??= new InferenceSession(Model, 1, Capacity);
                int heads = Model.Config.Heads;
                var flat = new float[heads * tokens.Length];
                _attention.PrefillAttention(0, tokens, flat);
                done.TrySetResult(Enumerable.Range(0, heads).Select(h => flat.AsSpan(h * tokens.Length, tokens.Length).ToArray()).ToArray());
            }
#pragma warning disable CA1031 // reported to the caller, never thrown on the engine thread
            catch (Exception e)
            {
                done.TrySetException(e);
            }
#pragma warning restore CA1031
        });
        _wake.Release();
        return done.Task;
    }

    /// <summary>Runs <paramref name="job"/> on the engine thread before the next step (tests hold the engine with it).</summary>
    internal void Post(Action job)
    {
        _work.Enqueue(job);
        _wake.Release();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            // Only the jobs already queued: a job that posts another runs it at the next iteration.
            for (int jobs = _work.Count; jobs > 0 && _work.TryDequeue(out var job); jobs--) RunJob(job);
            Admit();
            DropCancelled();
            if (_live.Count == 0)
            {
                _wake.Wait(200);
                continue;
            }
            try
            {
                Step();
            }
#pragma warning disable CA1031 // the engine thread must survive: an exception here would end the process
            catch (Exception e)
            {
                // A failed step fails the requests in it; the engine keeps serving the next ones.
                foreach (var l in _live.ToArray()) Fail(l, e);
            }
#pragma warning restore CA1031
        }
        foreach (var l in _live.ToArray()) Fail(l, new ObjectDisposedException(nameof(ContinuousBatcher)));
        while (_pending.TryDequeue(out var r)) r.Writer.TryComplete(new ObjectDisposedException(nameof(ContinuousBatcher)));
    }

#pragma warning disable CA1031 // a job reports its own errors; one that throws must not end the engine thread
    private static void RunJob(Action job)
    {
        try
        {
            job();
        }
        catch (Exception)
        {
        }
    }
#pragma warning restore CA1031

    // Admits waiting requests in order while the head of the queue fits the free slots.
    private void Admit()
    {
        while (_pending.TryPeek(out var r))
        {
            if (r.Cancellation.IsCancellationRequested)
            {
                _pending.TryDequeue(out _);
                Interlocked.Decrement(ref _pendingCount);
                r.Writer.TryComplete(new OperationCanceledException(r.Cancellation));
                continue;
            }
            if (Slots - ActiveSlots < r.Samples) return;
            _pending.TryDequeue(out _);
            Interlocked.Decrement(ref _pendingCount);
            try
            {
                Start(r);
            }
#pragma warning disable CA1031 // one bad request fails alone
            catch (Exception e)
            {
                foreach (var l in _live.Where(x => x.Owner.Request == r).ToArray()) Release(l);
                r.Writer.TryComplete(e);
            }
#pragma warning restore CA1031
        }
    }

    private void Start(GenerationRequest r)
    {
        var slots = new int[r.Samples];
        for (int s = 0, slot = 0; s < r.Samples; slot++)
            if (_bySlot[slot] is null) slots[s++] = slot;
        var first = new float[_vocab];
        _session.Reset(slots[0]);
        _session.Prefill(slots[0], r.Prompt, first);
        for (int s = 1; s < slots.Length; s++) _session.CopySequence(slots[0], slots[s]);
        long seed = r.Params.Seed ?? Random.Shared.NextInt64();
        int maxStop = r.Params.StopStrings.Count == 0 ? 0 : r.Params.StopStrings.Max(x => x.Length);
        var owner = new Owner(r, slots.Length);
        var started = new List<Live>();
        for (int s = 0; s < slots.Length; s++)
        {
            var sampler = new Sampler(r.Params, _vocab, Sampler.StreamSeed(seed, s));
            sampler.Observe(r.Prompt);
            var l = new Live(owner, s, slots[s], sampler, maxStop);
            _bySlot[slots[s]] = l;
            _live.Add(l);
            started.Add(l);
            Interlocked.Increment(ref _active);
        }
        foreach (var l in started) Advance(l, first);
    }

    private void DropCancelled()
    {
        foreach (var l in _live.ToArray())
        {
            if (_bySlot[l.Slot] == l && l.Owner.Request.Cancellation.IsCancellationRequested) Fail(l, new OperationCanceledException(l.Owner.Request.Cancellation));
        }
    }

    // One batched decode step over every live sample, then each draws its next token.
    private void Step()
    {
        int n = _live.Count;
        for (int b = 0; b < n; b++)
        {
            _rows[b] = _live[b].Slot;
            _tokens[b] = _live[b].Last;
        }
        _session.Step(_rows.AsSpan(0, n), _tokens.AsSpan(0, n), _logits.AsSpan(0, n * _vocab));
        Interlocked.Increment(ref _steps);
        if (n > LargestBatch) LargestBatch = n;
        var batch = _live.ToArray();
        for (int b = 0; b < n; b++) Advance(batch[b], _logits.AsSpan(b * _vocab, _vocab));
    }

    // Draws the sample's next token from its logits, reports it, and ends the sample when it stops.
    private void Advance(Live l, ReadOnlySpan<float> logits)
    {
        var r = l.Owner.Request;
        int token = l.Sampler.Next(logits);
        float lp = Sampler.LogSoftmaxAt(logits, token);
        l.Tokens.Add(token);
        l.Last = token;
        Interlocked.Increment(ref _generated);
        r.Writer.TryWrite(new TokenEvent(l.Sample, token, lp, r.TopLogprobs > 0 ? Top(logits, r.TopLogprobs) : []));
        StopReason? reason = null;
        if (IsStop(l, token, r.Params)) reason = StopReason.Stop;
        else if (l.Tokens.Count >= r.Params.MaxTokens || _session.Length(l.Slot) >= Capacity) reason = StopReason.Length;
        if (reason is { } why)
        {
            r.Writer.TryWrite(new FinishEvent(l.Sample, why, l.Tokens.Count));
            Release(l);
            if (--l.Owner.Running == 0) r.Writer.TryComplete();
        }
    }

    // As Generator: a stop token ends at once; a stop string is looked for where it could newly end.
    private bool IsStop(Live l, int token, SamplingParams p)
    {
        foreach (int t in p.StopTokens) if (t == token) return true;
        if (l.MaxStop == 0) return false;
        string text = _decoder!(l.Tokens.ToArray());
        int from = Math.Max(0, Math.Min(l.CheckedChars, text.Length) - l.MaxStop);
        l.CheckedChars = text.Length;
        foreach (var stop in p.StopStrings)
            if (text.IndexOf(stop, from, StringComparison.Ordinal) >= 0) return true;
        return false;
    }

    // Ends every sample of the request that owns l, with the error.
    private void Fail(Live l, Exception e)
    {
        foreach (var other in _live.Where(x => x.Owner == l.Owner).ToArray()) Release(other);
        l.Owner.Running = 0;
        l.Owner.Request.Writer.TryComplete(e);
    }

    private void Release(Live l)
    {
        if (_bySlot[l.Slot] != l) return;
        _bySlot[l.Slot] = null;
        _live.Remove(l);
        _session.Reset(l.Slot);
        Interlocked.Decrement(ref _active);
    }

    // The k most likely tokens under log softmax of the raw logits, most likely first.
    private static TokenLogprob[] Top(ReadOnlySpan<float> logits, int k)
    {
        k = Math.Min(k, logits.Length);
        // Sampler.LogSoftmaxAt's normaliser, so the chosen token's logprob and its entry here are the same bits.
        double logSum = Sampler.LogNormaliser(logits, out float max);
        var ids = new int[k];
        int count = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (count == k && logits[i] <= logits[ids[k - 1]]) continue;
            int at = count < k ? count++ : k - 1;
            while (at > 0 && logits[ids[at - 1]] < logits[i]) { ids[at] = ids[at - 1]; at--; }
            ids[at] = i;
        }
        var top = new TokenLogprob[k];
        for (int j = 0; j < k; j++) top[j] = new TokenLogprob(ids[j], (float)(logits[ids[j]] - max - logSum));
        return top;
    }

    /// <summary>Stops the engine thread; requests in flight fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _wake.Release();
        _thread.Join(TimeSpan.FromSeconds(30));
        _wake.Dispose();
    }

    private sealed class Owner(GenerationRequest request, int samples)
    {
        public GenerationRequest Request { get; } = request;
        public int Running { get; set; } = samples;
    }

    private sealed class Live(Owner owner, int sample, int slot, Sampler sampler, int maxStop)
    {
        public Owner Owner { get; } = owner;
        public int Sample { get; } = sample;
        public int Slot { get; } = slot;
        public Sampler Sampler { get; } = sampler;
        public int MaxStop { get; } = maxStop;
        public List<int> Tokens { get; } = [];
        public int Last { get; set; }
        public int CheckedChars { get; set; }
    }
}
