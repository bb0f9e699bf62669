namespace Tandem.Reporting.Tests;

public class OutputFolderTests
{
    [Fact]
    public void Prepare_CreatesNestedFolder_AndLeavesNoProbe()
    {
        using var temp = new TempFolder();
        string target = temp.File("a/b/c");
        string full = OutputFolder.Prepare(target);
        Assert.Equal(Path.GetFullPath(target), full);
        Assert.True(Directory.Exists(full));
        Assert.Empty(Directory.EnumerateFileSystemEntries(full));
    }

    [Fact]
    public void Prepare_UnderAFile_ThrowsIOExceptionNamingThePath()
    {
        using var temp = new TempFolder();
        string file = temp.File("plain.txt");
        File.WriteAllText(file, "x");
        string target = Path.Combine(file, "out");

        var ex = Assert.Throws<IOException>(() => OutputFolder.Prepare(target));
        Assert.Contains(target, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_InProc_ThrowsIOExceptionNamingThePath()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string target = "/proc/tandem-reporting-test-" + Guid.NewGuid().ToString("N");
        var ex = Assert.Throws<IOException>(() => OutputFolder.Prepare(target));
        Assert.Contains(target, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_Blank_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => OutputFolder.Prepare(" "));
        Assert.Equal("path", ex.ParamName);
    }
}
