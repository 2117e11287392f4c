using System.Text;

namespace Dlm.Hub.Tests;

/// <summary>The files of a tiny model repository, as the hub would hold them.</summary>
public static class TinyModel
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>A valid safetensors file: one float32 tensor of <paramref name="count"/> values.</summary>
    public static byte[] Safetensors(string name, int count, int seed)
    {
        var header = $"{{\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{count}],\"data_offsets\":[0,{count * 4}]}}}}";
        while ((header.Length + 8) % 8 != 0) header += " ";
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + count * 4];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), (long)h.Length);
        h.CopyTo(bytes, 8);
        var rng = new Random(seed);
        for (int i = 0; i < count; i++) BitConverter.TryWriteBytes(bytes.AsSpan(8 + h.Length + i * 4), (float)rng.NextDouble());
        return bytes;
    }

    /// <summary>Adds config, tokenizer and weights (single file, or <paramref name="shards"/> shards with an index).</summary>
    public static FakeHub.Repo AddTo(FakeHub hub, string id, string commit = Commit, int shards = 1, bool gated = false, string? license = null)
    {
        var repo = hub.Add(id, commit, gated, license);
        void Text(string f, string s) => repo.Files[f] = Encoding.UTF8.GetBytes(s);
        Text("config.json", "{\"model_type\":\"llama\",\"hidden_size\":16,\"max_position_embeddings\":256}");
        Text("generation_config.json", "{\"eos_token_id\":2}");
        Text("tokenizer.json", "{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]}}");
        Text("tokenizer_config.json", "{\"eos_token\":\"</s>\"}");
        Text("special_tokens_map.json", "{\"eos_token\":\"</s>\"}");
        Text("README.md", "# tiny\n");
        Text(".gitattributes", "*.safetensors filter=lfs\n");
        repo.Files["pytorch_model.bin"] = new byte[100];
        repo.Files["onnx/model.onnx"] = new byte[100];
        if (shards == 1)
        {
            repo.Files["model.safetensors"] = Safetensors("w", 100_000, 1);
            repo.Lfs.Add("model.safetensors");
        }
        else
        {
            var map = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
            for (int s = 1; s <= shards; s++)
            {
                var f = $"model-{s:00000}-of-{shards:00000}.safetensors";
                repo.Files[f] = Safetensors($"w{s}", 20_000, s);
                repo.Lfs.Add(f);
                map.Append(s > 1 ? "," : "").Append($"\"w{s}\":\"{f}\"");
            }
            Text("model.safetensors.index.json", map.Append("}}").ToString());
        }
        return repo;
    }
}
