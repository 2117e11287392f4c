using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Dlm.TestSupport;
using Dlm.Training.NumpyRandom;

namespace Dlm.Training.Tests.NumpyRandom;

/// <summary>Against tests/fixtures/training/numpy_permutations.json (tools/reference/numpy_permutations.py, Debian python3-numpy).</summary>
public class NumpyPermutationTests
{
    private static IEnumerable<JsonObject> Cases() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.Fixture("training", "numpy_permutations.json")))!["cases"]!.AsArray().Select(c => c!.AsObject());

    [Fact]
    public void SeedSequence_state_matches_numpy()
    {
        foreach (var c in Cases())
        {
            var seed = BigInteger.Parse((string)c["seed"]!, CultureInfo.InvariantCulture);
            var want = c["seed_state"]!.AsArray().Select(x => ulong.Parse((string)x!, CultureInfo.InvariantCulture));
            Assert.Equal(want, new SeedSequence(seed).GenerateState64(4));
        }
    }

    [Fact]
    public void Pcg64_raw_outputs_match_numpy()
    {
        foreach (var c in Cases())
        {
            var bits = new Pcg64(BigInteger.Parse((string)c["seed"]!, CultureInfo.InvariantCulture));
            var want = c["raw"]!.AsArray().Select(x => ulong.Parse((string)x!, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(want, want.Select(_ => bits.NextUInt64()).ToArray());
        }
    }

    [Fact]
    public void Permutations_match_default_rng_permutation()
    {
        int checkedCases = 0;
        foreach (var c in Cases())
        {
            var seed = BigInteger.Parse((string)c["seed"]!, CultureInfo.InvariantCulture);
            var want = c["permutation"]!.AsArray().Select(x => (int)x!).ToArray();
            Assert.Equal(want, new NumpyGenerator(seed).Permutation((int)c["n"]!));
            checkedCases++;
        }
        Assert.True(checkedCases >= 10);
    }
}
