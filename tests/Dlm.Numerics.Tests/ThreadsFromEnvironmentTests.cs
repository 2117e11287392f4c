using Dlm.Core;
using Dlm.Numerics.Threading;

namespace Dlm.Numerics.Tests;

/// <summary>DLM_THREADS parsing; serial because it changes the process environment.</summary>
[Collection(nameof(SerialAllocationTests))]
public sealed class ThreadsFromEnvironmentTests
{
    [Fact]
    public void Reads_DLM_THREADS_and_rejects_nonsense()
    {
        var saved = Environment.GetEnvironmentVariable("DLM_THREADS");
        try
        {
            Environment.SetEnvironmentVariable("DLM_THREADS", null);
            Assert.Equal(Environment.ProcessorCount, WorkerPool.ThreadsFromEnvironment());
            Environment.SetEnvironmentVariable("DLM_THREADS", " 3 ");
            Assert.Equal(3, WorkerPool.ThreadsFromEnvironment());
            foreach (var bad in new[] { "0", "-2", "two", "1.5" })
            {
                Environment.SetEnvironmentVariable("DLM_THREADS", bad);
                var e = Assert.Throws<DlmException>(() => WorkerPool.ThreadsFromEnvironment());
                Assert.Contains("DLM_THREADS", e.Message);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("DLM_THREADS", saved);
        }
    }
}
