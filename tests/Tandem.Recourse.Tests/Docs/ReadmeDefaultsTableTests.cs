using System.Globalization;
using Tandem.Recourse.Environments;

namespace Tandem.Recourse.Tests.Docs;

// Issue 11: the README's table of LIBRA defaults contradicted the code (ρ 0.5 / 2 / 0.5 while the code used 1).
// This reads the table under `tandem libra` and checks every cell against ScenarioDefaults.
public class ReadmeDefaultsTableTests
{
    [Fact]
    public void ReadmeDefaultsTable_MatchesTheCode()
    {
        string readme = File.ReadAllText(Path.Combine(Path.GetDirectoryName(TestWorlds.DataDirectory())!, "README.md"));
        string[] lines = readme.Split('\n').Select(l => l.Trim()).ToArray();
        int header = Array.FindIndex(lines, l => l.StartsWith("| env | T | R | γ |", StringComparison.Ordinal));
        Assert.True(header >= 0, "README.md has no LIBRA defaults table starting '| env | T | R | γ |'");
        string[] columns = Cells(lines[header]);
        foreach (string column in new[] { "T", "R", "γ", "Δ (σ)", "advisor", "ρ (σ)", "σ" })
            Assert.True(columns.Contains(column), $"README.md's LIBRA defaults table has no column '{column}' (ρ and Δ are in units of σ since issue 11)");
        var rows = lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).Select(Cells).ToArray();
        Assert.Equal(Scenarios.Names.Order(), rows.Select(r => r[0].Split(' ')[0]).Order());
        foreach (string[] row in rows)
        {
            string env = row[0].Split(' ')[0];
            ScenarioDefaults d = Scenarios.Create(env, TestWorlds.DataDirectory()).Defaults;
            string Cell(string column) => row[Array.IndexOf(columns, column)];
            double Number(string column) => double.Parse(Cell(column), CultureInfo.InvariantCulture);
            Assert.Equal(d.Horizon, Number("T"));
            Assert.Equal(d.Runs, Number("R"));
            Assert.Equal(d.Gamma, Number("γ"));
            Assert.Equal(d.Delta, Number("Δ (σ)"));
            Assert.Equal(d.Advisor, Cell("advisor"));
            Assert.Equal(d.Rho, Number("ρ (σ)"));
            // σ of a cohort environment is computed from its data (docs/libra-cohort.md); the README prints it to 3
            // significant digits.
            Assert.Equal(double.Parse(d.NoiseScale.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), Number("σ"));
        }
    }

    private static string[] Cells(string line) => line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
}
