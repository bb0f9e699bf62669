using System.Globalization;
using CsvHelper;

namespace Tandem.Reporting.Tests.Tables;

public class CsvTablesTests
{
    [Fact]
    public void WriteColumns_RoundTripsToTheBit_AndLeavesRaggedCellsBlank()
    {
        using var temp = new TempFolder();
        string path = temp.File("curves/regret.csv");
        double[] a = [0.1, 1.0 / 3.0, Math.PI * 1e-300, -0.0, double.Epsilon, double.MaxValue, 123456789.123456789];
        double[] b = [Math.E, double.NaN];
        double[] c = [];

        CsvTables.WriteColumns(path, ["a", "b, with comma", "c"], [a, b, c]);

        using CsvReader reader = CsvReader.FromFile(path);
        Assert.Equal(["a", "b, with comma", "c"], reader.Headers);
        int row = 0;
        while (reader.Read())
        {
            Assert.Equal(3, reader.FieldCount);
            Assert.Equal(BitConverter.DoubleToInt64Bits(a[row]), BitConverter.DoubleToInt64Bits(reader.Parse<double>(0)));
            if (row < b.Length)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(b[row]), BitConverter.DoubleToInt64Bits(reader.Parse<double>(1)));
            }
            else
            {
                Assert.True(reader.IsEmpty(1), $"row {row} column b should be blank");
            }

            Assert.True(reader.IsEmpty(2), $"row {row} column c should be blank");
            row++;
        }

        Assert.Equal(a.Length, row);
    }

    [Fact]
    public void WriteColumns_UsesInvariantCultureAndLf()
    {
        using var temp = new TempFolder();
        string path = temp.File("x.csv");
        CultureInfo previous = CultureInfo.CurrentCulture;
        CsvTables.WriteColumns(path, ["v"], [new[] { 1.5, 2.25 }]);
        Assert.Equal("v\n1.5\n2.25\n", File.ReadAllText(path));
        Assert.Equal(previous, CultureInfo.CurrentCulture);
    }

    [Fact]
    public void WriteColumns_HeaderCountMismatch_Throws()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => CsvTables.WriteColumns(temp.File("x.csv"), ["a", "b"], [new[] { 1.0 }]));
        Assert.Equal("columns", ex.ParamName);
    }

    [Fact]
    public void WriteRows_RoundTripsMixedValues()
    {
        using var temp = new TempFolder();
        string path = temp.File("rows.csv");
        double tricky = 0.1 + 0.2;
        CsvTables.WriteRows(path, ["policy", "regret", "n", "note"],
        [
            ["LinUCB", tricky, 100, null],
            ["Thompson \"TS\"", double.NaN, 7L, "line\nbreak, comma"],
        ]);

        using CsvReader reader = CsvReader.FromFile(path);
        Assert.True(reader.Read());
        Assert.Equal("LinUCB", reader.GetString(0));
        Assert.Equal(BitConverter.DoubleToInt64Bits(tricky), BitConverter.DoubleToInt64Bits(reader.Parse<double>(1)));
        Assert.Equal(100, reader.Parse<int>(2));
        Assert.True(reader.IsEmpty(3));
        Assert.True(reader.Read());
        Assert.Equal("Thompson \"TS\"", reader.GetString(0));
        Assert.True(double.IsNaN(reader.Parse<double>(1)));
        Assert.Equal("line\nbreak, comma", reader.GetString(3));
        Assert.False(reader.Read());
    }

    [Fact]
    public void WriteRows_RowOfWrongLength_ThrowsNamingRow()
    {
        using var temp = new TempFolder();
        var ex = Assert.Throws<ArgumentException>(() => CsvTables.WriteRows(temp.File("x.csv"), ["a", "b"], [["only one"]]));
        Assert.Equal("rows", ex.ParamName);
        Assert.Contains("rows[0]", ex.Message, StringComparison.Ordinal);
    }
}
