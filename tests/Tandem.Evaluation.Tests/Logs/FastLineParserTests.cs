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
}
