using Dlm.Core;
using Parquet;
using Parquet.Schema;

namespace Dlm.Data.Sources;

/// <summary>
/// Reads string columns of Parquet files (Parquet.Net) one row group at a time, so memory is one row
/// group, never the file. Rows are numbered from 1 across the file.
/// </summary>
public static class ParquetColumns
{
    /// <summary>The first of <paramref name="candidates"/> that the file has, row by row: (row, value, problem).</summary>
    public static IEnumerable<(long Row, string? Value, string? Problem)> ReadStrings(string source, string path, IReadOnlyList<string> candidates, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        foreach (var row in ReadRows(source, path, [.. candidates], firstOf: true, context))
            yield return (row.Number, row.Values[0], row.Values[0] is null ? $"column '{row.Columns[0]}' is null" : null);
    }

    /// <summary>One row of the columns asked for.</summary>
    /// <param name="Number">1-based row number in the file.</param>
    /// <param name="Columns">The column names, in the order asked (only the one found with firstOf).</param>
    /// <param name="Values">The values, null where the column is null or absent.</param>
    public readonly record struct Row(long Number, string[] Columns, string?[] Values);

    /// <summary>
    /// Streams rows of string columns. With <paramref name="firstOf"/>, only the first of
    /// <paramref name="columns"/> present in the file is read (error if none); otherwise all that are present.
    /// </summary>
    public static IEnumerable<Row> ReadRows(string source, string path, string[] columns, bool firstOf, SourceReadContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ParquetReader reader;
        var stream = File.OpenRead(path);
        try
        {
            reader = ParquetReader.CreateAsync(stream).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or Parquet.ParquetException)
        {
            stream.Dispose();
            throw new DlmException($"source {source}: {path}: not a readable Parquet file ({e.Message})");
        }
        using (stream)
        try
        {
            var fields = reader.Schema.GetDataFields();
            var chosen = new List<DataField>();
            foreach (var name in columns)
            {
                var f = fields.FirstOrDefault(d => d.Name == name);
                if (f is null) continue;
                chosen.Add(f);
                if (firstOf) break;
            }
            if (chosen.Count == 0)
                throw new DlmException($"source {source}: {path}: no column {string.Join(" or ", columns)} (columns: {string.Join(", ", fields.Select(f => f.Name))})");
            var names = chosen.Select(f => f.Name).ToArray();
            long fileBytes = new FileInfo(path).Length, reported = 0, row = 0;
            int groups = reader.RowGroupCount;
            for (int g = 0; g < groups; g++)
            {
                string?[][] values;
                long count;
                using (var rg = reader.OpenRowGroupReader(g))
                {
                    count = rg.RowCount;
                    values = new string?[chosen.Count][];
                    for (int c = 0; c < chosen.Count; c++)
                    {
                        var buffer = new string?[count];
                        rg.ReadAsync(chosen[c], buffer.AsMemory(), null).AsTask().GetAwaiter().GetResult();
                        values[c] = buffer;
                    }
                }
                long share = fileBytes * (g + 1) / groups;
                context.AddBytes(share - reported);
                reported = share;
                for (long i = 0; i < count; i++)
                {
                    row++;
                    var vals = new string?[chosen.Count];
                    for (int c = 0; c < chosen.Count; c++) vals[c] = values[c][i];
                    yield return new Row(row, names, vals);
                }
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
