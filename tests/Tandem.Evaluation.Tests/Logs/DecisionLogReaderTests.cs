using Tandem.Evaluation.Logs;

namespace Tandem.Evaluation.Tests.Logs;

public sealed class DecisionLogReaderTests : IDisposable
{
    private const string Good = """{"study":"s","run":1,"step":7,"policy":"P","decisionId":8,"time":"t","context":[0.5,-1],"arm":1,"propensity":0.25,"probabilities":[0.75,0.25],"notes":["x"],"payload":{"recourse":[1,2],"w":{"a":[]}},"reward":3.5,"expectedReward":3,"optimalReward":4,"expectedRewards":[4,3]}""";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "tandem-ope-" + Guid.NewGuid().ToString("N"));

    public DecisionLogReaderTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Log(params string[] lines)
    {
        string path = Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    private static DecisionLogException ReadFails(string path) =>
        Assert.Throws<DecisionLogException>(() => new DecisionLogReader(path).Read().ToList());

    [Fact]
    public void Read_GoodLine_GivesEveryField_AndSkipsThePayload()
    {
        LoggedDecision d = Assert.Single(new DecisionLogReader(Log(Good)).Read());

        Assert.Equal(1, d.Line);
        Assert.Equal(1, d.Run);
        Assert.Equal(7, d.Step);
        Assert.Equal([0.5, -1], d.Features!);
        Assert.Null(d.Cell);
        Assert.Equal(1, d.Arm);
        Assert.Equal(0.25, d.Propensity);
        Assert.Equal([0.75, 0.25], d.Probabilities);
        Assert.Equal(3.5, d.Reward);
        Assert.Equal([4.0, 3.0], d.ExpectedRewards!);
    }

    [Fact]
    public void Read_NullPropensity_IsNaN_NotAnError_AndNullTruthEntryDropsTheTruth()
    {
        string line = Good.Replace("\"propensity\":0.25", "\"propensity\":null").Replace("[0.75,0.25]", "[null,null]").Replace("[4,3]", "[4,null]");

        LoggedDecision d = Assert.Single(new DecisionLogReader(Log(line)).Read());

        Assert.False(d.HasPropensity);
        Assert.True(double.IsNaN(d.Probabilities[0]));
        Assert.Null(d.ExpectedRewards);
    }

    [Fact]
    public void Read_StringContext_IsACell()
    {
        LoggedDecision d = Assert.Single(new DecisionLogReader(Log(Good.Replace("[0.5,-1]", "\"morning/active\""))).Read());

        Assert.Equal("morning/active", d.Cell);
        Assert.Null(d.Features);
    }

    [Fact]
    public void Read_BlankLines_AreIgnored_AndLineNumbersCountThem()
    {
        var lines = new DecisionLogReader(Log(Good, "", Good)).Read().ToList();

        Assert.Equal([1L, 3L], lines.Select(l => l.Line));
    }

    [Fact]
    public void Read_LastLineWithoutNewline_IsRead()
    {
        string path = Path.Combine(_folder, "nonl.jsonl");
        File.WriteAllText(path, Good + "\n" + Good);

        Assert.Equal(2, new DecisionLogReader(path).Read().Count());
    }

    [Fact]
    public void Read_LinesLongerThanTheBuffer_AreRead()
    {
        string wide = Good.Replace("[0.5,-1]", "[" + string.Join(",", Enumerable.Repeat("0.125", 30000)) + "]");

        var lines = new DecisionLogReader(Log(wide, wide)).Read().ToList();

        Assert.Equal(2, lines.Count);
        Assert.Equal(30000, lines[1].Features!.Length);
    }

    [Fact]
    public void Read_NotJson_NamesTheLine()
    {
        var ex = ReadFails(Log(Good, "{\"arm\":1,", Good));

        Assert.Equal(2, ex.Line);
        Assert.StartsWith("decision log line 2: not JSON", ex.Message);
    }

    [Fact]
    public void Read_NotAnObject_NamesTheLine()
    {
        var ex = ReadFails(Log("[1,2]"));

        Assert.Equal("decision log line 1: not a JSON object", ex.Message);
    }

    [Theory]
    [InlineData("context")]
    [InlineData("arm")]
    [InlineData("propensity")]
    [InlineData("probabilities")]
    [InlineData("reward")]
    public void Read_MissingField_NamesLineAndField(string field)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(Good)!.AsObject();
        node.Remove(field);

        var ex = ReadFails(Log(Good, node.ToJsonString()));

        Assert.Equal($"decision log line 2, field '{field}': is missing", ex.Message);
    }

    [Fact]
    public void Read_ArmOutsideTheProbabilityVector_NamesTheArmCount()
    {
        var ex = ReadFails(Log(Good.Replace("\"arm\":1", "\"arm\":2")));

        Assert.Equal("decision log line 1, field 'arm': 2 is outside the probability vector of 2 arms (0..1)", ex.Message);
    }

    [Theory]
    [InlineData("0", "0 is outside (0, 1]")]
    [InlineData("1.5", "1.5 is outside (0, 1]")]
    [InlineData("-0.2", "-0.2 is outside (0, 1]")]
    [InlineData("0.5", "0.5 disagrees with probabilities[1] = 0.25")]
    public void Read_BadPropensity_NamesTheValue(string value, string problem)
    {
        var ex = ReadFails(Log(Good.Replace("\"propensity\":0.25", "\"propensity\":" + value)));

        Assert.Equal("propensity", ex.Field);
        Assert.Equal(problem, ex.Problem);
    }

    [Fact]
    public void Read_ProbabilitiesNotSummingToOne_AreRefused()
    {
        var ex = ReadFails(Log(Good.Replace("[0.75,0.25]", "[0.5,0.25]").Replace("\"propensity\":0.25", "\"propensity\":null")));

        Assert.Equal("probabilities", ex.Field);
        Assert.Contains("sum to 0.75", ex.Problem);
    }

    [Fact]
    public void Read_ArmCountChanging_NamesTheFirstLinesCount()
    {
        string three = Good.Replace("[0.75,0.25]", "[0.5,0.25,0.25]").Replace("[4,3]", "[4,3,2]");

        var ex = ReadFails(Log(Good, three));

        Assert.Equal("decision log line 2, field 'probabilities': has 3 arms; the log's first line has 2", ex.Message);
    }

    [Fact]
    public void Read_ContextDimensionChanging_IsRefused()
    {
        var ex = ReadFails(Log(Good, Good.Replace("[0.5,-1]", "[0.5]")));

        Assert.Equal("context", ex.Field);
        Assert.Contains("has 1 features; the log's first line has 2", ex.Problem);
    }

    [Fact]
    public void Read_NullReward_IsRefused()
    {
        var ex = ReadFails(Log(Good.Replace("\"reward\":3.5", "\"reward\":null")));

        Assert.Equal("reward", ex.Field);
    }

    [Fact]
    public void Read_SkipInvalid_CountsSkippedLines_AndKeepsTheFirstMessage()
    {
        var reader = new DecisionLogReader(Log(Good, "oops", Good.Replace("\"arm\":1", "\"arm\":9"), Good), new DecisionLogReadOptions(SkipInvalid: true));

        var lines = reader.Read().ToList();

        Assert.Equal([1L, 4L], lines.Select(l => l.Line));
        Assert.Equal(new DecisionLogTally(4, 2, reader.Tally.FirstSkipped), reader.Tally);
        Assert.StartsWith("decision log line 2: not JSON", reader.Tally.FirstSkipped);
    }

    [Fact]
    public void Read_RoundTripsWhatDecisionLogLinesWrites()
    {
        var d = new LoggedDecision(1, 2, 3, [1.5, -2], null, 0, double.NaN, [double.NaN, double.NaN, double.NaN], -0.25, [1, 2, 3]);

        LoggedDecision back = Assert.Single(new DecisionLogReader(Log(DecisionLogLines.Format(d))).Read());

        Assert.Equal(d.Features!, back.Features!);
        Assert.True(double.IsNaN(back.Propensity));
        Assert.Equal(d.ExpectedRewards!, back.ExpectedRewards!);
        Assert.Equal(d.Reward, back.Reward);
    }

    [Fact]
    public void Read_NotesPayloadAndDraws_AreKept()
    {
        string line = Good.Replace("\"notes\":[\"x\"]", "\"notes\":[\"advisor-consulted\",\"advisor-followed\",\"propensity-estimated\"],\"propensityDraws\":64");

        LoggedDecision d = Assert.Single(new DecisionLogReader(Log(line)).Read());

        Assert.Equal(LineFlags.AdvisorFollowed | LineFlags.PropensityEstimated, d.Flags);
        Assert.Equal([1.0, 2.0], d.Recourse!);
        Assert.Equal([1.0, 2.0], d.RewardFeatures!);
        Assert.Equal(64, d.PropensityDraws);
    }

    [Fact]
    public void Read_SecondPass_ReplaysTheSpill_WithEveryFieldBitForBit()
    {
        var decisions = new List<LoggedDecision>();
        for (int i = 0; i < 5000; i++)
        {
            decisions.Add(new LoggedDecision(i + 1, i % 3, i, [i * 0.1, -1.0 / (i + 1)], null, i % 2, i % 7 == 0 ? double.NaN : 0.5,
                i % 7 == 0 ? [double.NaN, double.NaN] : [0.5, 0.5], Math.PI * i, i % 5 == 0 ? null : [1, 2])
            { Flags = (LineFlags)(i % 4), Recourse = i % 3 == 0 ? [i, 0.1] : null, PropensityDraws = i % 11 });
        }
        using var reader = new DecisionLogReader(Log([.. decisions.Select(d => DecisionLogLines.Format(d))]));

        var first = reader.Read().ToList();
        bool replayedFirst = reader.Replayed;
        var second = reader.Read().ToList();

        Assert.False(replayedFirst);
        Assert.True(reader.Replayed);
        Assert.Equal(5000, second.Count);
        for (int i = 0; i < first.Count; i++)
        {
            LoggedDecision a = first[i], b = second[i];
            Assert.Equal((a.Line, a.Run, a.Step, a.Arm, a.Flags, a.PropensityDraws, a.Cell), (b.Line, b.Run, b.Step, b.Arm, b.Flags, b.PropensityDraws, b.Cell));
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Propensity), BitConverter.DoubleToInt64Bits(b.Propensity));
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Reward), BitConverter.DoubleToInt64Bits(b.Reward));
            Assert.Equal(a.Features!, b.Features!);
            Assert.Equal(a.Probabilities, b.Probabilities);
            Assert.Equal(a.ExpectedRewards, b.ExpectedRewards);
            Assert.Equal(a.Recourse, b.Recourse);
            Assert.Equal(decisions[i].Reward, b.Reward);
        }
        Assert.Equal(new DecisionLogTally(5000, 0, null), reader.Tally);
    }

    [Fact]
    public void Read_CellContexts_ReplayFromTheSpill()
    {
        using var reader = new DecisionLogReader(Log(Good.Replace("[0.5,-1]", "\"a/b\""), Good.Replace("[0.5,-1]", "\"c\"")));

        reader.Read().ToList();
        var again = reader.Read().ToList();

        Assert.Equal(["a/b", "c"], again.Select(d => d.Cell));
    }

    [Fact]
    public void Read_BadLineInALaterBatch_YieldsTheLinesBefore_ThenNamesIt()
    {
        int bad = DecisionLogReader.BatchLines + 100;
        string[] lines = [.. Enumerable.Range(1, bad + 50).Select(i => i == bad ? Good.Replace("\"arm\":1", "\"arm\":5") : Good)];
        var seen = new List<long>();

        var ex = Assert.Throws<DecisionLogException>(() => { foreach (LoggedDecision d in new DecisionLogReader(Log(lines)).Read()) seen.Add(d.Line); });

        Assert.Equal(bad, ex.Line);
        Assert.Equal("arm", ex.Field);
        Assert.Equal(Enumerable.Range(1, bad - 1).Select(i => (long)i), seen);
    }

    [Fact]
    public void Read_ShapeChangeInALaterBatch_IsNamed_AndSkippedWhenAsked()
    {
        int bad = DecisionLogReader.BatchLines * 2 + 3;
        string[] lines = [.. Enumerable.Range(1, bad + 10).Select(i => i == bad ? Good.Replace("[0.5,-1]", "[0.5,-1,2]") : Good)];
        var reader = new DecisionLogReader(Log(lines), new DecisionLogReadOptions(SkipInvalid: true));

        var read = reader.Read().ToList();

        Assert.Equal(bad + 9, read.Count);
        Assert.DoesNotContain(read, d => d.Line == bad);
        Assert.Equal($"decision log line {bad}, field 'context': has 3 features; the log's first line has 2", reader.Tally.FirstSkipped);
    }

    [Fact]
    public void Read_LongLines_FillABatchByBytes_AndAllAreReadInOrder()
    {
        // 600 lines of ≈ 64 KB pass the batch's byte cap (16 MiB) before its line cap.
        string wide = Good.Replace("[0.5,-1]", "[" + string.Join(",", Enumerable.Repeat("0.125", 12000)) + "]");
        Assert.True(600L * wide.Length > DecisionLogReader.BatchBytes);

        var lines = new DecisionLogReader(Log([.. Enumerable.Repeat(wide, 600)])).Read().ToList();

        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), lines.Select(l => l.Line));
    }

    [Fact]
    public void Read_AnUndisposedReader_LeavesNoSpillFileBehind()
    {
        // Only readers in this class make spills in this test assembly, and its tests run one at a time.
        var reader = new DecisionLogReader(Log(Good, Good));

        reader.Read().ToList();
        reader.Read().ToList();

        Assert.True(reader.Replayed);
        if (!OperatingSystem.IsWindows()) Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "tandem-ope-*.bin"));
    }

    [Fact]
    public void Create_MissingFile_NamesThePath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => new DecisionLogReader(Path.Combine(_folder, "none.jsonl")));

        Assert.Contains("none.jsonl", ex.Message);
    }
}
