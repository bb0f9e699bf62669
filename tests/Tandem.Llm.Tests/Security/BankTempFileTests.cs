using Tandem.Gambit.Bank;
using Tandem.Llm.Gambit;

namespace Tandem.Llm.Tests.Security;

/// <summary>Issue 15, defect 17: the bank's temporary file followed a symlink planted at its predictable name.</summary>
public sealed class BankTempFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-banktmp-" + Guid.NewGuid().ToString("N"));

    public BankTempFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_WithASymlinkPlantedAtTheOldTemporaryName_LeavesItsTargetAlone()
    {
        string victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "precious");
        string bankFile = Path.Combine(_dir, "bank.csv");
        File.CreateSymbolicLink(bankFile + ".tmp-" + Environment.ProcessId, victim); // the name the writer used before

        GeneratedBankCsv.Write(SyntheticBank.Create(), bankFile);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(SyntheticBank.Create().Prompts, BankCsv.Load(bankFile).Prompts);
        // Only the bank and the planted link remain: no temporary file is left behind.
        Assert.Equal(["bank.csv", "bank.csv.tmp-" + Environment.ProcessId, "victim.txt"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Write_OverASymlinkAtTheTarget_ReplacesTheLink_NotItsTarget()
    {
        string victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "precious");
        string bankFile = Path.Combine(_dir, "bank.csv");
        File.CreateSymbolicLink(bankFile, victim);

        GeneratedBankCsv.Write(SyntheticBank.Create(), bankFile);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Null(new FileInfo(bankFile).LinkTarget);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void CreateExclusive_RefusesAnyExistingName_AndFollowsNoLink(bool dangling)
    {
        string victim = Path.Combine(_dir, "victim.txt");
        if (!dangling) File.WriteAllText(victim, "precious");
        string link = Path.Combine(_dir, "tmp");
        File.CreateSymbolicLink(link, victim);

        Assert.ThrowsAny<IOException>(() => GeneratedBankCsv.CreateExclusive(link));

        if (dangling) Assert.False(File.Exists(victim)); // a dangling link was not followed to create its target
        else Assert.Equal("precious", File.ReadAllText(victim));
    }
}
