namespace Tandem.Cli.Tests;

// Issue 15, defect 15: `dlm --compare` with an incomplete summary crashed after the whole study.
public sealed class DlmCompareTests : IDisposable
{
    private readonly string _out = CliRunner.TempFolder();

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Theory]
    [InlineData("""{"command":"dlm","tasks":[]}""")]
    [InlineData("""{"command":"dlm","tasks":[{"index":0,"label":"x","mnr":{"Base":{"iqm":1,"se":0,"mean":1}}}],"average":{"mnr":{}}}""")]
    [InlineData("""not json""")]
    public async Task IncompleteComparison_IsRefusedBeforeAnyWork(string summary)
    {
        string other = Path.Combine(_out, "other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "summary.json"), summary);
        string target = Path.Combine(_out, "run");

        var run = await CliRunner.Run("dlm", "--tasks", "0", "--seeds", "1", "--compare", other, "--out", target);

        CliRunner.AssertUsageError(run, "--compare");
        Assert.False(Directory.Exists(target));
    }
}
