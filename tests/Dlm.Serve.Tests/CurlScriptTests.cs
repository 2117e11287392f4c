using System.Diagnostics;
using Dlm.TestSupport;

namespace Dlm.Serve.Tests;

/// <summary>`dlm serve` as a user starts it, and curl -N as the client (tests/Dlm.Serve.Tests/scripts/curl_stream.sh).</summary>
[Collection(ServeGroup.Name)]
public sealed class CurlScriptTests(ServeFixture f)
{
    [Fact]
    public async Task Curl_streams_from_dlm_serve()
    {
        Assert.True(File.Exists("/usr/bin/curl"), "curl is not installed (apt-get install curl)");
        using var serve = CliRunner.Start(RepoPaths.Root, null, ["serve", "--model", f.Dir, "--port", "0", "--slots", "4"], closeStdin: false);
        try
        {
            var line = await serve.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            Assert.StartsWith("dlm serve: listening on http://127.0.0.1:", line);
            var url = line.Split(' ')[4].TrimEnd('/');
            var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "scripts", "curl_stream.sh"));
            psi.ArgumentList.Add(url);
            using var script = Process.Start(psi)!;
            var stdout = script.StandardOutput.ReadToEndAsync();
            var stderr = script.StandardError.ReadToEndAsync();
            Assert.True(script.WaitForExit(60_000), "the curl script did not finish");
            Assert.True(script.ExitCode == 0, await stderr + await stdout);
            Assert.StartsWith("ok:", await stdout);
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }
    }
}
