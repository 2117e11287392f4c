using Dlm.Core;

namespace Dlm.Hub.Tests;

public sealed class ResolverTests
{
    [Fact]
    public void Registry_has_every_upstream_key_pinned_to_a_commit()
    {
        string[] keys = ["smollm2-135m", "smollm2-360m", "smollm2-1.7b", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b",
            "qwen2.5-coder-1.5b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "llama-3.2-1b", "llama-3.2-3b"];
        Assert.Equal(keys, BaseRegistry.All.Select(e => e.Key));
        Assert.All(BaseRegistry.All, e => Assert.True(HubCache.IsCommit(e.Revision), e.Key));
        Assert.All(BaseRegistry.All, e => Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj"], e.LoraTargetModules));
        Assert.Equal(["llama-3.2-1b", "llama-3.2-3b"], BaseRegistry.All.Where(e => e.Gated).Select(e => e.Key));
        var smol = BaseRegistry.Find("SmolLM2-135M")!;
        Assert.Equal(("HuggingFaceTB/SmolLM2-135M-Instruct", "12fd25f77366fa6b3b4b768ec3050bf629380bac", "chatml", 8192),
            (smol.Repo, smol.Revision, smol.Renderer, smol.ContextLength));
        Assert.Equal(("qwen3", 32768), (BaseRegistry.Find("qwen3-1.7b")!.Renderer, BaseRegistry.Find("qwen3-1.7b")!.ContextLength));
        Assert.Equal(("llama3", 131072), (BaseRegistry.Find("llama-3.2-1b")!.Renderer, BaseRegistry.Find("llama-3.2-1b")!.ContextLength));
    }

    [Fact]
    public void Registry_key_resolves_without_network()
    {
        using var dir = new TempDir();
        var r = new BaseModelResolver(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDir = dir.Path }).Resolve("qwen2.5-0.5b");
        Assert.Equal(BaseModelKind.Registry, r.Kind);
        Assert.Equal(("Qwen/Qwen2.5-0.5B-Instruct", "7ae557604adf67be50417f59c2c2f167def9a775", "chatml", 32768, "apache-2.0"),
            (r.Repo, r.Revision, r.Renderer, r.ContextLength, r.License));
        Assert.Null(r.LocalPath);
        Assert.False(r.LicenseAccepted);
    }

    [Fact]
    public void Gated_registry_model_needs_the_license_flag_and_reports_it_to_record()
    {
        using var dir = new TempDir();
        var resolver = new BaseModelResolver(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDir = dir.Path });
        var e = Assert.Throws<DlmException>(() => resolver.Resolve("llama-3.2-1b"));
        Assert.Contains("--i-accept-license", e.Message);
        Assert.Contains("llama3.2", e.Message);
        Assert.Contains("meta-llama/Llama-3.2-1B-Instruct", e.Message);
        var ok = resolver.Resolve("llama-3.2-1b", acceptLicense: true);
        Assert.True(ok.Gated);
        Assert.True(ok.LicenseAccepted);
    }

    [Fact]
    public async Task Hf_spec_pins_main_to_the_hub_commit_and_reads_gating_from_the_api()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, "org/open", license: "mit");
        TinyModel.AddTo(hub, "org/gated", gated: true, license: "other");
        hub.RequiredToken = "t";
        using var dir = new TempDir();
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = dir.Path, Token = "t" };
        var r = await new BaseModelResolver(options).ResolveAsync("hf:org/open");
        Assert.Equal((BaseModelKind.HuggingFace, "org/open", TinyModel.Commit, "mit"), (r.Kind, r.Repo, r.Revision, r.License));
        Assert.Null(r.Renderer);
        Assert.Equal(TinyModel.Commit, File.ReadAllText(Path.Combine(dir.Path, "models--org--open", "refs", "main")));

        var e = await Assert.ThrowsAsync<DlmException>(() => new BaseModelResolver(options).ResolveAsync("hf:org/gated"));
        Assert.Contains("--i-accept-license", e.Message);
        Assert.True((await new BaseModelResolver(options).ResolveAsync("hf:org/gated", acceptLicense: true)).LicenseAccepted);

        // Offline, main resolves through refs/main written above.
        var off = await new BaseModelResolver(options with { Offline = true, Endpoint = "http://127.0.0.1:9" }).ResolveAsync("hf:org/open");
        Assert.Equal(TinyModel.Commit, off.Revision);
        Assert.Throws<DlmException>(() => new BaseModelResolver(options with { Offline = true }).Resolve("hf:org/never"));
    }

    [Fact]
    public void Local_folder_is_a_base_and_an_incomplete_one_is_refused()
    {
        using var dir = new TempDir();
        var resolver = new BaseModelResolver(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDir = dir.Path });
        var model = Path.Combine(dir.Path, "my-model");
        Directory.CreateDirectory(model);
        File.WriteAllText(Path.Combine(model, "config.json"), "{\"max_position_embeddings\":512}");
        var e = Assert.Throws<DlmException>(() => resolver.Resolve(model));
        Assert.Contains("model.safetensors", e.Message);
        File.WriteAllBytes(Path.Combine(model, "model.safetensors"), TinyModel.Safetensors("w", 4, 1));
        File.WriteAllText(Path.Combine(model, "tokenizer.json"), "{}");
        var r = resolver.Resolve(model);
        Assert.Equal((BaseModelKind.LocalPath, model, 512), (r.Kind, r.LocalPath, r.ContextLength));
        Assert.Throws<DlmException>(() => resolver.Resolve("no-such-key"));
        Assert.Throws<DlmException>(() => resolver.Resolve("hf:not a repo"));
    }
}
