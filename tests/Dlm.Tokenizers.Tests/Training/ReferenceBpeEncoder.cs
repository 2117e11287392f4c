using System.Text;
using System.Text.Json;
using Dlm.Tokenizers.Training;

namespace Dlm.Tokenizers.Tests.Training;

/// <summary>
/// The plainest correct encoder for a tokenizer.json written by the trainer, to check it
/// against the Rust library: special tokens are cut out first (leftmost, then longest), the
/// rest is split by the pattern, each piece becomes its UTF-8 bytes as byte-level characters,
/// and merges apply by rank: repeatedly the adjacent pair of lowest rank, leftmost first.
/// Quadratic per piece, which is fine for pieces of a few bytes. Reads the JSON file itself,
/// so it checks what was written, not the in-memory result.
/// </summary>
internal sealed class ReferenceBpeEncoder
{
    private readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), int> _ranks = [];
    private readonly Dictionary<int, string> _idToToken = [];
    private readonly List<string> _specials = [];
    private readonly PreTokenizer _preTokenizer;

    public ReferenceBpeEncoder(string tokenizerJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJsonPath));
        var root = doc.RootElement;
        var model = root.GetProperty("model");
        foreach (var p in model.GetProperty("vocab").EnumerateObject())
        {
            _vocab[p.Name] = p.Value.GetInt32();
            _idToToken[p.Value.GetInt32()] = p.Name;
        }
        int rank = 0;
        foreach (var m in model.GetProperty("merges").EnumerateArray())
            _ranks.TryAdd((m[0].GetString()!, m[1].GetString()!), rank++);
        foreach (var t in root.GetProperty("added_tokens").EnumerateArray())
        {
            var content = t.GetProperty("content").GetString()!;
            _specials.Add(content);
            _vocab[content] = t.GetProperty("id").GetInt32();
            _idToToken[t.GetProperty("id").GetInt32()] = content;
        }
        var split = root.GetProperty("pre_tokenizer").GetProperty("pretokenizers")[0];
        _preTokenizer = PreTokenizer.Create(split.GetProperty("pattern").GetProperty("Regex").GetString());
    }

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        int start = 0;
        while (start < text.Length)
        {
            // Leftmost special token, longest at that position.
            int at = -1;
            string? hit = null;
            for (int i = start; i < text.Length && hit is null; i++)
                foreach (var s in _specials)
                    if (string.CompareOrdinal(text, i, s, 0, s.Length) == 0 && (hit is null || s.Length > hit.Length))
                    {
                        hit = s;
                        at = i;
                    }
            int end = hit is null ? text.Length : at;
            if (end > start)
            {
                var pieces = new List<string>();
                _preTokenizer.Split(text.AsSpan(start, end - start), p => pieces.Add(p.ToString()));
                foreach (var piece in pieces) EncodePiece(piece, ids);
            }
            if (hit is null) break;
            ids.Add(_vocab[hit]);
            start = at + hit.Length;
        }
        return ids;
    }

    private void EncodePiece(string piece, List<int> ids)
    {
        var symbols = Encoding.UTF8.GetBytes(piece).Select(b => ByteLevelAlphabet.ByteToChar(b).ToString()).ToList();
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank)
                {
                    bestRank = r;
                    best = i;
                }
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        foreach (var s in symbols) ids.Add(_vocab[s]);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            var token = _idToToken[id];
            if (_specials.Contains(token)) bytes.AddRange(Encoding.UTF8.GetBytes(token));
            else foreach (char c in token) bytes.Add(ByteLevelAlphabet.TryCharToByte(c, out var b) ? b : throw new InvalidDataException($"not a byte-level character: {c}"));
        }
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
