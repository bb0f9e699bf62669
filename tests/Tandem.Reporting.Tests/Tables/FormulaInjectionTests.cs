namespace Tandem.Reporting.Tests.Tables;

// Issue 15, defect 13: ids from input files were written verbatim, so "=HYPERLINK(...)" ran in a spreadsheet.
public class FormulaInjectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-csv-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-1+cmd", "'-1+cmd")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("-0.71", "-0.71")]
    [InlineData("1e-3", "1e-3")]
    [InlineData("patient-7", "patient-7")]
    [InlineData("", "")]
    public void Defuse_PrefixesFormulaTextOnly(string text, string expected) =>
        Assert.Equal(expected, CsvTables.Defuse(text));

    [Fact]
    public void WriteRows_DefusesTextCells_NeverNumbers()
    {
        string path = Path.Combine(_dir, "plan.csv");

        CsvTables.WriteRows(path, ["id", "index"], [["=1+1", -0.5], ["ok", -2.0]]);

        Assert.Equal("id,index\n'=1+1,-0.5\nok,-2\n", File.ReadAllText(path));
    }
}
