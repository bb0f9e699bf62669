namespace Tandem.Reporting.Tests;

// Issue 15, defect 11: output folders mixed runs or stayed half-written with no sign of it.
public class OutputSessionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-out-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Commit_MovesStagedFilesIn_AndRemovesTheMarker()
    {
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(_dir).FullName, "summary.json"), "old");
        using (OutputSession session = OutputSession.Begin(_dir))
        {
            Assert.True(File.Exists(Path.Combine(_dir, OutputSession.IncompleteMarker)));
            File.WriteAllText(session.StagedFile("summary.json"), "new");
            Assert.Equal("old", File.ReadAllText(Path.Combine(_dir, "summary.json")));

            session.Commit();
        }

        Assert.Equal("new", File.ReadAllText(Path.Combine(_dir, "summary.json")));
        Assert.False(File.Exists(Path.Combine(_dir, OutputSession.IncompleteMarker)));
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void DisposeWithoutCommit_KeepsTheMarker_AndDiscardsTheStagedFiles()
    {
        using (OutputSession session = OutputSession.Begin(_dir))
        {
            File.WriteAllText(session.StagedFile("report.html"), "half");
        }

        Assert.True(File.Exists(Path.Combine(_dir, OutputSession.IncompleteMarker)));
        Assert.False(File.Exists(Path.Combine(_dir, "report.html")));
        Assert.Empty(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void Begin_WhileAnotherRunHoldsTheFolder_IsRefused()
    {
        using OutputSession first = OutputSession.Begin(_dir);

        var ex = Assert.Throws<IOException>(() => OutputSession.Begin(_dir));

        Assert.Contains("in use by another tandem run", ex.Message);
    }

    [Fact]
    public void Begin_AfterTheFirstEnded_Succeeds()
    {
        using (OutputSession.Begin(_dir)) { }
        using OutputSession second = OutputSession.Begin(_dir);

        Assert.Equal(Path.GetFullPath(_dir), second.Folder);
    }
}
