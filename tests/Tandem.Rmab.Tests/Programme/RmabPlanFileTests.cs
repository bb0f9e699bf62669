using System.Globalization;
using System.Text;
using Tandem.Core.Randomness;
using Tandem.Core.Reports;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Rmab.Programme;

namespace Tandem.Rmab.Tests.Programme;

/// <summary>`rmab plan` for a programme manager (issue 12, item 6): negative indices, extra columns, CSV dialects.</summary>
public sealed class RmabPlanFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-rmab-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Header = "id,state,p01_passive,p11_passive,p01_active,p11_active";

    private string Write(string name, string text, Encoding? encoding = null)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(false));
        return path;
    }

    // n beneficiaries; arm i's call lowers engagement when i % 3 == 0 (its Whittle index under `state` is then negative).
    private static (string Csv, ArmDynamics[] Arms, byte[] States) Synthetic(int n, ulong seed)
    {
        var rng = new Xoshiro256(seed);
        var sb = new StringBuilder(Header + ",age_51_60\n");
        var arms = new ArmDynamics[n];
        var states = new byte[n];
        for (int i = 0; i < n; i++)
        {
            ArmDynamics a = Fixtures.StructuredArm(rng);
            if (i % 3 == 0) a = new ArmDynamics(a.Active0, a.Active1, a.Passive0, a.Passive1); // swap: a call now hurts
            arms[i] = a;
            states[i] = (byte)(rng.NextDouble() < 0.5 ? 0 : 1);
            sb.Append(FormattableString.Invariant($"b{i},{states[i]},{a.Passive0:R},{a.Passive1:R},{a.Active0:R},{a.Active1:R},{i % 2}\n"));
        }
        return (sb.ToString(), arms, states);
    }

    private RmabPlanResult Plan(string path, int budget, bool fill = false, string expr = "state", ulong seed = 4) =>
        RmabProgramme.Plan(new RmabPlanOptions { ArmsFile = path, Budget = budget, Expression = expr, Seed = seed, FillBudget = fill, DataDirectory = Fixtures.DataDirectory });

    [Theory]
    [InlineData(30, 7, 1ul)]
    [InlineData(30, 25, 2ul)]
    [InlineData(60, 45, 3ul)]
    [InlineData(12, 12, 5ul)]
    [InlineData(12, 0, 6ul)]
    public void ByDefault_NobodyWithANegativeIndexIsCalled_AndCallsAreMinOfBudgetAndNonNegative(int n, int budget, ulong seed)
    {
        // Bugs caught: negative-index beneficiaries called (the old fill-the-budget rule), a wrong unused count, or
        // a ranking that moves when calls are dropped.
        string path = Write("r.csv", Synthetic(n, seed).Csv);
        RmabPlanResult plan = Plan(path, budget);
        RmabPlanResult filled = Plan(path, budget, fill: true);
        int nonNegative = plan.Summary.All.Count(e => !(e.Index < 0));
        Assert.Equal(Math.Min(budget, nonNegative), plan.Summary.Calls.Count);
        Assert.All(plan.Summary.Calls, e => Assert.True(e.Index >= 0, $"{e.Id} has index {e.Index} and is called"));
        Assert.Equal(budget - plan.Summary.Calls.Count, plan.Summary.Unused);
        Assert.Equal(budget, filled.Summary.Calls.Count);
        Assert.Equal(0, filled.Summary.Unused);
        Assert.True(filled.Summary.FillBudget);
        // Same ranking and indices; the default's calls are exactly the filled plan's non-negative calls.
        Assert.Equal(filled.Summary.All.Select(e => (e.Id, e.Rank, e.Index)), plan.Summary.All.Select(e => (e.Id, e.Rank, e.Index)));
        Assert.Equal(filled.Summary.Calls.Where(e => e.Index >= 0).Select(e => e.Id), plan.Summary.Calls.Select(e => e.Id));
        if (budget == 0) Assert.Equal("The budget is 0: nobody is called.", RmabPlanResult.BudgetNote(plan.Summary));
    }

    [Fact]
    public void FillBudget_GivesTheOldCallList_BitIdentical()
    {
        // --fill-budget is the behaviour before issue 12: CallList.Plan on the same problem and seed.
        var (csv, arms, states) = Synthetic(40, 9);
        string path = Write("r.csv", csv);
        RmabPlanResult filled = Plan(path, 30, fill: true, seed: 9);
        var problem = new PlanningProblem(arms, RewardTable.EngagementOnly(arms.Length), 30, 0.9);
        IReadOnlyList<CallListEntry> reference = CallList.Plan(problem, states, 9);
        Assert.Equal(reference.Select(e => ($"b{e.Arm}", e.Index, e.Call, e.Rank)), filled.Summary.All.Select(e => (e.Id, e.Index, e.Call, e.Rank)));
        Assert.Contains(filled.Summary.Calls, e => e.Index < 0); // the case the default changes exists here
    }

    [Fact]
    public void AHarmfulCall_HasANegativeIndexAndGain_AndIsLeftUnused()
    {
        // a: a call lifts P(engaged) from 0.1 to 0.5; h: a call lowers it from 0.5 to 0.2 (in both states).
        // Closed form of the gain: P(engaged next | s, call) − P(engaged next | s, no call).
        string path = Write("h.csv", Header + "\na,0,0.1,0.6,0.5,0.8\nh,0,0.5,0.7,0.2,0.4\nk,1,0.3,0.9,0.3,0.9\n");
        RmabPlanResult plan = Plan(path, 3);
        PlanEntry a = plan.Summary.All.Single(e => e.Id == "a"), h = plan.Summary.All.Single(e => e.Id == "h");
        Assert.Equal(0.5 - 0.1, a.ExpectedGain);
        Assert.Equal(0.2 - 0.5, h.ExpectedGain);
        Assert.True(h.Index < 0);
        Assert.False(h.Call);
        Assert.True(a.Call);
        Assert.Equal(0.0, plan.Summary.All.Single(e => e.Id == "k").ExpectedGain);
        Assert.True(plan.Summary.Unused >= 1);
        Assert.Contains($"{plan.Summary.Unused} of the 3 budgeted calls were left unused", RmabPlanResult.BudgetNote(plan.Summary));
        Assert.Contains("--fill-budget", RmabPlanResult.BudgetNote(plan.Summary));
        Assert.Contains(RmabPlanResult.BudgetNote(plan.Summary), plan.ToReport().Body.OfType<ParagraphBlock>().Select(p => p.Markdown));
    }

    // Catches (Stryker survivors, docs/mutation-testing.md): a zero index treated as negative (the rule drops negative
    // indices only), the budget notes counting zero or positive indices as negative, the PPO note and the all-non-negative
    // note never reached, and the non-indexable list built from the indexable rows.
    [Fact]
    public void AZeroIndex_IsCalled_AndTheBudgetNotesCountOnlyNegativeIndices()
    {
        // a, b: a call lifts engagement; h: a call lowers it; k: a call changes nothing (gain 0, index 0).
        string path = Write("z.csv", Header + "\na,0,0.1,0.6,0.5,0.8\nb,0,0.2,0.6,0.7,0.8\nh,0,0.5,0.7,0.2,0.4\nk,1,0.3,0.9,0.3,0.9\n");
        RmabPlanResult plan = Plan(path, 4);
        PlanEntry k = plan.Summary.All.Single(e => e.Id == "k");
        Assert.Equal(0.0, k.Index);
        Assert.True(k.Call);
        Assert.Equal(["a", "b", "k"], plan.Summary.Calls.Select(e => e.Id).Order().ToArray());
        Assert.Equal(1, plan.Summary.Unused);
        Assert.Equal("1 of the 4 budgeted calls were left unused: only 3 beneficiaries have a non-negative Whittle index, and for the others a call "
            + "is worth less than no call under this reward even at no cost (most often because it lowers their chance of engaging). --fill-budget calls them anyway.",
            RmabPlanResult.BudgetNote(plan.Summary));
        PlanSummary filled = Plan(path, 4, fill: true).Summary;
        Assert.Equal("The budget was filled (--fill-budget): 1 of the calls go to beneficiaries with a negative Whittle index, for whom a call is worth "
            + "less than no call under this reward.", RmabPlanResult.BudgetNote(filled));
        Assert.Equal("1 of the calls have a negative PPO index (log-odds of P(call) below 0): a PPO plan always fills the budget.",
            RmabPlanResult.BudgetNote(filled with { Planner = RmabPlanners.Ppo }));
        Assert.Equal("All 3 calls go to beneficiaries with a non-negative index.", RmabPlanResult.BudgetNote(Plan(path, 3).Summary));
        Assert.Equal("rmab plan", plan.Summary.Command);
        Assert.Equal(plan.Summary.All.Where(e => !e.Indexable).Select(e => e.Id).ToArray(), plan.Summary.NonIndexable);
        Assert.Equal("summary", Assert.Throws<ArgumentNullException>(() => RmabPlanResult.BudgetNote(null!)).ParamName);
    }

    [Fact]
    public void ExpectedGain_IsTheOneStepDifference_ForEveryRow()
    {
        // Bug caught: the gain read for the wrong state or with the actions swapped.
        var (csv, arms, states) = Synthetic(50, 11);
        RmabPlanResult plan = Plan(Write("r.csv", csv), 10);
        foreach (PlanEntry e in plan.Summary.All)
        {
            int i = int.Parse(e.Id[1..], CultureInfo.InvariantCulture);
            double expected = states[i] == 0 ? arms[i].Active0 - arms[i].Passive0 : arms[i].Active1 - arms[i].Passive1;
            Assert.Equal(expected, e.ExpectedGain);
        }
    }

    [Fact]
    public void UnderTheEngagementReward_TheIndexHasTheSignOfTheGain_WhenEngagedIsSticky()
    {
        // docs/rmab-plan.md: d_s(0) = −γ·gain·(V*_1 − V*_0), so with V*_1 > V*_0 (engagement persists under either
        // action, as in these arms) W < 0 exactly when a call lowers engagement. Bug caught: a gain of the wrong sign
        // or state, or an index read for the other state.
        var (csv, _, _) = Synthetic(300, 17);
        RmabPlanResult plan = Plan(Write("r.csv", csv), 10);
        int checkedRows = 0;
        foreach (PlanEntry e in plan.Summary.All.Where(e => e.Indexable && Math.Abs(e.ExpectedGain) > 1e-6))
        {
            Assert.True(Math.Sign(e.Index) == Math.Sign(e.ExpectedGain), $"{e.Id}: index {e.Index}, gain {e.ExpectedGain}");
            checkedRows++;
        }
        Assert.True(checkedRows > 250, $"only {checkedRows} rows checked");
        Assert.Contains(plan.Summary.All, e => e.Index < 0);
    }

    [Fact]
    public void Utf16FileWithABom_ReadsLikeTheUtf8File()
    {
        var (csv, _, _) = Synthetic(20, 19);
        var a = ArmFiles.ReadBeneficiaries(Write("u8.csv", csv)).Rows.Select(r => (r.Id, r.State, r.Dynamics));
        var b = ArmFiles.ReadBeneficiaries(Write("u16.csv", csv, Encoding.Unicode)).Rows.Select(r => (r.Id, r.State, r.Dynamics));
        Assert.Equal(a, b);
    }

    [Fact]
    public void FillBudget_WithPpo_IsRefused_NamingTheField()
    {
        var options = new RmabPlanOptions { ArmsFile = "x.csv", Budget = 1, Expression = "state", Planner = "ppo", FillBudget = true };
        Assert.Equal(nameof(RmabPlanOptions.FillBudget), Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    private const string WithExtras =
        "name,id,state,p01_passive,p11_passive,p01_active,p11_active,age_51_60,village,note\n" +
        "\"Patil, A. \"\"Asha\"\"\",a,0,0.1,0.6,0.5,0.8,1,पुणे, spaced \n" +
        "Meera,b,1,0.2,0.7,0.3,0.9,0,\"Kurla, East\",\"two\nlines\"\n" +
        "\"\",c,0,0.3,0.5,0.1,0.4,1,,x\n";

    [Fact]
    public void ExtraColumns_AreCarried_InFileOrderAndText()
    {
        // Bugs caught: an extra column refused (the old reader), dropped, reordered, trimmed or unquoted wrongly.
        BeneficiaryFile file = ArmFiles.ReadBeneficiaries(Write("x.csv", WithExtras));
        Assert.Equal(["name", "village", "note"], file.Extras);
        Assert.Equal([Features.IndexOfColumn("age_51_60")], file.FeatureColumns);
        Assert.Equal(["Patil, A. \"Asha\"", "पुणे", " spaced "], file.Rows[0].Extra);
        Assert.Equal(["Meera", "Kurla, East", "two\nlines"], file.Rows[1].Extra);
        Assert.Equal(["", "", "x"], file.Rows[2].Extra);

        RmabPlanResult plan = Plan(Path.Combine(_dir, "x.csv"), 2);
        RowTable csv = Assert.IsType<RowTable>(Assert.Single(plan.ToReport().Files));
        Assert.Equal(["id", "rank", "call", "whittle_index", "expected_gain", "state", "indexable", "name", "village", "note"], csv.Headers);
        foreach (IReadOnlyList<object?> row in csv.Rows)
        {
            BeneficiaryRow source = file.Rows.Single(r => r.Id == (string)row[0]!);
            Assert.Equal(source.Extra, row.Skip(7).Cast<string>());
        }
        Assert.Equal(["name", "village", "note"], plan.Summary.ExtraColumns);
    }

    [Fact]
    public void SemicolonTabAndBomFiles_GiveTheSamePlan_AsTheCommaFile()
    {
        // Bug caught: a semicolon export read as one column ("missing column state"), or a BOM glued to "id".
        var (csv, _, _) = Synthetic(40, 13);
        string comma = Write("comma.csv", csv);
        string semicolon = Write("semi.csv", csv.Replace(',', ';'));
        string tab = Write("tab.tsv", csv.Replace(',', '\t'));
        string bom = Write("bom.csv", csv, new UTF8Encoding(true));
        string crlf = Write("crlf.csv", csv.Replace("\n", "\r\n"));
        Assert.Equal(0xEF, File.ReadAllBytes(bom)[0]);
        var reference = Plan(comma, 20).Summary.All.Select(e => (e.Id, e.Rank, e.Index, e.Call, e.ExpectedGain)).ToArray();
        foreach (string path in new[] { semicolon, tab, bom, crlf })
            Assert.Equal(reference, Plan(path, 20).Summary.All.Select(e => (e.Id, e.Rank, e.Index, e.Call, e.ExpectedGain)));
    }

    [Fact]
    public void SemicolonFile_WithQuotedSemicolonsAndExtras_ReadsLikeTheCommaFile()
    {
        string comma = Write("c.csv", WithExtras);
        string semi = Write("s.csv", WithExtras.Replace(",", ";"));
        BeneficiaryFile a = ArmFiles.ReadBeneficiaries(comma), b = ArmFiles.ReadBeneficiaries(semi);
        Assert.Equal(a.Rows.Select(r => (r.Id, r.State, r.Dynamics)), b.Rows.Select(r => (r.Id, r.State, r.Dynamics)));
        Assert.Equal(["Patil; A. \"Asha\"", "पुणे", " spaced "], b.Rows[0].Extra);
    }

    [Theory]
    [InlineData(Header + ",age_51_6\na,0,0.1,0.2,0.3,0.5,1\n", "row 1 (header), field age_51_6: looks like a feature but is not one; the features are gestational_age")]
    [InlineData(Header + ",f43\na,0,0.1,0.2,0.3,0.5,1\n", "field f43: looks like a feature but is not one")]
    [InlineData(Header + ",rank\na,0,0.1,0.2,0.3,0.5,1\n", "field rank: plan.csv writes a column of this name")]
    [InlineData(Header + ",name,Name\na,0,0.1,0.2,0.3,0.5,x,y\n", "field Name: appears twice (columns 7 and 8)")]
    [InlineData(Header + ",,x\na,0,0.1,0.2,0.3,0.5,1,2\n", "field 7: empty column name")]
    [InlineData(Header + "\na,0,0.1,0.2,0.3\n", "row 2: 5 fields, the header has 6 (separator ',')")]
    [InlineData("id;state;p01_passive;p11_passive;p01_active;p11_active\na;0;0,1;0,2;0,3;0,5\n", "row 2, field p01_passive: '0,1' is not a number (a decimal comma? write 0.1)")]
    [InlineData("id state p01_passive\na 0 0.1\n", "row 1 (header), field id: missing column; required: id, state, p01_passive, p11_passive, p01_active, p11_active (the header was read with separator ',' as 1 column: id state p01_passive)")]
    [InlineData(Header + "\na,0,0.1,0.2,0.3,0.5\n\"b,1,0.1,0.2,0.3,0.5\n", "row 3: not valid CSV")]
    [InlineData("", "empty file")]
    public void BadFiles_AreOneLine_NamingFileRowAndField(string text, string message)
    {
        string path = Write("bad.csv", text);
        var ex = Assert.Throws<FormatException>(() => ArmFiles.ReadBeneficiaries(path));
        Assert.StartsWith(path + ": ", ex.Message);
        Assert.Contains(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void FeatureColumns_ByAnyAcceptedName_AreRead_AndTheRestIsExtra()
    {
        // Every one of the 43 names (any case) is a feature, never an extra column.
        string header = Header + "," + string.Join(",", Features.ColumnNames.Select((n, i) => i % 2 == 0 ? n.ToUpperInvariant() : n)) + ",phone";
        string row = "a,0,0.1,0.2,0.3,0.5," + string.Join(",", Enumerable.Range(0, Features.Count).Select(i => (i + 1).ToString(CultureInfo.InvariantCulture))) + ",+91 1";
        BeneficiaryFile file = ArmFiles.ReadBeneficiaries(Write("all.csv", header + "\n" + row + "\n"));
        Assert.Equal(Enumerable.Range(0, Features.Count), file.FeatureColumns);
        Assert.Equal(Enumerable.Range(1, Features.Count).Select(i => (double)i), file.Rows[0].Features);
        Assert.Equal(["phone"], file.Extras);
        Assert.Equal(["+91 1"], file.Rows[0].Extra);
    }
}
