using Dlm.Core;

namespace Dlm.Core.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dlm-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writes_new_file_and_leaves_no_temp_files()
    {
        var path = Path.Combine(_dir, "sub", "a.txt");
        AtomicFile.WriteAllText(path, "héllo\n");
        Assert.Equal("héllo\n", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "sub")));
        Assert.Equal([0x68, 0xC3, 0xA9], File.ReadAllBytes(path)[..3]); // UTF-8, no BOM
    }

    [Fact]
    public void Replaces_existing_file()
    {
        var path = Path.Combine(_dir, "b.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        AtomicFile.WriteAllBytes(path, [4]);
        Assert.Equal([4], File.ReadAllBytes(path));
    }

    [Fact]
    public void Failed_write_keeps_the_old_content_and_cleans_up()
    {
        var path = Path.Combine(_dir, "c.txt");
        AtomicFile.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(42);
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_pending_file_appears_only_when_committed_and_vanishes_when_dropped()
    {
        var path = Path.Combine(_dir, "d.txt");
        AtomicFile.WriteAllText(path, "old");
        using (var pending = AtomicFile.WritePending(path, "new"u8))
        {
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Equal(2, Directory.GetFiles(_dir).Length); // the target and the flushed temporary file
            pending.Commit();
        }
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));

        using (AtomicFile.WritePending(path, "dropped"u8)) { }
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }
}
