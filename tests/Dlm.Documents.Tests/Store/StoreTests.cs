using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dlm.Core;
using Dlm.Documents.Store;
using Dlm.Models.IO;

namespace Dlm.Documents.Tests.Store;

public class StoreTests
{
    private const string Id = "01JD8X2Y3Z4A5B6C7D8E9F0G1H";

    private static string MakeAdapter(TempTree t, string name, float bad = 0.5f)
    {
        var dir = t.Dir(name);
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"),
        [
            SafeTensorToWrite.F32("base_model.model.layers.0.self_attn.q_proj.lora_A.weight", [0.1f, -0.2f, 0.3f, bad], 2, 2),
        ]);
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), "{\"r\": 8}\n");
        return dir;
    }

    [Fact]
    public void Manifest_has_every_key_sorted_with_two_space_indent_and_a_final_newline()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        Assert.Equal(Path.Combine(t.Root, "store", Id), store.Root);
        using (var held = store.AcquireLock()) store.OpenOrCreate(held, "smollm2-135m", "/x/doc.dlm");
        var text = File.ReadAllText(store.ManifestPath);
        Assert.EndsWith("}\n", text);
        Assert.DoesNotContain("\r", text);
        Assert.StartsWith("{\n  \"adapter_config_sha256\": null,\n  \"adapter_sha256\": null,\n  \"adapter_version\": 0,\n  \"adapter_versions\": [],\n", text);
        var keys = Regex.Matches(text, "^  \"([a-z_0-9]+)\":", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        string[] r2 =
        [
            "adapter_config_sha256", "adapter_sha256", "adapter_version", "adapter_versions", "base_model", "base_model_revision",
            "base_model_sha256", "content_hashes", "created_at", "dlm_id", "exports", "license_acceptance", "schema_version",
            "source_path", "training_runs", "updated_at",
        ];
        Assert.Equal(r2, keys);
        var m = store.ReadManifest();
        Assert.Equal(Id, m.DlmId);
        Assert.Equal(1, m.SchemaVersion);
        Assert.Equal("smollm2-135m", m.BaseModel);
        Assert.Equal(text, StoreJson.Format(m.ToJson()));
        Assert.False(File.Exists(Path.Combine(store.Root, ".lock")));
        Assert.Empty(Directory.GetFiles(store.Root, ".tmp-*"));
    }

    [Fact]
    public void Dlm_home_is_honoured_and_a_bad_id_cannot_escape_the_store()
    {
        var old = Environment.GetEnvironmentVariable("DLM_HOME");
        try
        {
            Environment.SetEnvironmentVariable("DLM_HOME", "/tmp/dlm-home-test");
            Assert.Equal($"/tmp/dlm-home-test/store/{Id}", DocumentStore.PathFor(Id));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DLM_HOME", old);
        }
        Assert.Throws<DlmException>(() => DocumentStore.PathFor("../../etc"));
    }

    [Fact]
    public void A_second_writer_is_refused_naming_the_holder()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        using var first = store.AcquireLock();
        var lockText = File.ReadAllText(first.LockPath);
        Assert.Matches($"^{Environment.ProcessId}\n{Regex.Escape(Environment.MachineName)}\n\\d+\n$", lockText);
        var e = Assert.Throws<DlmException>(() => store.AcquireLock());
        Assert.Contains($"locked by pid {Environment.ProcessId}", e.Message);
        Assert.Equal(lockText, File.ReadAllText(first.LockPath)); // the refused one changed nothing
        first.Dispose();
        using var again = store.AcquireLock();
    }

    [Fact]
    public void A_stale_lock_is_detected_and_broken_with_a_message()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        using var dead = Process.Start(new ProcessStartInfo("true"))!;
        dead.WaitForExit();
        Directory.CreateDirectory(store.Root);
        File.WriteAllText(Path.Combine(store.Root, ".lock"), $"{dead.Id}\n{Environment.MachineName}\n1700000000\n");
        using var held = store.AcquireLock();
        Assert.NotNull(held.BrokeStale);
        Assert.Contains($"pid {dead.Id}", held.BrokeStale);
        Assert.Contains("not running", held.BrokeStale);
        Assert.StartsWith($"{Environment.ProcessId}\n", File.ReadAllText(held.LockPath));
    }

    [Fact]
    public void A_lock_from_another_host_is_refused_naming_host_and_pid()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        Directory.CreateDirectory(store.Root);
        File.WriteAllText(Path.Combine(store.Root, ".lock"), "4242\nother-host\n1700000000\n");
        var e = Assert.Throws<DlmException>(() => store.AcquireLock());
        Assert.Contains("pid 4242 on host other-host", e.Message);
    }

    [Fact]
    public void Two_processes_race_for_the_lock_and_exactly_one_wins()
    {
        using var t = new TempTree();
        // All four start at once; the winner holds the lock until its stdin closes, so a slow start cannot
        // let a late one in after the winner let go.
        var probes = Enumerable.Range(0, 4).Select(_ => StartProbe("lock", t.Root, Id, "-1")).ToList();
        var first = probes.Select(p => p.StandardOutput.ReadLine() ?? "").ToList();
        foreach (var p in probes) p.StandardInput.Close();
        foreach (var p in probes) p.WaitForExit();
        var winners = first.Where(l => l.StartsWith("acquired ", StringComparison.Ordinal)).ToList();
        var winner = Assert.Single(winners);
        var winnerPid = winner["acquired ".Length..];
        for (int i = 0; i < probes.Count; i++)
        {
            if (first[i] == winner) { Assert.Equal(0, probes[i].ExitCode); continue; }
            Assert.Equal(3, probes[i].ExitCode);
            Assert.StartsWith($"refused: store is locked by pid {winnerPid}", first[i]);
        }
        foreach (var p in probes) p.Dispose();
        Assert.False(File.Exists(Path.Combine(DocumentStore.PathFor(Id, t.Root), ".lock")));
    }

    [Fact]
    public void Commit_flips_current_and_a_nan_adapter_is_rejected_and_not_current()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        using var held = store.AcquireLock();
        store.OpenOrCreate(held, "smollm2-135m", "/x/doc.dlm");
        var good = AdapterCommit.Commit(store, held, MakeAdapter(t, "good"));
        Assert.False(good.Rejected);
        Assert.Equal(1, good.Version);
        Assert.Equal("adapter/versions/v0001\n", File.ReadAllText(store.CurrentPointerPath));
        Assert.Equal(Path.Combine(store.VersionsDir, "v0001"), store.CurrentAdapterDir());
        Assert.True(File.Exists(Path.Combine(store.VersionsDir, "v0001", "adapter_model.safetensors")));
        var m = store.ReadManifest();
        Assert.Equal(1, m.AdapterVersion);
        Assert.Equal(DocumentStore.Sha256Of(Path.Combine(store.VersionsDir, "v0001", "adapter_model.safetensors")), m.AdapterSha256);
        Assert.NotNull(m.AdapterConfigSha256);

        var nan = AdapterCommit.Commit(store, held, MakeAdapter(t, "nan", float.NaN));
        Assert.True(nan.Rejected);
        Assert.Equal(2, nan.Version);
        Assert.Contains("NaN", nan.Reason);
        Assert.True(Directory.Exists(Path.Combine(store.VersionsDir, "v0002-rejected")));
        Assert.False(Directory.Exists(Path.Combine(store.VersionsDir, "v0002")));
        Assert.Equal("adapter/versions/v0001\n", File.ReadAllText(store.CurrentPointerPath));
        var inf = AdapterCommit.Commit(store, held, MakeAdapter(t, "inf", float.PositiveInfinity));
        Assert.True(inf.Rejected);
        Assert.Equal(3, inf.Version);
        m = store.ReadManifest();
        Assert.Equal(1, m.AdapterVersion);
        Assert.Equal([false, true, true], m.AdapterVersions.Select(v => v.Rejected));
        Assert.Equal("adapter/versions/v0002-rejected", m.AdapterVersions[1].Path);

        var next = AdapterCommit.Commit(store, held, MakeAdapter(t, "good2"));
        Assert.Equal(4, next.Version);
        Assert.Equal("adapter/versions/v0004\n", File.ReadAllText(store.CurrentPointerPath));
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "adapter"), ".tmp-*"));
    }

    [Fact]
    public void Kill_9_during_a_commit_leaves_the_previous_version_current_and_the_store_readable()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        using (var held = store.AcquireLock())
        {
            store.OpenOrCreate(held, "smollm2-135m", "/x/doc.dlm");
            AdapterCommit.Commit(store, held, MakeAdapter(t, "v1"));
        }
        var manifestBefore = File.ReadAllText(store.ManifestPath);
        var big = MakeAdapter(t, "big");
        for (int i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(big, $"optimizer-{i}.bin"), new byte[1 << 20]);

        using var probe = StartProbe("commit", t.Root, Id, big, "30000");
        string? line;
        while ((line = probe.StandardOutput.ReadLine()) is not null && !line.StartsWith("copied ", StringComparison.Ordinal)) { }
        Assert.NotNull(line); // the probe is in the middle of copying
        Assert.Single(Directory.GetDirectories(store.VersionsDir, ".tmp-v0002-*"));
        probe.Kill(); // SIGKILL
        probe.WaitForExit();

        Assert.Equal("adapter/versions/v0001\n", File.ReadAllText(store.CurrentPointerPath));
        Assert.Equal(1, store.CurrentVersion());
        Assert.Equal(manifestBefore, File.ReadAllText(store.ManifestPath));
        Assert.Equal(1, store.ReadManifest().AdapterVersion);
        Assert.Equal([1], store.VersionFolders().Select(v => v.Version));
        Assert.Equal(1, StoreSummary.Read(Id, t.Root).CurrentVersion);

        // The dead committer's lock is stale: the next writer breaks it, cleans the half folder and goes on.
        using var next = store.AcquireLock();
        Assert.NotNull(next.BrokeStale);
        var r = AdapterCommit.Commit(store, next, MakeAdapter(t, "v2"));
        Assert.Equal(2, r.Version);
        Assert.Empty(Directory.GetDirectories(store.VersionsDir, ".tmp-*"));
        Assert.Equal("adapter/versions/v0002\n", File.ReadAllText(store.CurrentPointerPath));
    }

    [Fact]
    public void A_run_logs_jsonl_commits_and_ends_with_a_record_and_a_summary()
    {
        using var t = new TempTree();
        var store = DocumentStore.At(Id, t.Root);
        using var held = store.AcquireLock();
        store.OpenOrCreate(held, "smollm2-135m", "/x/doc.dlm", "12fd25f77366fa6b3b4b768ec3050bf629380bac");
        using (var run = store.BeginRun(held, seed: 42))
        {
            Assert.Equal(1, run.RunId);
            Assert.Matches(@"/logs/train-000001-\d{8}T\d{6}\.jsonl$", run.LogPath);
            Assert.Equal(RunStatus.Running, store.ReadManifest().TrainingRuns.Single().Status);
            run.Log(new JsonObject { ["step"] = 1, ["loss"] = 2.5 });
            run.Log(new JsonObject { ["step"] = 2, ["loss"] = 2.25 });
            var c = run.CommitAdapter(MakeAdapter(t, "a"));
            Assert.Equal(1, c.Version);
            run.End(RunStatus.Completed, 2, 2.25, 2.4);
            var lines = File.ReadAllLines(run.LogPath);
            Assert.Equal(3, lines.Length);
            var banner = JsonNode.Parse(lines[0])!;
            Assert.Equal("banner", banner["event"]!.GetValue<string>());
            Assert.Equal(Id, banner["dlm_id"]!.GetValue<string>());
            Assert.Equal("{\"loss\":2.5,\"step\":1}", lines[1]);
            var summary = StoreJson.ReadObject(run.SummaryPath);
            Assert.Equal("completed", summary["status"]!.GetValue<string>());
            Assert.EndsWith(".summary.json", run.SummaryPath);
        }
        var rec = store.ReadManifest().TrainingRuns.Single();
        Assert.Equal(RunStatus.Completed, rec.Status);
        Assert.Equal(1, rec.AdapterVersion);
        Assert.Equal(2, rec.Steps);
        Assert.Equal(2.25, rec.FinalTrainLoss);
        Assert.Equal("12fd25f77366fa6b3b4b768ec3050bf629380bac", rec.BaseModelRevision);
        Assert.NotNull(rec.EndedAt);

        using (var failing = store.BeginRun(held, seed: 7)) Assert.Equal(2, failing.RunId);
        var runs = store.ReadManifest().TrainingRuns;
        Assert.Equal(RunStatus.Failed, runs[1].Status);

        var summaryJson = StoreSummary.Read(Id, t.Root).ToJson();
        Assert.Equal(1, summaryJson["current_version"]!.GetValue<int>());
        Assert.Equal(2, summaryJson["runs"]!.AsArray().Count);
        Assert.Equal(Environment.ProcessId, summaryJson["locked_by"]!.GetValue<int>());
        Assert.False(StoreSummary.Read("01JD8X2Y3Z4A5B6C7D8E9F0G1J", t.Root).Exists);
    }

    private static Process StartProbe(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dlm.Documents.StoreProbe.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }
}
