using FsCheck;
using Microsoft.FSharp.Core;

namespace Dlm.Chat.Tests;

/// <summary>
/// Runs an FsCheck property like <c>QuickCheckThrowOnFailure</c>, but from a fixed seed so a test
/// run is deterministic (the project rule). Set <c>DLM_FSCHECK_RANDOM=1</c> to explore new seeds;
/// a failure prints the seed to replay.
/// </summary>
internal static class Deterministic
{
    private static readonly Config Fixed = Config.QuickThrowOnFailure.WithReplay(
        FSharpOption<Replay>.Some(new Replay(new Rnd(0x00D1_A5EEDUL, 0x9E37_79B9_7F4A_7C15UL), FSharpOption<int>.None)));

    public static void QuickCheckFixedSeed(this Property property)
    {
        if (Environment.GetEnvironmentVariable("DLM_FSCHECK_RANDOM") == "1") Check.One(Config.QuickThrowOnFailure, property);
        else Check.One(Fixed, property);
    }
}
