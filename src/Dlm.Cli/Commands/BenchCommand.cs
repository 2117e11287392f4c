using System.CommandLine;

namespace Dlm.Cli.Commands;

/// <summary>`dlm bench ...`: speed measurements that report ratios against the reference implementations.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var cmd = new Command("bench", "Measure dlm's speed against the reference implementations (OpenBLAS, PyTorch, Rust tokenizers, llama.cpp, a plain file copy).");
        cmd.Subcommands.Add(BenchTrainCommand.Create());
        cmd.Subcommands.Add(BenchGemmCommand.Create());
        cmd.Subcommands.Add(BenchTokenizeCommand.Create());
        cmd.Subcommands.Add(BenchExportCommand.Create());
        cmd.Subcommands.Add(BenchDecodeCommand.Create());
        cmd.Subcommands.Add(BenchSlCommand.Create());
        cmd.Subcommands.Add(BenchServeCommand.Create());
        cmd.Subcommands.Add(BenchCacheCommand.Create());
        return cmd;
    }
}
