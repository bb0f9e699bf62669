using Tandem.Core.Randomness;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Rewards;

namespace Tandem.Rmab.Tests.Rewards;

public class RewardSandboxTests
{
    public static TheoryData<int> TaskIndices => new(Enumerable.Range(0, 16));

    [Theory]
    [MemberData(nameof(TaskIndices))]
    public void AcceptsEveryBaseReward_AndReadsItsFeatures(int index)
    {
        DlmTask task = Fixtures.Tasks.Tasks[index];

        Assert.True(RewardSandbox.TryParse(task.Base, out RewardExpression? e, out string? refusal), refusal);

        int[][] expected =
        [
            [11], [36], [12], [16], [7, 11], [38, 39, 40], [24, 25], [7, 16], [9, 10, 13], [26, 28], [35, 36, 37], [26, 32], [27, 32], [28, 32], [31, 32], [24, 25],
        ];
        Assert.Equal(expected[index], e.FeaturesUsed);
    }

    [Fact]
    public void BaseRewards_FollowTable3Shape_ZeroWhenDisengaged_TwoPointOneOrPointOneWhenEngaged()
    {
        var rng = new Xoshiro256(9);
        var arms = Enumerable.Range(0, 300).Select(_ => Fixtures.Generator.Draw(rng).Features).ToArray();
        foreach (DlmTask task in Fixtures.Tasks.Tasks)
        {
            RewardTable t = task.BaseExpression.Tabulate(arms);
            Assert.All(t.State0, v => Assert.Equal(0.0, v));
            Assert.All(t.State1, v => Assert.True(v == 0.1 || Math.Abs(v - 2.1) < 1e-12, $"task {task.Index}: {v}"));
        }
    }

    [Fact]
    public void DefaultReward_IsState()
    {
        RewardExpression e = RewardSandbox.Parse(Fixtures.Tasks.Default);
        Assert.Empty(e.FeaturesUsed);
        Assert.Equal(1.0, e.Evaluate(1, new double[43]));
        Assert.Equal(0.0, e.Evaluate(0, new double[43]));
    }

