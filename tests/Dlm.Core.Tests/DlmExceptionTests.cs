using Dlm.Core;

namespace Dlm.Core.Tests;

public class DlmExceptionTests
{
    [Theory]
    [InlineData(null, null, "doc.dlm: bad")]
    [InlineData(3, null, "doc.dlm:3: bad")]
    [InlineData(3, 7, "doc.dlm:3:7: bad")]
    public void Location_prefixes_the_message(int? line, int? col, string expected)
    {
        var e = new DlmException(new SourceLocation("doc.dlm", line, col), "bad");
        Assert.Equal(expected, e.Message);
        Assert.Equal("doc.dlm", e.Location!.Value.Path);
    }

    [Fact]
    public void Usage_errors_are_user_errors()
    {
        Assert.IsAssignableFrom<DlmException>(new UsageException("missing --out"));
    }

    [Fact]
    public void Home_follows_DLM_HOME()
    {
        var old = Environment.GetEnvironmentVariable("DLM_HOME");
        try
        {
            Environment.SetEnvironmentVariable("DLM_HOME", "/tmp/dlm-home-test");
            Assert.Equal("/tmp/dlm-home-test", DlmPaths.Home);
            Environment.SetEnvironmentVariable("DLM_HOME", null);
            Assert.EndsWith(".dlm", DlmPaths.Home);
        }
        finally { Environment.SetEnvironmentVariable("DLM_HOME", old); }
    }
}
