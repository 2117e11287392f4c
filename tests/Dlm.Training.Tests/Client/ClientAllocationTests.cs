using Dlm.Chat;
using Dlm.Numerics.Threading;
using Dlm.TestSupport;
using Dlm.Training.Client;

namespace Dlm.Training.Tests.Client;

/// <summary>
/// Runs alone: <see cref="ThreadAllocations"/> needs every thread of the shared pool, which
/// other tests running in parallel would hold.
/// </summary>
[CollectionDefinition(nameof(SerialClientAllocationTests), DisableParallelization = true)]
public sealed class SerialClientAllocationTests;

[Collection(nameof(SerialClientAllocationTests))]
public class ClientAllocationTests
{
    [Fact]
    public void A_micro_batch_through_the_client_allocates_nothing()
    {
        var dir = TinyModels.TempDir();
        var client = new LocalTrainingClient(new LocalTrainingOptions { BaseModel = TinyModels.ModelFolder(Path.Combine(dir, "m")), CheckpointRoot = dir });
        var renderer = RendererRegistry.Create("role_colon", client.GetTokenizer());
        var data = Enumerable.Range(0, 6).Select(i => DatumBuilder.FromConversation(renderer, TinyModels.Conversation(i), TrainOnWhat.AllAssistantMessages)).ToList();
        var batches = (List<MicroBatch>)MicroBatchPacker.Pack(data.Select(d => d.ModelInput.Length).ToList(), 64);
        var outputs = data.Select(d => new float[d.ModelInput.Length]).ToArray();
        for (int w = 0; w < 3; w++) foreach (var mb in batches) client.RunMicroBatch(data, mb, outputs, backward: true); // warm-up
        var probe = new ThreadAllocations(WorkerPool.Shared);
        probe.Start();
        for (int i = 0; i < batches.Count; i++) client.RunMicroBatch(data, batches[i], outputs, backward: true);
        probe.Stop();
        Assert.Empty(probe.Allocating());
    }
}