    [Theory]
    [InlineData("System.IO.File.ReadAllText(\"/etc/passwd\").Length", "member access 'System.IO.File.ReadAllText(")]
    [InlineData("System.IO.File.ReadAllText(\"/etc/passwd\") == null ? 1 : 0", "call to 'System.IO.File.ReadAllText'")]
    [InlineData("System.IO.File.Delete(\"x\") == null ? 1.0 : 0.0", "call to")]
    [InlineData("System.Diagnostics.Process.Start(\"sh\").Id", "member access")]
    [InlineData("new System.Net.Http.HttpClient().GetStringAsync(\"http://x\").Result.Length", "")]
    [InlineData("typeof(string).Assembly.GetTypes().Length", "")]
    [InlineData("typeof(int) == null ? 1 : 0", "typeof")]
    [InlineData("Type.GetType(\"System.IO.File\").GetMethods().Length", "member access")]
    [InlineData("new double[1000000000][0]", "array creation")]
    [InlineData("new int[int.MaxValue].Length * state", "")]
    [InlineData("new Random().NextDouble()", "call to 'new Random().NextDouble'")]
    [InlineData("new Random() == null ? 1 : 0", "object creation with 'new'")]
    [InlineData("Enumerable.Range(0, 10).Sum()", "call to")]
    [InlineData("feats.Sum()", "call to 'feats.Sum'")]
    [InlineData("((Func<double>)(() => state))()", "")]
    [InlineData("(x => x)(state)", "")]
    [InlineData("state = 1", "assignment")]
    [InlineData("feats[0] = 5", "assignment")]
    [InlineData("state++", "postfix operator '++'")]
    [InlineData("for (;;) { }", "not a single C# expression")]
    [InlineData("while (true) state += 1", "not a single C# expression")]
    [InlineData("\"state\".Length", "")]
    [InlineData("$\"{state}\".Length", "")]
    [InlineData("'a' + state", "character literal")]
    [InlineData("feats[43]", "out-of-range index feats[43]")]
    [InlineData("feats[-1]", "non-constant index")]
    [InlineData("feats[(int)state]", "non-constant index")]
    [InlineData("feats[1 + 1]", "non-constant index")]
    [InlineData("feats", "'feats' without a constant index")]
    [InlineData("x * state", "identifier 'x'")]
    [InlineData("Environment.Exit(0) == null ? 1 : 0", "call to 'Environment.Exit'")]
    [InlineData("Math.Round(state)", "call to 'Math.Round'")]
    [InlineData("(double)feats[3]", "a cast")]
    [InlineData("stackalloc double[100000000]", "stackalloc")]
    [InlineData("state > 0", "must be a number, not a bool")]
    [InlineData("state & 1", "operator '&'")]
    [InlineData("1 / 0 + state", "integer division '1 / 0'")]
    [InlineData("1 / 2 + state", "integer division '1 / 2' (C# truncates: 1/2 is 0); write a double literal such as 1.0/2")]
    [InlineData("-(7) / 2 + 0 * state", "integer division")]
    [InlineData("state * 2 /* \u202E */ + feats[7]", "invisible or control character U+202E at column 14")]
    [InlineData("state\u200B * 2", "U+200B at column 6")]
    [InlineData("\uFEFFstate", "U+FEFF at column 1")]
    [InlineData("state\u0000", "U+0000")]
    [InlineData("-(-2147483647 - 1) + state", "overflows")]
    [InlineData("2.0f * state", "of type Single")]
    [InlineData("state; System.IO.File.Delete(\"x\")", "not a single C# expression")]
    [InlineData("default(double)", "default")]
    [InlineData("checked(state)", "checked/unchecked")]
    [InlineData("state switch { _ => 1.0 }", "switch expression")]
    [InlineData("", "empty")]
    public void RefusesHostileExpressions_NamingTheConstruct(string text, string expectedFragment)
    {
        bool accepted = RewardSandbox.TryParse(text, out RewardExpression? e, out string? refusal);

        Assert.False(accepted, $"'{text}' was accepted as {e?.CanonicalSource}");
        Assert.NotNull(refusal);
        Assert.DoesNotContain("\n", refusal, StringComparison.Ordinal);
        Assert.Contains(expectedFragment, refusal);
        if (text.Length > 0 && !refusal.Contains("empty")) Assert.Contains("column", refusal);
    }

    [Fact]
    public void Refusal_GivesTheColumnOfTheOffendingConstruct()
    {
        Assert.False(RewardSandbox.TryParse("state * 0.1 + feats[50]", out _, out string? refusal));
        Assert.Equal("out-of-range index feats[50] (valid 0 to 42) at column 21 is not allowed", refusal);
    }

    [Fact]
    public void OverlongExpression_IsRefused()
    {
        string text = string.Join(" + ", Enumerable.Repeat("feats[7]", 600));
        Assert.False(RewardSandbox.TryParse(text, out _, out string? refusal));
        Assert.Contains("characters", refusal);
    }

    [Fact]
    public void DeepNesting_IsRefused()
    {
        string text = new string('(', 100) + "state" + new string(')', 100);
        Assert.False(RewardSandbox.TryParse(text, out _, out string? refusal));
        Assert.Contains("nesting", refusal);
    }

    [Theory]
    [InlineData("1.0 / 2 + state", 1, 1.5)]
    [InlineData("1 / 2.0 + state", 1, 1.5)]
    [InlineData("7 % 3 * state", 1, 1.0)]
    [InlineData("state / 2", 1, 0.5)]
    [InlineData("Math.Max(1, 2) + Math.Abs(-3) + Math.Min(state, 0.25)", 1, 5.25)]
    [InlineData("state > 0 && feats[7] > 0 ? 2.0 : 0.0", 1, 2.0)]
    [InlineData("!(state > 0) ? 1 : 0", 0, 1.0)]
    [InlineData("System.Math.Pow(2, 3) * state", 1, 8.0)]
    [InlineData("-(7) / 2.0 + 0 * state", 0, -3.5)]
    public void Interpreter_FollowsCSharpSemantics(string text, double state, double expected)
    {
        var feats = new double[43];
        feats[7] = 1;
        RewardExpression e = RewardSandbox.Parse(text);

        Assert.Equal(expected, e.Evaluate(state, feats));
        Assert.Equal(expected, RoslynRewardCompiler.Compile(e)(state, feats));
    }

