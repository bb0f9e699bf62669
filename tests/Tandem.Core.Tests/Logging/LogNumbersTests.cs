using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using Tandem.Core.Logging;

namespace Tandem.Core.Tests.Logging;

public class LogNumbersTests
{
    private static string Text(double value)
    {
        Span<byte> buffer = stackalloc byte[40];
        int n = LogNumbers.Format(value, buffer);
        return Encoding.ASCII.GetString(buffer[..n]);
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-3.0, "-3")]
    [InlineData(123456789012345.0, "123456789012345")]
    [InlineData(0.5, "0.5")]
    [InlineData(0.1, "0.1")]
    [InlineData(-0.25, "-0.25")]
    [InlineData(1.0 / 3, "0.333333333333")]
    [InlineData(2.0 / 3, "0.666666666667")]
    [InlineData(123.456, "123.456")]
    [InlineData(0.00001234, "0.00001234")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(9.99999999999999, "10")]
    [InlineData(0.09999999999999999, "0.1")]
    [InlineData(2.5e20, "2.5e20")]
    [InlineData(1.2345678901234567e16, "1.23456789012e16")]
    public void Format_KnownValues(double value, string expected) => Assert.Equal(expected, Text(value));

    [Property(MaxTest = 2000)]
    public bool Format_ParsesBack_Within12SignificantDigits(NormalFloat x)
    {
        double value = x.Get;
        double back = double.Parse(Text(value), CultureInfo.InvariantCulture);
        return value == 0 ? back == 0 : Math.Abs(back - value) <= 5.01e-12 * Math.Abs(value);
    }

    [Fact]
    public void Format_Extremes_ParseBack()
    {
        foreach (double value in new[] { double.Epsilon, -double.Epsilon, 1e-300, 1e300, double.MaxValue, double.MinValue, 1e-281, 9.99e279 })
        {
            double back = double.Parse(Text(value), CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(back - value) <= 1e-11 * Math.Abs(value), $"{value} came back as {back}");
        }
    }

    [Fact]
    public void Write_NonFinite_IsNull_AndEveryNumberIsValidJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (double v in new[] { double.NaN, double.PositiveInfinity, 0.1, -7, 1.5e-7, 3e300 }) LogNumbers.Write(writer, v);
            writer.WriteEndArray();
        }
        using JsonDocument doc = JsonDocument.Parse(buffer.WrittenMemory);
        JsonElement[] items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(JsonValueKind.Null, items[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, items[1].ValueKind);
        Assert.Equal(0.1, items[2].GetDouble());
        Assert.Equal(-7, items[3].GetDouble());
        Assert.Equal(1.5e-7, items[4].GetDouble());
        Assert.Equal(3e300, items[5].GetDouble(), 1e288);
    }
}
