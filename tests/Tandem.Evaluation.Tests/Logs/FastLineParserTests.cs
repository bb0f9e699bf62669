using System.Globalization;
using System.Text;
using Tandem.Core.Randomness;
using Tandem.Evaluation.Logs;
using Tandem.Evaluation.Simulation;

namespace Tandem.Evaluation.Tests.Logs;

/// <summary>The byte scanner against the reference parse by Utf8JsonReader (an independent implementation).</summary>
public sealed class FastLineParserTests
{
    // Fields compared bit for bit (NaN entries too).
    private static void AssertSame(LineFields expected, LineFields actual, string line)
    {
        Assert.True(Same(expected.Features, actual.Features), "features: " + line);
        Assert.True(Same(expected.Probabilities, actual.Probabilities), "probabilities: " + line);
        Assert.True(Same(expected.Expected, actual.Expected), "expectedRewards: " + line);
        Assert.Equal(expected.Cell, actual.Cell);
        Assert.Equal((expected.HasContext, expected.HasArm, expected.HasPropensity, expected.HasReward, expected.ExpectedUnknown),
            (actual.HasContext, actual.HasArm, actual.HasPropensity, actual.HasReward, actual.ExpectedUnknown));
        Assert.Equal((expected.Arm, expected.Run, expected.Step), (actual.Arm, actual.Run, actual.Step));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Propensity), BitConverter.DoubleToInt64Bits(actual.Propensity));
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Reward), BitConverter.DoubleToInt64Bits(actual.Reward));
    }

    private static bool Same(double[]? a, double[]? b) =>
        a is null ? b is null : b is not null && a.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b.Select(BitConverter.DoubleToInt64Bits));

    private static string[] SimulatedLines(int count)
    {
        var world = new SyntheticBandit(new SyntheticBanditOptions(Arms: 10, Dimension: 20), 3);
        var random = new Xoshiro256(4);
        return [.. Enumerable.Range(0, count).Select(i => DecisionLogLines.Format(world.Next(random, i)))];
    }

    [Fact]
    public void TryParse_SimulatedLines_TakesTheFastPath_WithTheReaderNumbersBitForBit()
    {
        // Catches a number parsed differently (Clinger's fast path or a grammar slip) from Utf8JsonReader.GetDouble.
        foreach (string line in SimulatedLines(2000))
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            var fast = new LineFields();
            Assert.True(FastLineParser.TryParse(bytes, ref fast), line);
            var reference = new LineFields();
            DecisionLogReader.ParseFields(bytes, 1, ref reference);
            AssertSame(reference, fast, line);
        }
    }

    [Theory]
    [InlineData("""{"context":[1e5,-0.0,0,1E-3,123456789012345678901,5e-324,0.1e1],"arm":0,"propensity":1,"probabilities":[1],"reward":2.5e22}""")]
    [InlineData("""{ "context" : "cell-a" , "arm" : 0 , "propensity" : null , "probabilities" : [ null ] , "reward" : -7 , "x" : true , "y" : false , "z" : null , "expectedRewards" : null }""")]
    [InlineData("""{"context":[],"arm":0,"propensity":0.5,"probabilities":[0.5,0.5],"reward":1,"expectedRewards":[1,null],"step":9007199254740993}""")]
    public void TryParse_EdgeNumbersAndLiterals_AgreeWithTheReader(string line)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(line);
        var fast = new LineFields();
        Assert.True(FastLineParser.TryParse(bytes, ref fast), line);
        var reference = new LineFields();
        DecisionLogReader.ParseFields(bytes, 1, ref reference);
        AssertSame(reference, fast, line);
    }

    [Fact]
    public void TryParse_MutatedLines_NeverAcceptsWhatTheReaderRejects_NorReadsOtherwise()
    {
        // Catches a scanner that accepts bad JSON (a trailing comma, a leading zero, "1.", a control byte, an
        // escape) that the reader would reject, or reads a field differently from it.
        var random = new Xoshiro256(9);
        string[] lines = SimulatedLines(50);
        byte[] alphabet = "{}[],:\"\\-+.eE0123456789 \tnul\u0001xé"u8.ToArray();
        int accepted = 0, rejected = 0;
        for (int trial = 0; trial < 20000; trial++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(lines[random.Next(lines.Length)]);
            int edits = 1 + random.Next(3);
            var list = bytes.ToList();
            for (int e = 0; e < edits; e++)
            {
                int at = random.Next(list.Count);
                switch (random.Next(3))
                {
                    case 0: list.RemoveAt(at); break;
                    case 1: list[at] = alphabet[random.Next(alphabet.Length)]; break;
                    default: list.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                }
            }
            byte[] mutated = [.. list];
            var fast = new LineFields();
            if (!FastLineParser.TryParse(mutated, ref fast))
            {
                rejected++;
                continue;
            }
            accepted++;
            var reference = new LineFields();
            try { DecisionLogReader.ParseFields(mutated, 1, ref reference); }
            catch (DecisionLogException ex) { Assert.Fail($"the scanner accepted a line the reader rejects ({ex.Problem}): {Encoding.UTF8.GetString(mutated)}"); }
            AssertSame(reference, fast, Encoding.UTF8.GetString(mutated));
        }
        Assert.True(accepted > 1000 && rejected > 1000, $"accepted {accepted}, rejected {rejected}: the mutations should exercise both sides");
    }

    [Theory]
    [InlineData("""{"context":[1],"arm":0,"propensity":1,"probabilities":[1],"reward":1,"notes":["advisor-followed"]}""")]
    [InlineData("""{"context":[1],"arm":0,"propensity":1,"probabilities":[1],"reward":1,"payload":{"recourse":[1]}}""")]
    [InlineData("""{"context":"a\u00e9","arm":0,"propensity":1,"probabilities":[1],"reward":1}""")]
    [InlineData("""{"context":[1],"arm":1.0,"propensity":1,"probabilities":[1],"reward":1}""")]
    [InlineData("""{"context":[1],"arm":0,"propensity":1,"probabilities":[1],"reward":1e400}""")]
    public void TryParse_UnusualLines_AreLeftToTheReader(string line)
    {
        // Catches a scanner that takes notes, payloads, escapes, a non-integral arm or an overflowing number itself.
        var fast = new LineFields();
        Assert.False(FastLineParser.TryParse(Encoding.UTF8.GetBytes(line), ref fast));
    }

    // The reference: .NET's double.Parse, correctly rounded since .NET Core 3.0 (an independent implementation).
    private static void AssertEiselLemire(ulong w, int q, ref int taken)
    {
        double expected = double.Parse(w.ToString(CultureInfo.InvariantCulture) + "e" + q.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (!FastLineParser.TryEiselLemire(w, q, out double actual)) return; // the long way: Utf8Parser
        taken++;
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{w}e{q}: expected {expected:R}, got {actual:R}");
    }

    // Catches a wrong table entry, shift, exponent or rounding (ties to even) in the Eisel-Lemire path, which now takes
    // the 17-digit numbers Clinger's fast path cannot.
    [Fact]
    public void TryEiselLemire_AgreesWithDoubleParse_BitForBit_OnRoundTripAndRandomDecimals()
    {
        var random = new Random(17);
        int taken = 0, tried = 0;
        for (int i = 0; i < 100_000; i++)
        {
            // A finite positive double's 17 significant digits, as a log writes them ("R" may give fewer).
            double d = BitConverter.Int64BitsToDouble(random.NextInt64(1, 0x7FF0_0000_0000_0000));
            foreach (string text in new[] { d.ToString("E16", CultureInfo.InvariantCulture), d.ToString("R", CultureInfo.InvariantCulture) })
            {
                (ulong w, int q) = Decimal(text);
                AssertEiselLemire(w, q, ref taken);
                tried++;
            }
            // Random mantissas of up to 19 digits with exponents across the range.
            ulong m = (ulong)random.NextInt64(1, long.MaxValue) % 10_000_000_000_000_000_000UL;
            if (m == 0) m = 1;
            AssertEiselLemire(m, random.Next(-360, 320), ref taken);
            AssertEiselLemire(m, random.Next(-25, 25), ref taken);
            tried += 2;
        }
        Assert.True(taken > tried * 9 / 10, $"the fast path took {taken} of {tried}");
    }

    [Theory]
    [InlineData(9007199254740993UL, 0)]   // 2⁵³ + 1: a tie, rounds to even (down)
    [InlineData(9007199254740995UL, 0)]   // 2⁵³ + 3: a tie, rounds to even (up)
    [InlineData(9007199254740993UL, 1)]
    [InlineData(18014398509481989UL, 0)]  // 2⁵⁴ + 5: doubles there are 4 apart, nearer 2⁵⁴ + 4 (down)
    [InlineData(17976931348623157UL, 292)] // the largest double
    [InlineData(22250738585072014UL, -324)] // the smallest normal double
    [InlineData(49406564584124654UL, -340)] // subnormal: the long way
    [InlineData(17976931348623159UL, 292)] // overflows: the long way
    [InlineData(1UL, 23)]
    [InlineData(9999999999999999999UL, -4)]
    [InlineData(12345678901234567UL, -17)]
    public void TryEiselLemire_EdgeCases_AgreeWithDoubleParse_OrGoTheLongWay(ulong w, int q)
    {
        int taken = 0;
        AssertEiselLemire(w, q, ref taken);
        bool expectLongWay = q == -340 || (q == 292 && w == 17976931348623159UL);
        Assert.Equal(expectLongWay ? 0 : 1, taken);
    }

    private static (ulong W, int Q) Decimal(string text)
    {
        int e = text.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? text : text[..e];
        int q = e < 0 ? 0 : int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        if (dot >= 0)
        {
            q -= mantissa.Length - dot - 1;
            mantissa = mantissa.Remove(dot, 1);
        }
        return (ulong.Parse(mantissa, CultureInfo.InvariantCulture), q);
    }
}
