using Dlm.Core;
using Dlm.Models.Config;
using Dlm.Models.Transformer;

namespace Dlm.Models.IO;

/// <summary>
/// Reads a Hugging Face model folder's weights one tensor at a time, in dlm's arena layout
/// (linear weights [out, in]; GPT-2 Conv1D transposed back), without loading the whole model:
/// what an exporter needs to stream a model through memory one tensor at a time.
/// </summary>
public sealed class HfWeightReader : IDisposable
{
    private readonly Dictionary<string, SafeTensorsFile> _files;
    private readonly string _folder;

    /// <summary>The folder's configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>The parameter layout of <see cref="Config"/>.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>Opens the folder's config.json and safetensors (single or sharded) and checks every tensor's shape.</summary>
    public HfWeightReader(string folder)
    {
        _folder = folder;
        Config = HfModelFolder.LoadConfig(folder);
        Layout = new ParameterLayout(Config);
        _files = HfModelFolder.OpenWeightFiles(folder);
        try
        {
            foreach (var t in Layout.Tensors)
            {
                var (file, name) = HfModelFolder.Find(_files, t.Name, folder);
                var info = file.Tensors[name];
                if (!info.Shape.Select(x => (int)x).SequenceEqual(t.FileShape))
                    throw new DlmException($"{file.Path}: tensor {name} has shape [{string.Join(", ", info.Shape)}], the config needs [{string.Join(", ", t.FileShape)}]");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>One tensor's values in arena layout.</summary>
    public float[] Read(ParameterTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var (file, name) = HfModelFolder.Find(_files, tensor.Name, _folder);
        var result = new float[tensor.Length];
        HfModelFolder.ReadInto(file, name, tensor, result);
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in _files.Values.Distinct()) f.Dispose();
    }
}
