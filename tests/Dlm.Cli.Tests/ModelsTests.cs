using System.Text.Json;
using Dlm.Hub.Tests;

namespace Dlm.Cli.Tests;

/// <summary>`dlm models` and `dlm models pull` against a fake hub on 127.0.0.1 (HF_ENDPOINT) and a temp cache.</summary>
public sealed class ModelsTests
{
    private const string SmolRepo = "HuggingFaceTB/SmolLM2-135M-Instruct", SmolRev = "12fd25f77366fa6b3b4b768ec3050bf629380bac";

    private static Dictionary<string, string> Env(FakeHub hub, TempDir cache, string token = "") => new()
    {
        ["HF_ENDPOINT"] = hub.Endpoint, ["HF_HUB_CACHE"] = cache.Path, ["HF_TOKEN"] = token, ["HF_HUB_OFFLINE"] = "",
    };

    [Fact]
    public async Task Pull_downloads_into_the_cache_then_models_marks_it_cached_and_a_second_pull_makes_no_request()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, SmolRepo, SmolRev);
        using var cache = new TempDir();

        var list = CliRunner.Run(Env(hub, cache), null, "models", "--json");
        Assert.Equal(0, list.ExitCode);
        var rows = JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(12, rows.Count);
        Assert.All(rows, r => Assert.False(r.GetProperty("cached").GetBoolean()));

        var pull = CliRunner.Run(Env(hub, cache), null, "models", "pull", "smollm2-135m");
        Assert.True(pull.ExitCode == 0, pull.Stderr);
        var snapshot = Path.Combine(cache.Path, "models--HuggingFaceTB--SmolLM2-135M-Instruct", "snapshots", SmolRev);
        Assert.Contains(snapshot, pull.Stdout);
        Assert.Contains("MB downloaded", pull.Stdout);
        Assert.Contains("downloaded model.safetensors", pull.Stderr);
        Assert.True(File.Exists(Path.Combine(snapshot, "model.safetensors")));

        int before = hub.Requests.Count;
        var again = CliRunner.Run(Env(hub, cache), null, "models", "pull", "smollm2-135m");
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("all in the cache", again.Stdout);
        Assert.Equal(before, hub.Requests.Count);

        var table = CliRunner.Run(Env(hub, cache), null, "models");
        var smol = table.Stdout.Split('\n').Single(l => l.StartsWith("smollm2-135m ", StringComparison.Ordinal));
        Assert.EndsWith("yes", smol.TrimEnd());
        Assert.Contains("12fd25f", smol);
        var cached = JsonDocument.Parse(CliRunner.Run(Env(hub, cache), null, "models", "--json").Stdout).RootElement[0];
        Assert.True(cached.GetProperty("cached").GetBoolean());
        Assert.Equal(snapshot, cached.GetProperty("path").GetString());
    }

    [Fact]
    public async Task Pull_hf_model_json_reports_the_pinned_commit()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, "org/tiny");
        using var cache = new TempDir();
        var r = CliRunner.Run(Env(hub, cache), null, "models", "pull", "hf:org/tiny", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(TinyModel.Commit, o.GetProperty("commit").GetString());
        Assert.False(o.GetProperty("from_cache").GetBoolean());
        Assert.Equal(TinyModel.Commit, File.ReadAllText(Path.Combine(cache.Path, "models--org--tiny", "refs", "main")));
    }

    [Fact]
    public async Task Offline_without_cache_is_one_line_exit_1_and_no_request()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, "org/tiny");
        using var cache = new TempDir();
        var r = CliRunner.Run(Env(hub, cache), null, "models", "pull", "hf:org/tiny", "--offline");
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StderrLines);
        Assert.StartsWith("dlm: offline", line);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public async Task Gated_model_needs_the_flag_then_a_token()
    {
        await using var hub = await FakeHub.StartAsync();
        TinyModel.AddTo(hub, "meta-llama/Llama-3.2-1B-Instruct", "9213176726f574b556790deb65791e0c5aa438b6", gated: true);
        hub.RequiredToken = "hf_good";
        using var cache = new TempDir();
        var refused = CliRunner.Run(Env(hub, cache), null, "models", "pull", "llama-3.2-1b");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--i-accept-license", Assert.Single(refused.StderrLines));
        Assert.Empty(hub.Requests);

        var noToken = CliRunner.Run(Env(hub, cache), null, "models", "pull", "llama-3.2-1b", "--i-accept-license");
        Assert.Equal(1, noToken.ExitCode);
        var line = Assert.Single(noToken.StderrLines);
        Assert.Contains("401", line);
        Assert.Contains("HF_TOKEN", line);

        var ok = CliRunner.Run(Env(hub, cache, "hf_good"), null, "models", "pull", "llama-3.2-1b", "--i-accept-license");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
    }
}
