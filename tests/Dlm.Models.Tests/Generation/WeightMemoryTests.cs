using Dlm.Models.Generation;
using Dlm.Numerics.Kernels;

namespace Dlm.Models.Tests.Generation;

/// <summary>The inference matrices live in 2 MiB-aligned native memory advised for huge pages, and hold the model's weights.</summary>
public sealed class WeightMemoryTests
{
    [Fact]
    public unsafe void Memory_is_huge_page_aligned_and_advised_where_the_kernel_offers_transparent_huge_pages()
    {
        using var m = new WeightMemory(3 << 20);
        Assert.Equal(0, (long)m.Pointer % (2 << 20));
        Assert.Equal(4L << 20, m.Bytes); // whole huge pages
        new Span<byte>(m.Pointer, (int)m.Bytes).Fill(7); // writable end to end
        const string thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        if (OperatingSystem.IsLinux() && File.Exists(thp) && !File.ReadAllText(thp).Contains("[never]", StringComparison.Ordinal))
            Assert.True(m.HugePagesAdvised, "madvise(MADV_HUGEPAGE) was refused where THP is on");
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.Bf16)]
    [InlineData(WeightFormat.F16)]
    public unsafe void The_matrices_hold_the_weights_in_their_format(WeightFormat format)
    {
        var model = TinyModels.Model("llama");
        var inf = InferenceModel.FromModel(model, format);
        Assert.Equal(0, (long)inf.MatrixBase % (2 << 20));
        var block = model.Layout.Blocks[1];
        int width = model.Config.DModel;
        var got = new float[width];
        inf.ReadRow(block.OutW, 3, width, got);
        var want = model.Weights.Slice(block.OutW + 3 * width, width).ToArray();
        if (format != WeightFormat.F32)
        {
            var bits = new ushort[width];
            HalfBits.Narrow(want, bits, format);
            HalfBits.Widen(bits, want, format);
        }
        Assert.Equal(want, got);
    }
}
