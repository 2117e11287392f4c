using System.Globalization;
using System.Text;

namespace Dlm.Tokenizers.Training;

/// <summary>
/// Writes a trained BPE as Hugging Face JSON, by hand so that the bytes are fixed by this file
/// alone: two-space indentation like serde_json's pretty printer, non-ASCII text written as is,
/// vocabulary in id order, merges in the pair form <c>["Ġ", "t"]</c>, one per line.
///
/// Pipeline: no normalizer; pre-tokenizer <c>Sequence[Split(Regex, Isolated), ByteLevel(use_regex
/// false)]</c> (the Llama 3 / Qwen shape); BPE with <c>ignore_merges</c> false; post-processor
/// <c>ByteLevel</c> (offsets only, adds nothing); decoder <c>ByteLevel</c>. The special tokens are
/// added tokens (special, not normalized, no strip), and also in the model's vocabulary.
/// </summary>
internal static class TokenizerJsonWriter
{
    public static string TokenizerJson(BpeTrainingResult r)
    {
        var sb = new StringBuilder(64 + r.VocabSize * 40 + r.Merges.Count * 24);
        sb.Append("{\n");
        sb.Append("  \"version\": \"1.0\",\n");
        sb.Append("  \"truncation\": null,\n");
        sb.Append("  \"padding\": null,\n");
        sb.Append("  \"added_tokens\": [");
        for (int i = 0; i < r.SpecialTokens.Count; i++)
        {
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append("    {\n");
            sb.Append("      \"id\": ").Append(Int(i)).Append(",\n");
            sb.Append("      \"content\": ").Append(Str(r.SpecialTokens[i])).Append(",\n");
            sb.Append("      \"single_word\": false,\n");
            sb.Append("      \"lstrip\": false,\n");
            sb.Append("      \"rstrip\": false,\n");
            sb.Append("      \"normalized\": false,\n");
            sb.Append("      \"special\": true\n");
            sb.Append("    }");
        }
        sb.Append(r.SpecialTokens.Count == 0 ? "],\n" : "\n  ],\n");
        sb.Append("  \"normalizer\": null,\n");
        sb.Append("  \"pre_tokenizer\": {\n");
        sb.Append("    \"type\": \"Sequence\",\n");
        sb.Append("    \"pretokenizers\": [\n");
        sb.Append("      {\n");
        sb.Append("        \"type\": \"Split\",\n");
        sb.Append("        \"pattern\": {\n");
        sb.Append("          \"Regex\": ").Append(Str(r.Pattern)).Append('\n');
        sb.Append("        },\n");
        sb.Append("        \"behavior\": \"Isolated\",\n");
        sb.Append("        \"invert\": false\n");
        sb.Append("      },\n");
        sb.Append("      {\n");
        sb.Append("        \"type\": \"ByteLevel\",\n");
        sb.Append("        \"add_prefix_space\": false,\n");
        sb.Append("        \"trim_offsets\": true,\n");
        sb.Append("        \"use_regex\": false\n");
        sb.Append("      }\n");
        sb.Append("    ]\n");
        sb.Append("  },\n");
        sb.Append("  \"post_processor\": {\n");
        sb.Append("    \"type\": \"ByteLevel\",\n");
        sb.Append("    \"add_prefix_space\": false,\n");
        sb.Append("    \"trim_offsets\": false,\n");
        sb.Append("    \"use_regex\": false\n");
        sb.Append("  },\n");
        sb.Append("  \"decoder\": {\n");
        sb.Append("    \"type\": \"ByteLevel\",\n");
        sb.Append("    \"add_prefix_space\": false,\n");
        sb.Append("    \"trim_offsets\": true,\n");
        sb.Append("    \"use_regex\": false\n");
        sb.Append("  },\n");
        sb.Append("  \"model\": {\n");
        sb.Append("    \"type\": \"BPE\",\n");
        sb.Append("    \"dropout\": null,\n");
        sb.Append("    \"unk_token\": null,\n");
        sb.Append("    \"continuing_subword_prefix\": null,\n");
        sb.Append("    \"end_of_word_suffix\": null,\n");
        sb.Append("    \"fuse_unk\": false,\n");
        sb.Append("    \"byte_fallback\": false,\n");
        sb.Append("    \"ignore_merges\": false,\n");
        sb.Append("    \"vocab\": {");
        for (int i = 0; i < r.Vocab.Count; i++)
        {
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append("      ").Append(Str(r.Vocab[i])).Append(": ").Append(Int(i));
        }
        sb.Append(r.Vocab.Count == 0 ? "},\n" : "\n    },\n");
        sb.Append("    \"merges\": [");
        for (int i = 0; i < r.Merges.Count; i++)
        {
            var m = r.Merges[i];
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append("      [").Append(Str(r.Vocab[m.Left])).Append(", ").Append(Str(r.Vocab[m.Right])).Append(']');
        }
        sb.Append(r.Merges.Count == 0 ? "]\n" : "\n    ]\n");
        sb.Append("  }\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    public static string TokenizerConfigJson(BpeTrainingResult r, string? bos, string? eos, string? pad)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"added_tokens_decoder\": {");
        for (int i = 0; i < r.SpecialTokens.Count; i++)
        {
            sb.Append(i == 0 ? "\n" : ",\n");
            sb.Append("    \"").Append(Int(i)).Append("\": {\n");
            sb.Append("      \"content\": ").Append(Str(r.SpecialTokens[i])).Append(",\n");
            sb.Append("      \"lstrip\": false,\n");
            sb.Append("      \"normalized\": false,\n");
            sb.Append("      \"rstrip\": false,\n");
            sb.Append("      \"single_word\": false,\n");
            sb.Append("      \"special\": true\n");
            sb.Append("    }");
        }
        sb.Append(r.SpecialTokens.Count == 0 ? "},\n" : "\n  },\n");
        sb.Append("  \"additional_special_tokens\": [");
        for (int i = 0; i < r.SpecialTokens.Count; i++)
            sb.Append(i == 0 ? "" : ", ").Append(Str(r.SpecialTokens[i]));
        sb.Append("],\n");
        sb.Append("  \"bos_token\": ").Append(bos is null ? "null" : Str(bos)).Append(",\n");
        sb.Append("  \"eos_token\": ").Append(eos is null ? "null" : Str(eos)).Append(",\n");
        sb.Append("  \"pad_token\": ").Append(pad is null ? "null" : Str(pad)).Append(",\n");
        sb.Append("  \"clean_up_tokenization_spaces\": false,\n");
        sb.Append("  \"model_max_length\": 1000000000000000019884624838656,\n");
        sb.Append("  \"tokenizer_class\": \"PreTrainedTokenizerFast\"\n");
        sb.Append("}\n");
        return sb.ToString();
    }

    private static string Int(int i) => i.ToString(CultureInfo.InvariantCulture);

    /// <summary>A JSON string literal: quotes, backslashes and control characters escaped, lone surrogates as \u escapes, the rest as is.</summary>
    internal static string Str(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    bool paired = char.IsHighSurrogate(c) ? i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])
                        : char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(s[i - 1]);
                    if (c < 0x20 || c == 0x7F || (char.IsSurrogate(c) && !paired))
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
