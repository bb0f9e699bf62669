using System.Globalization;
using System.Text;
using Tandem.Rmab.History;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Tests.History;

public sealed class HistoryFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-history-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text, string name = "h.csv")
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Read_CountsEachTransitionOfConsecutiveWeeks_FromInterleavedRows()
    {
        // a: weeks 0-3 → transitions (0,call)→1, (1,no)→1, (1,call)→0; b: weeks 0,1 then a gap to 5 (no transition across it).
        // Bug caught: a transition counted under the next week's action, or across a gap in the weeks.
        string path = Write("""
            id,week,engaged,called,age_51_60
            a,0,0,1,1
            b,0,1,0,0
            a,1,1,0,1
            b,1,0,0,0
            a,2,1,1,1
            a,3,0,0,1
            b,5,1,1,0
            """);

        HistorySet set = HistoryFile.Read(path);

        Assert.Equal(7, set.Rows);
        Assert.Equal([11], set.FeatureColumns);
        BeneficiaryHistory a = set.Beneficiaries[0], b = set.Beneficiaries[1];
        Assert.Equal("a", a.Id);
        // Pairs: 0 = (0, passive), 1 = (1, passive), 2 = (0, called), 3 = (1, called).
        Assert.Equal([0, 1, 1, 1], a.Visits);
        Assert.Equal([0, 1, 1, 0], a.Engaged);
        Assert.Equal(0, a.State);
        Assert.Equal(4, a.Weeks);
        Assert.Equal(1.0, a.Features[11]);
        Assert.Equal([0, 1, 0, 0], b.Visits);
        Assert.Equal([0, 0, 0, 0], b.Engaged);
        Assert.Equal(1, b.State);
    }

    [Fact]
    public void Read_OfWrittenSimulation_EqualsTheSimulationCounts()
    {
        // An independent path: the validation counts the simulated arrays directly; the reader counts the CSV rows.
        var instance = Tandem.Rmab.Cohort.CohortGenerator.Sample(Fixtures.Generator.Population(4), 60, 6, 5);
        var (engaged, called) = HistoryValidation.Simulate(instance, 9, 0.3, 11);
        HistorySet direct = HistoryValidation.Prefix(instance, engaged, called, 9);
        var sb = new StringBuilder("id,week,engaged,called," + string.Join(",", HistoryValidation.FeatureColumns.Select(f => Features.ColumnNames[f])) + "\n");
        for (int t = 0; t < 9; t++)
            for (int i = 0; i < 60; i++)
                sb.Append(CultureInfo.InvariantCulture, $"{i},{t},{engaged[i, t]},{called[i, t]},")
                  .AppendJoin(',', HistoryValidation.FeatureColumns.Select(f => instance.FeatureRows[i][f].ToString("R", CultureInfo.InvariantCulture))).Append('\n');

        HistorySet read = HistoryFile.Read(Write(sb.ToString()));

        Assert.Equal(direct.FeatureColumns, read.FeatureColumns);
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal(direct.Beneficiaries[i].Id, read.Beneficiaries[i].Id);
            Assert.Equal(direct.Beneficiaries[i].Visits, read.Beneficiaries[i].Visits);
            Assert.Equal(direct.Beneficiaries[i].Engaged, read.Beneficiaries[i].Engaged);
            Assert.Equal(direct.Beneficiaries[i].State, read.Beneficiaries[i].State);
            Assert.Equal(direct.Beneficiaries[i].Features, read.Beneficiaries[i].Features);
        }
    }

    [Theory]
    [InlineData("id,week,engaged\na,0,1\n", "row 1 (header), column called: missing")]
    [InlineData("id,week,engaged,called\na,0,2,0\n", "row 2, column engaged: '2' is not 0 or 1")]
    [InlineData("id,week,engaged,called\na,0,1,0\na,x,1,0\n", "row 3, column week: 'x' is not a week number")]
    [InlineData("id,week,engaged,called\na,3,1,0\na,3,1,0\n", "row 3, column week: week 3 of beneficiary 'a' does not follow its week 3")]
    [InlineData("id,week,engaged,called,lang_hindi\na,0,1,0,1\na,1,1,0,0\n", "row 3, column lang_hindi: '0' differs from '1'")]
    [InlineData("id,week,engaged,called,lang_hindi\na,0,1,0,yes\n", "row 2, column lang_hindi: 'yes' is not a number")]
    [InlineData("id,week,engaged,called,religion\na,0,1,0,1\n", "row 1 (header), column religion: unknown column")]
    [InlineData("id,week,engaged,called\n,0,1,0\n", "row 2, column id: empty id")]
    [InlineData("id,week,engaged,called\na,0,1\n", "row 2: 3 fields, the header has 4")]
    [InlineData("id,week,engaged,called\n", "no rows after the header")]
    [InlineData("", "empty file")]
    public void Read_BadInput_NamesFileRowAndColumn(string text, string expected)
    {
        string path = Write(text);

        var ex = Assert.Throws<FormatException>(() => HistoryFile.Read(path));

        Assert.StartsWith(path + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Read_LaterRowsFeatures_AreComparedByValue_WhateverTheirTextOrQuoting()
    {
        // The fast path compares the raw text after the fixed columns; a different text with the same value ("1.0") must
        // pass, and a changed value behind a quoted comma in the id must still be caught by the per-column check.
        string same = Write("id,week,engaged,called,age_51_60,lang_hindi\na,0,1,0,1,0\na,1,1,0,1.0,0\n", "same.csv");
        string quoted = Write("id,week,engaged,called,age_51_60,lang_hindi\n\"a,b\",0,1,0,1,0\n\"a,b\",1,1,0,1,1\n", "quoted.csv");

        Assert.Equal(1.0, HistoryFile.Read(same).Beneficiaries[0].Features[11]);
        var ex = Assert.Throws<FormatException>(() => HistoryFile.Read(quoted));
        Assert.Contains("row 3, column lang_hindi: '1' differs from '0' on an earlier row of beneficiary 'a,b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MissingFile_IsAFormatExceptionNamingIt()
    {
        string path = Path.Combine(_dir, "absent.csv");

        var ex = Assert.Throws<FormatException>(() => HistoryFile.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ClusterColumn_MustNotChangeWithinABeneficiary()
    {
        string path = Write("id,week,engaged,called,district\na,0,1,0,north\na,1,1,0,south\n");

        var ex = Assert.Throws<FormatException>(() => HistoryFile.Read(path, "district"));

        Assert.Contains("row 3, column district: cluster 'south' differs from 'north'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("column district: unknown column", Assert.Throws<FormatException>(() => HistoryFile.Read(path)).Message, StringComparison.Ordinal);
    }
}