    [Fact]
    public void RuntimeDivisionByZero_FailsTabulation_WithAOneLineReason()
    {
        // Integer division is refused up front; integer remainder by a zero that only appears at run time is not.
        RewardExpression e = RewardSandbox.Parse("(state > 0 ? 1 : 0) % (state > 0 ? 0 : 1) + 0.5");
        Assert.False(e.TryTabulate([new double[43]], out _, out string? error));
        Assert.Contains("arm 0, state 1", error);
        RewardExpression inf = RewardSandbox.Parse("state / 0.0");
        Assert.False(inf.TryTabulate([new double[43]], out _, out error));
        Assert.Contains("finite", error);
    }

    [Fact]
    public void CompiledDelegates_TabulateBitIdenticalValues_ToTheInterpreter()
    {
        var rng = new Xoshiro256(77);
        var arms = Enumerable.Range(0, 64).Select(_ => Fixtures.Generator.Draw(rng).Features).ToArray();
        var expressions = Fixtures.Tasks.Tasks.Select(t => t.BaseExpression).ToList();
        var gen = new RandomExpressions(new Xoshiro256(3));
        while (expressions.Count < 300)
        {
            if (RewardSandbox.TryParse(gen.Next(), out RewardExpression? e, out _)) expressions.Add(e);
        }

        var compiled = RoslynRewardCompiler.CompileMany(expressions);

        int compared = 0;
        for (int i = 0; i < expressions.Count; i++)
        {
            bool okI = expressions[i].TryTabulate(arms, out RewardTable? a, out string? errI);
            bool okC = RewardTabulation.TryTabulate(arms, compiled[i], out RewardTable? b, out string? errC);
            Assert.Equal(okI, okC);
            if (!okI) { Assert.Equal(errI, errC); continue; }
            for (int n = 0; n < arms.Length; n++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(b!.State0[n]), BitConverter.DoubleToInt64Bits(a!.State0[n]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(b.State1[n]), BitConverter.DoubleToInt64Bits(a.State1[n]));
            }
            compared++;
        }
        Assert.True(compared > 100, $"only {compared} of {expressions.Count} tabulated");
        Assert.Same(compiled[0], RoslynRewardCompiler.Compile(expressions[0]));
    }

    /// <summary>Random expressions over the whitelisted grammar (may include runtime failures).</summary>
    private sealed class RandomExpressions(Xoshiro256 rng)
    {
        public string Next() => Num(4);

        private string Num(int depth)
        {
            int pick = depth <= 0 ? rng.Next(4) : rng.Next(11);
            return pick switch
            {
                0 => "state",
                1 => $"feats[{rng.Next(43)}]",
                2 => (rng.Next(7) - 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                3 => (rng.NextDouble() * 4 - 1).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                4 or 5 => $"({Num(depth - 1)} {"+-*/%"[rng.Next(5)]} {Num(depth - 1)})",
                6 => $"({Bool(depth - 1)} ? {Num(depth - 1)} : {Num(depth - 1)})",
                7 => $"Math.{new[] { "Abs", "Sqrt", "Exp", "Log", "Tanh", "Log10" }[rng.Next(6)]}({Num(depth - 1)})",
                8 => $"Math.{new[] { "Min", "Max", "Pow" }[rng.Next(3)]}({Num(depth - 1)}, {Num(depth - 1)})",
                9 => $"-{Num(depth - 1)}",
                _ => $"({Num(depth - 1)} * {Num(depth - 1)} + {Num(depth - 1)})",
            };
        }

        private string Bool(int depth) => rng.Next(5) switch
        {
            0 => $"({Bool(depth - 1)} && {Bool(depth - 1)})",
            1 => $"({Bool(depth - 1)} || {Bool(depth - 1)})",
            2 => $"!({Num(depth - 1)} > {Num(depth - 1)})",
            3 => $"({Num(depth - 1)} == {Num(depth - 1)})",
            _ => $"({Num(depth - 1)} <= {Num(depth - 1)})",
        };
    }
}
