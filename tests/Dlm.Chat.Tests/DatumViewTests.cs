using Dlm.Chat.Renderers;

namespace Dlm.Chat.Tests;

public class DatumViewTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.WithAllLayoutTokens();
    private static readonly Message[] Chat = [Message.User("Hi"), Message.Assistant("Yo")];
    private const string U = NielsTokens.DefaultUser, A = NielsTokens.DefaultAssistant, E = NielsTokens.DefaultEndOfTurn;

    [Fact]
    public void Colour_marks_trained_runs_green_and_the_rest_yellow()
    {
        var ex = new NielsRenderer(Tok).BuildSupervisedExample(Chat);
        Assert.Equal(
            $"\u001b[33m{U}Hi{E}{A}\u001b[0m\u001b[32mYo{E}\u001b[0m",
            DatumView.Format(ex, Tok, color: true));
    }

    [Fact]
    public void Plain_output_brackets_trained_runs()
    {
        var ex = new NielsRenderer(Tok).BuildSupervisedExample(Chat);
        Assert.Equal($"{U}Hi{E}{A}[[Yo{E}]]", DatumView.Format(ex, Tok, color: false));
    }

    [Fact]
    public void A_datum_shows_the_sequence_with_target_weights()
    {
        var ex = new NielsRenderer(Tok).BuildSupervisedExample(Chat);
        var datum = DatumBuilder.FromModelInputWeights(ex.ModelInput, ex.Weights);
        Assert.Equal(DatumView.Format(ex, Tok, color: false), DatumView.Format(datum, Tok, color: false));
        var w = new StringWriter();
        DatumView.Write(w, datum, Tok, color: false);
        Assert.Equal($"{U}Hi{E}{A}[[Yo{E}]]" + Environment.NewLine, w.ToString());
    }

    [Fact]
    public void No_color_environment_turns_colour_off()
    {
        var before = Environment.GetEnvironmentVariable("NO_COLOR");
        try
        {
            Environment.SetEnvironmentVariable("NO_COLOR", "1");
            Assert.False(DatumView.ConsoleSupportsColor());
        }
        finally { Environment.SetEnvironmentVariable("NO_COLOR", before); }
    }
}
