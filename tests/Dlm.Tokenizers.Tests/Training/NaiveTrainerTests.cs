using System.Text;
using Dlm.Tokenizers.Training;

namespace Dlm.Tokenizers.Tests.Training;

/// <summary>
/// The incremental merge loop against the plainest trainer: recount every adjacent pair of
/// every word at every step, take the best by (count desc, left id, right id), merge it left to
/// right everywhere. On small alphabets ties and overlaps ("aaaa") are common, which is where
/// incremental bookkeeping goes wrong.
/// </summary>
public class NaiveTrainerTests
{
    private static List<string> NaiveMerges(IEnumerable<string> lines, int vocabSize, long minFrequency)
    {
        var vocab = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar((byte)b).ToString())
            .OrderBy(s => s[0]).ToList();
        var ids = vocab.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var pre = PreTokenizer.Create(null);
        foreach (var line in lines)
            pre.Split(line, p => counts[p.ToString()] = counts.GetValueOrDefault(p.ToString()) + 1);
        var words = counts.Select(kv => (Sym: Encoding.UTF8.GetBytes(kv.Key).Select(b => ids[ByteLevelAlphabet.ByteToChar(b).ToString()]).ToList(), Freq: kv.Value)).ToList();

        var merged = new HashSet<(int, int)>();
        var merges = new List<string>();
        while (vocab.Count < vocabSize)
        {
            var pairs = new Dictionary<(int, int), long>();
            foreach (var (sym, f) in words)
                for (int i = 0; i + 1 < sym.Count; i++)
                    pairs[(sym[i], sym[i + 1])] = pairs.GetValueOrDefault((sym[i], sym[i + 1])) + f;
            var best = pairs.Where(p => p.Value > 0 && !merged.Contains(p.Key))
                .OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2)
                .Select(p => ((int, int)?)p.Key).FirstOrDefault();
            if (best is not { } pair || pairs[pair] < minFrequency) break;
            merged.Add(pair);
            var s = vocab[pair.Item1] + vocab[pair.Item2];
            if (!ids.TryGetValue(s, out int id))
            {
                id = vocab.Count;
                vocab.Add(s);
                ids[s] = id;
            }
            merges.Add(vocab[pair.Item1] + " " + vocab[pair.Item2]);
            foreach (var (sym, _) in words)
                for (int i = 0; i + 1 < sym.Count; i++)
                    if (sym[i] == pair.Item1 && sym[i + 1] == pair.Item2)
                    {
                        sym[i] = id;
                        sym.RemoveAt(i + 1);
                    }
        }
        return merges;
    }

    [Theory]
    [InlineData("ab ", 1)]
    [InlineData("aab  ", 2)]
    [InlineData("abc'sd1 \n", 3)]
    [InlineData("aé中 😀", 4)]
    public void Incremental_loop_equals_full_recount(string alphabet, int seed)
    {
        var rng = new Random(seed);
        var runes = alphabet.EnumerateRunes().Select(r => r.ToString()).ToArray();
        int merges = 0;
        for (int corpus = 0; corpus < 25; corpus++)
        {
            var lines = new List<string>();
            for (int l = rng.Next(1, 12); l > 0; l--)
            {
                var sb = new StringBuilder();
                for (int n = rng.Next(0, 40); n > 0; n--) sb.Append(runes[rng.Next(runes.Length)]);
                lines.Add(sb.ToString());
            }
            int vocabSize = 256 + rng.Next(1, 60);
            long minFrequency = rng.Next(0, 3);
            var trainer = new BpeTrainer(new BpeTrainerOptions { VocabSize = vocabSize, MinFrequency = minFrequency });
            foreach (var line in lines) trainer.Feed(line);
            var r = trainer.Train();
            var ours = r.Merges.Select(m => r.Vocab[m.Left] + " " + r.Vocab[m.Right]).ToList();
            Assert.Equal(NaiveMerges(lines, vocabSize, minFrequency), ours);
            merges += r.Merges.Count;
        }
        Assert.True(merges > 200, $"only {merges} merges");
    }
}
