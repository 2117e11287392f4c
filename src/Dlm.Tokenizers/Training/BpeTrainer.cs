using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dlm.Core;

namespace Dlm.Tokenizers.Training;

/// <summary>
/// Trains a byte-level BPE tokenizer, the way the Hugging Face BPE trainer does with a
/// <c>Split(regex)</c> + <c>ByteLevel</c> pre-tokenizer: text is fed in sequences (a file is
/// fed line by line, each line with its newline), special tokens are cut out, the rest is split
/// by the pre-tokenization regex and each piece ("word") counted. <see cref="Train"/> then
/// learns merges over the distinct words (see <see cref="MergeLearner"/> for the order).
/// Ids: special tokens 0..k-1 in the order given, then the 256 byte tokens ordered by their
/// byte-level character (as Hugging Face orders its alphabet), then merged tokens in merge order.
/// The same input in the same order always gives the same result.
/// </summary>
public sealed class BpeTrainer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly BpeTrainerOptions _options;
    private readonly PreTokenizer _preTokenizer;
    private readonly SpecialTokenSplitter _specials;
    private readonly CountingLane[] _lanes;

    /// <summary>
    /// One counter of words with the delegates that fill it. Lane 0 takes <see cref="Feed"/>;
    /// blocks of file lines are shared among all lanes, whose counts are summed before training
    /// (sums do not depend on which lane counted what, so neither does the result).
    /// </summary>
    private sealed class CountingLane
    {
        public readonly WordCounter Words = new();
        private readonly SpecialTokenSplitter _specials;
        private readonly PieceSink _splitText;

        public CountingLane(PreTokenizer preTokenizer, SpecialTokenSplitter specials)
        {
            _specials = specials;
            PieceSink count = piece => Words.Add(piece);
            _splitText = text => preTokenizer.Split(text, count);
        }

        public void Feed(ReadOnlySpan<char> sequence) => _specials.Split(sequence, _splitText);

        /// <summary>Feeds each line of <paramref name="block"/> with its newline.</summary>
        public void FeedLines(ReadOnlySpan<char> block)
        {
            while (!block.IsEmpty)
            {
                int nl = block.IndexOf('\n');
                int len = nl < 0 ? block.Length : nl + 1;
                Feed(block[..len]);
                block = block[len..];
            }
        }
    }

    /// <summary>Validates the options; a bad value throws <see cref="DlmException"/>.</summary>
    public BpeTrainer(BpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _options = options;
        _preTokenizer = PreTokenizer.Create(options.Pattern);
        _specials = new SpecialTokenSplitter(options.SpecialTokens);
        int threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        _lanes = new CountingLane[threads];
        for (int i = 0; i < threads; i++) _lanes[i] = new CountingLane(_preTokenizer, _specials);
    }

    /// <summary>Smallest vocabulary for these special tokens: the special tokens plus 256 byte tokens.</summary>
    public static int MinimumVocabSize(int specialTokenCount) => specialTokenCount + 256;

    /// <summary>Distinct words counted so far.</summary>
    public int DistinctWords => Words.Distinct;

    /// <summary>Words counted so far, with repeats.</summary>
    public long TotalWords => Words.Total;

    /// <summary>All lanes' counts, gathered into lane 0.</summary>
    private WordCounter Words
    {
        get
        {
            for (int i = 1; i < _lanes.Length; i++) _lanes[0].Words.Drain(_lanes[i].Words);
            return _lanes[0].Words;
        }
    }

    /// <summary>
    /// Counts the words of one sequence. Pre-tokenization never crosses a sequence boundary,
    /// so feed text in the units it should be split in (<see cref="FeedFile"/> feeds lines).
    /// </summary>
    public void Feed(ReadOnlySpan<char> sequence) => _lanes[0].Feed(sequence);

    /// <summary>
    /// Feeds a UTF-8 text file line by line, each line with its line ending (as Hugging Face's
    /// <c>train_from_files</c> does). Throws <see cref="DlmException"/> naming the file when it
    /// cannot be read or is not valid UTF-8. <paramref name="onBytes"/> gets bytes read so far.
    /// </summary>
    public void FeedFile(string path, Action<long>? onBytes = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new StreamReader(stream, StrictUtf8, detectEncodingFromByteOrderMarks: false, 1 << 16);
            var buffer = new char[1 << 20];
            int filled = 0;
            bool firstBlock = true;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                int read = reader.ReadBlock(buffer, filled, buffer.Length - filled);
                bool end = read == 0;
                filled += read;
                int start = 0;
                if (firstBlock && filled > 0 && buffer[0] == '\uFEFF') start = 1; // a BOM is not text
                firstBlock = false;
                var span = buffer.AsSpan(0, filled);
                int last = span[start..].LastIndexOf('\n');
                if (last >= 0)
                {
                    FeedLines(buffer, start, start + last + 1);
                    start += last + 1;
                }
                if (end)
                {
                    if (start < filled) Feed(span[start..]);
                    break;
                }
                // Keep the unfinished line; grow the buffer when one line fills it.
                span[start..].CopyTo(buffer);
                filled -= start;
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                onBytes?.Invoke(stream.Position);
            }
            onBytes?.Invoke(stream.Length);
        }
        catch (DecoderFallbackException e)
        {
            throw new DlmException($"{path}: not valid UTF-8 text ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DlmException($"cannot read {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Feeds the complete lines <c>buffer[from..to)</c>: cut at newlines into one part per lane,
    /// counted in parallel.
    /// </summary>
    private void FeedLines(char[] buffer, int from, int to)
    {
        const int MinPart = 1 << 16;
        int parts = Math.Min(_lanes.Length, Math.Max(1, (to - from) / MinPart));
        if (parts == 1)
        {
            _lanes[0].FeedLines(buffer.AsSpan(from, to - from));
            return;
        }
        var bounds = new int[parts + 1];
        bounds[0] = from;
        bounds[parts] = to;
        for (int i = 1; i < parts; i++)
        {
            int guess = Math.Max(bounds[i - 1], from + (int)((long)(to - from) * i / parts));
            int nl = buffer.AsSpan(guess, to - guess).IndexOf('\n');
            bounds[i] = nl < 0 ? to : guess + nl + 1;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            i => _lanes[i].FeedLines(buffer.AsSpan(bounds[i], bounds[i + 1] - bounds[i])));
    }

    /// <summary>
    /// Feeds several files in order and reports progress in bytes over all of them.
    /// </summary>
    public void FeedFiles(IReadOnlyList<string> paths, IProgress<BpeTrainingProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        long total = 0;
        foreach (var p in paths)
        {
            try { total += new FileInfo(p).Length; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        long before = 0;
        var last = Stopwatch.StartNew();
        foreach (var p in paths)
        {
            if (!File.Exists(p))
                throw new DlmException(Directory.Exists(p) ? $"{p} is a folder, not a text file" : $"input file not found: {p}");
            long size = 0;
            FeedFile(p, read =>
            {
                size = read;
                if (progress is not null && last.ElapsedMilliseconds >= 50)
                {
                    last.Restart();
                    progress.Report(new BpeTrainingProgress(BpeTrainingPhase.CountingWords, before + read, total));
                }
            }, ct);
            before += size;
        }
        progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.CountingWords, before, Math.Max(total, before)));
    }

    /// <summary>
    /// Learns the merges over everything fed so far and returns the vocabulary and merges.
    /// Can be called again after feeding more.
    /// </summary>
    public BpeTrainingResult Train(IProgress<BpeTrainingProgress>? progress = null, CancellationToken ct = default)
    {
        var vocab = new List<string>(_options.VocabSize);
        var ids = new Dictionary<string, int>(_options.VocabSize, StringComparer.Ordinal);
        foreach (var s in _options.SpecialTokens)
        {
            ids.Add(s, vocab.Count);
            vocab.Add(s);
        }
        var byteId = new int[256];
        foreach (byte b in ByteOrder())
        {
            var s = ByteLevelAlphabet.ByteToChar(b).ToString();
            byteId[b] = vocab.Count;
            ids.Add(s, vocab.Count);
            vocab.Add(s);
        }

        var sorted = Words.Sorted();
        var words = new List<int[]>(sorted.Count);
        var freqs = new List<long>(sorted.Count);
        Span<byte> small = stackalloc byte[256];
        foreach (var (word, count) in sorted)
        {
            int n = Encoding.UTF8.GetMaxByteCount(word.Length);
            var bytes = n <= small.Length ? small : new byte[n];
            int len = Encoding.UTF8.GetBytes(word, bytes);
            if (len < 2) continue; // one byte: no pair to learn from
            var sym = new int[len];
            for (int i = 0; i < len; i++) sym[i] = byteId[bytes[i]];
            words.Add(sym);
            freqs.Add(count);
        }

        int start = vocab.Count;
        long target = Math.Max(_options.VocabSize, start);
        int every = Math.Max(1, (int)(target - start) / 200);
        progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.Merging, start, target));
        var learner = new MergeLearner([.. words], [.. freqs]);
        var merges = learner.Learn(vocab, ids, _options.VocabSize, _options.MinFrequency,
            progress is null ? null : size =>
            {
                if ((size - start) % every == 0) progress.Report(new BpeTrainingProgress(BpeTrainingPhase.Merging, size, target));
            }, ct);
        progress?.Report(new BpeTrainingProgress(BpeTrainingPhase.Merging, vocab.Count, target));
        return new BpeTrainingResult(vocab, merges, _options.SpecialTokens, _preTokenizer.RegexPattern);
    }

    /// <summary>Byte values ordered by the character that stands for them.</summary>
    private static IEnumerable<byte> ByteOrder() =>
        Enumerable.Range(0, 256).Select(b => (byte)b).OrderBy(b => ByteLevelAlphabet.ByteToChar(b));

    private static void Validate(BpeTrainerOptions o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in o.SpecialTokens)
        {
            if (string.IsNullOrEmpty(s)) throw new DlmException("a special token cannot be empty");
            if (!seen.Add(s)) throw new DlmException($"special token '{s}' is given twice");
            if (s.Length == 1 && ByteLevelAlphabet.TryCharToByte(s[0], out _))
                throw new DlmException($"special token '{s}' is also a byte token; use a longer string such as <|{s}|>");
        }
        int min = MinimumVocabSize(o.SpecialTokens.Count);
        if (o.VocabSize < min)
            throw new DlmException(string.Create(CultureInfo.InvariantCulture,
                $"vocabulary size {o.VocabSize} is too small: it must be at least {min} (256 byte tokens + {o.SpecialTokens.Count} special tokens)"));
        if (o.Threads < 0)
            throw new DlmException(string.Create(CultureInfo.InvariantCulture, $"threads must be 0 (one per processor) or more, not {o.Threads}"));
        if (o.MinFrequency < 0)
            throw new DlmException(string.Create(CultureInfo.InvariantCulture, $"minimum frequency must be 0 or more, not {o.MinFrequency}"));
    }
}
