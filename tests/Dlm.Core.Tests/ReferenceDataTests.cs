using Dlm.TestSupport;

namespace Dlm.Core.Tests;

/// <summary>The reference data that tools/reference/setup.sh installs is where the tests look for it.</summary>
public class ReferenceDataTests
{
    [Fact]
    public void Brown_corpus_is_installed_and_tags_strip()
    {
        var files = Directory.GetFiles(ReferenceData.BrownCorpus).Count(f => Path.GetFileName(f).Length == 4);
        Assert.Equal(500, files);
        Assert.StartsWith("The Fulton County Grand Jury said Friday", ReferenceData.BrownLines().First());
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("deepseek_v3")]
    public void Real_tokenizer_files_are_installed(string model)
    {
        var dir = ReferenceData.TokenizerFolder(model);
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer_config.json")));
    }

    [Fact]
    public void Missing_package_fails_with_the_setup_hint()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => ReferenceData.Package("no-such-package"));
        Assert.Contains("tools/reference/setup.sh", e.Message);
    }

    [Fact]
    public void StripTags_keeps_words_with_slashes_inside()
    {
        Assert.Equal("The 1/2 hour .", ReferenceData.StripTags("  The/at 1/2/cd hour/nn ./."));
    }
}
