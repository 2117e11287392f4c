using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.IO;
using Dlm.Models.Tests.Transformer;
using Dlm.Models.Transformer;
using Dlm.TestSupport;

namespace Dlm.Models.Tests.Config;

public class HfConfigJsonTests
{
    [Fact]
    public void Reads_a_llama3_config_with_rope_scaling_and_gqa()
    {
        var c = HfConfigJson.Parse("""
            {"model_type":"llama","vocab_size":128256,"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,
             "num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"max_position_embeddings":131072,"rms_norm_eps":1e-05,
             "rope_theta":500000.0,"tie_word_embeddings":true,"attention_bias":false,"mlp_bias":false,
             "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"}}
            """);
        Assert.Equal(ModelFamily.Llama, c.Family);
        Assert.Equal((32, 8, 64, 8192), (c.Heads, c.KvHeads, c.ResolvedHeadDim, c.DFf));
        Assert.Equal(new RopeScaling(32, 1, 4, 8192), c.RopeScaling);
        Assert.True(c.TiedEmbeddings);
        Assert.False(c.QkvBias || c.MlpBias || c.RopeInterleaved);
        Assert.Equal(500000.0, c.RopeTheta);
    }

    [Fact]
    public void Qwen2_has_qkv_bias_and_gpt2_has_every_bias()
    {
        var q = HfConfigJson.Parse("""{"model_type":"qwen2","vocab_size":151936,"hidden_size":896,"intermediate_size":4864,"num_hidden_layers":24,"num_attention_heads":14,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"tie_word_embeddings":true}""");
        Assert.True(q.QkvBias);
        Assert.False(q.OutBias);
        Assert.Equal(64, q.ResolvedHeadDim);
        var g = HfConfigJson.Parse("""{"model_type":"gpt2","vocab_size":50257,"n_positions":1024,"n_embd":768,"n_layer":12,"n_head":12,"n_inner":null,"layer_norm_epsilon":1e-05,"activation_function":"gelu_new"}""");
        Assert.Equal((ModelFamily.Gpt2, 3072, 1024), (g.Family, g.DFf, g.ContextLength));
        Assert.True(g.QkvBias && g.OutBias && g.MlpBias && g.TiedEmbeddings);
    }

    [Theory]
    [InlineData("niels")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    public void Written_config_reads_back_the_same(string fixture)
    {
        var c = HfConfigJson.Load(RepoPaths.Fixture("models", fixture, "config.json"));
        Assert.Equal(c, HfConfigJson.Parse(HfConfigJson.ToJson(c)));
    }

    [Theory]
    [InlineData("""{"model_type":"mamba"}""", "not supported")]
    [InlineData("""{"model_type":"llama","hidden_size":30,"num_attention_heads":4,"vocab_size":5,"num_hidden_layers":1,"intermediate_size":4}""", "multiple of heads")]
    [InlineData("""{"model_type":"llama","hidden_size":"x"}""", "must be a number")]
    [InlineData("""{"model_type":"llama","hidden_size":32,"num_attention_heads":4,"vocab_size":5,"num_hidden_layers":1}""", "intermediate_size")]
    [InlineData("not json", "malformed")]
    public void Bad_configs_are_one_clear_error(string json, string message)
    {
        var e = Assert.Throws<DlmException>(() => HfConfigJson.Parse(json, "m/config.json"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("m/config.json", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Saved_folders_load_back_bit_for_bit(string fixture)
    {
        var folder = RepoPaths.Fixture("models", fixture);
        var config = HfModelFolder.LoadConfig(folder);
        var layout = new ParameterLayout(config);
        var w = new float[layout.Count];
        HfModelFolder.LoadWeights(folder, layout, w);
        var tmp = Directory.CreateTempSubdirectory("dlm-model-");
        try
        {
            HfModelFolder.Save(tmp.FullName, config, layout, w);
            var back = new float[layout.Count];
            HfModelFolder.LoadWeights(tmp.FullName, layout, back);
            Assert.Equal(w, back);
            Assert.Equal(config, HfModelFolder.LoadConfig(tmp.FullName));
            using var a = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
            using var b = SafeTensorsFile.Open(Path.Combine(tmp.FullName, "model.safetensors"));
            foreach (var name in a.Tensors.Keys) Assert.Equal(a.ReadFloat32(name), b.ReadFloat32(name));
        }
        finally
        {
            tmp.Delete(true);
        }
    }
}

public class ModelConfigTests
{
    [Fact]
    public void Niels_default_has_the_parameter_count_of_the_pytorch_model()
    {
        // tools/reference/bench_torch.py reports params 21507456 for the same model (REFERENCE.md R1: about 21.5M).
        var layout = new Dlm.Models.Transformer.ParameterLayout(ModelConfig.NielsDefault());
        Assert.Equal(21_507_456, layout.Count);
    }

    [Fact]
    public void Invalid_shapes_are_refused()
    {
        var ok = ModelConfig.NielsDefault();
        Assert.Throws<Dlm.Core.DlmException>(() => (ok with { KvHeads = 4 }).Validate());
        Assert.Throws<Dlm.Core.DlmException>(() => (ok with { Dropout = 1f }).Validate());
        Assert.Throws<Dlm.Core.DlmException>(() => (ok with { Family = ModelFamily.Gpt2, KvHeads = 3 }).Validate());
    }
}
