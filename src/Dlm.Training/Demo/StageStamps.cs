using Dlm.Core;

namespace Dlm.Training.Demo;

/// <summary>
/// One small file per finished demo stage (<c>OUT/.demo/STAGE.done</c>) holding the inputs it was
/// made from. A stage is reused when its stamp holds the same inputs and its outputs exist; the
/// stamp is written after the outputs, atomically, so a killed stage is redone.
/// </summary>
internal sealed class StageStamps(string outDir)
{
    private string PathOf(DemoStage stage) => Path.Combine(outDir, ".demo", stage.ToString().ToLowerInvariant() + ".done");

    public bool IsCurrent(DemoStage stage, string inputs)
    {
        var p = PathOf(stage);
        return File.Exists(p) && File.ReadAllText(p) == inputs;
    }

    public void Mark(DemoStage stage, string inputs) => AtomicFile.WriteAllText(PathOf(stage), inputs);

    public void Clear(DemoStage stage)
    {
        var p = PathOf(stage);
        if (File.Exists(p)) File.Delete(p);
    }
}
