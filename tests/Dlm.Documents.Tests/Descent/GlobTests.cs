using Dlm.Documents.Descent;

namespace Dlm.Documents.Tests.Descent;

public class GlobTests
{
    [Theory]
    // ** as a whole segment
    [InlineData("**/*", "a.txt", true)]
    [InlineData("**/*", "a/b/c.txt", true)]
    [InlineData("**/x", "x", true)]
    [InlineData("**/x", "a/b/x", true)]
    [InlineData("**/.env", "prod.env", false)]
    [InlineData("**/.env", "a/.env", true)]
    [InlineData("a/**", "a/b", true)]
    [InlineData("a/**", "a/b/c", true)]
    [InlineData("a/**", "a", false)]
    [InlineData("a/**", "ab/c", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/x/y/c", false)]
    // ** inside a segment is *
    [InlineData("a**b", "axxb", true)]
    [InlineData("a**b", "a/b", false)]
    [InlineData("x/**.md", "x/a.md", true)]
    [InlineData("x/**.md", "x/y/a.md", false)]
    // * and ? stay within a segment
    [InlineData("*", "a.txt", true)]
    [InlineData("*", "a/b.txt", false)]
    [InlineData("*.md", ".hidden.md", true)]
    [InlineData("src/*.cs", "src/a.cs", true)]
    [InlineData("src/*.cs", "src/x/a.cs", false)]
    [InlineData("?.txt", "a.txt", true)]
    [InlineData("?.txt", "ab.txt", false)]
    [InlineData("a?b", "a/b", false)]
    // classes
    [InlineData("[abc].txt", "b.txt", true)]
    [InlineData("[abc].txt", "d.txt", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[a-c]x", "dx", false)]
    [InlineData("[!x]y", "ay", true)]
    [InlineData("[!x]y", "xy", false)]
    [InlineData("a[/]b", "a/b", false)]
    [InlineData("[]]", "]", true)]
    // braces
    [InlineData("*.{md,txt}", "a.md", true)]
    [InlineData("*.{md,txt}", "a.txt", true)]
    [InlineData("*.{md,txt}", "a.rs", false)]
    [InlineData("{src,lib}/**", "lib/x/y.cs", true)]
    [InlineData("{src,lib}/**", "test/y.cs", false)]
    [InlineData("{a,}b", "b", true)]
    [InlineData("x{1,2}y{3,4}", "x2y3", true)]
    // unclosed { or [ : it and the rest literal
    [InlineData("a{b", "a{b", true)]
    [InlineData("a{b*", "a{bc", false)]
    [InlineData("a{b*", "a{b*", true)]
    [InlineData("a[b*", "a[b*", true)]
    [InlineData("a[b*", "a[bc", false)]
    public void Matches_like_the_contract(string pattern, string path, bool expected) =>
        Assert.Equal(expected, Glob.Compile(pattern).IsMatch(path));

    [Theory]
    [InlineData("build/x", true)]
    [InlineData("src/build/x", true)]
    [InlineData("build", false)]
    [InlineData(".env", true)]
    [InlineData("a/b/.env", true)]
    [InlineData("prod.env", false)]
    [InlineData(".env.local", true)]
    [InlineData("node_modules/a/b.js", true)]
    [InlineData("web/node_modules/a.js", true)]
    [InlineData("sub/yarn.lock", true)]
    [InlineData("x/y/key.pem", true)]
    [InlineData(".git/config", true)]
    [InlineData("app.min.js", true)]
    [InlineData("app.js", false)]
    [InlineData("secrets.yaml", true)]
    [InlineData("README.md", false)]
    public void Default_excludes_apply_at_any_depth(string path, bool expected) =>
        Assert.Equal(expected, DefaultExcludes.Matches(path));
}
