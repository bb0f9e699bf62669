using System.Text.Json;
using Tandem.Core.Randomness;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

public sealed class WhittleTests
{
    private static readonly string[] Names = ["ann", "bo", "cy", "di", "ed"];
    private static readonly string[] Groups = ["a", "a", "a", "b", "b"];
    private const double Kappa = 3.0;
    private const int Budget = 2;

    private static string Spec(string id, ulong seed) =>
        $$$"""{"id":"{{{id}}}","kind":"whittle","arms":["ann","bo","cy","di","ed"],"options":{"seed":{{{seed}}},"budget":{{{Budget}}},"discount":0.9,"priorStrength":{{{Kappa}}},"groups":["a","a","a","b","b"]}}""";

    // The programme the test runs against: each beneficiary's true P(engaged next | state, action). The service never sees it.
    private static readonly ArmDynamics[] Truth =
    [
        new(0.1, 0.6, 0.5, 0.9), new(0.2, 0.5, 0.3, 0.8), new(0.05, 0.7, 0.6, 0.95), new(0.3, 0.4, 0.35, 0.6), new(0.1, 0.8, 0.7, 0.9),
    ];

    [Fact]
    public async Task Whittle_CallsTheBLargestIndices_OfTheTransitionsItObserved_PooledByGroup_AndSurvivesARestart()
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 4 } });
        string key = await service.CreateStudyAsync(Spec("w", 7));
        var client = service.ClientWith(key);
        var rng = new Random(11);
        var visits = new int[5, 4];
        var engaged = new int[5, 4];
        byte[] states = [0, 1, 0, 1, 1];
        (byte[] States, int[] Calls, byte[] Next)? delayed = null;
        for (int step = 1; step <= 8; step++)
        {
            var plan = await client.PostAsync("/v1/studies/w/plan", $$"""{"states":[{{string.Join(',', states)}}],"subject":"week {{step}}"}""");
            Assert.True(plan.Status == 200, plan.Text);
            int[] calls = [.. plan.Body.GetProperty("payload").GetProperty("callIndices").EnumerateArray().Select(c => c.GetInt32())];
            Assert.Equal(Budget, calls.Distinct().Count());
            Assert.Equal(calls.Select(c => Names[c]), plan.Body.GetProperty("payload").GetProperty("calls").EnumerateArray().Select(c => c.GetString()));
            var next = new byte[5];
            for (int i = 0; i < 5; i++)
            {
                int a = calls.Contains(i) ? 1 : 0;
                next[i] = rng.NextDouble() < Truth[i].ToEngaged(states[i], a) ? (byte)1 : (byte)0;
                visits[i, 2 * a + states[i]]++;
                engaged[i, 2 * a + states[i]] += next[i];
            }
            string reward = $$"""{"decisionId":"{{step}}","reward":{{next.Sum(s => s)}},"realizedContext":[{{string.Join(',', next)}}]}""";
            if (step == 3) delayed = (states, calls, next); // rewarded late, after step 5: learning does not depend on arrival order
            else Assert.Equal(200, (await client.PostAsync("/v1/studies/w/rewards", reward)).Status);
            if (step == 5) Assert.Equal(200, (await client.PostAsync("/v1/studies/w/rewards", $$"""{"decisionId":"3","reward":0,"realizedContext":[{{string.Join(',', delayed!.Value.Next)}}]}""")).Status);
            states = next;
        }

        // The learner's counts are the test's own tallies (pair = 2·action + state).
        string live = (await client.GetAsync2("/v1/studies/w/snapshot")).Text;
        JsonElement data = JsonDocument.Parse(live).RootElement.GetProperty("data");
        for (int i = 0; i < 5; i++)
            for (int p = 0; p < 4; p++)
            {
                Assert.Equal(visits[i, p], data.GetProperty("visits")[i][p].GetInt32());
                Assert.Equal(engaged[i, p], data.GetProperty("engaged")[i][p].GetInt32());
            }

        // The next plan is the Whittle call list of the pooled Beta–Binomial means, computed here by hand: the group's rate
        // m = (E + 1)/(V + 2) over its members, each beneficiary's mean (κ·m + e)/(κ + v).
        var expected = ExpectedPlan(visits, engaged, states, sequence: 9, seed: 7);
        await service.RestartAsync();
        client = service.ClientWith(key);
        Assert.Equal(live, (await client.GetAsync2("/v1/studies/w/snapshot")).Text);
        var after = await client.PostAsync("/v1/studies/w/plan", $$"""{"states":[{{string.Join(',', states)}}]}""");
        Assert.Equal(expected.Where(e => e.Call).Select(e => e.Arm), after.Body.GetProperty("payload").GetProperty("callIndices").EnumerateArray().Select(c => c.GetInt32()));
        var index = after.Body.GetProperty("payload").GetProperty("index");
        foreach (CallListEntry e in expected) Assert.Equal(e.Index, index[e.Arm].GetDouble(), 12);
        Assert.Null(after.Body.GetProperty("propensity").GetString());
    }

    [Fact]
    public async Task SameSeed_SamePlans_TiesIncluded()
    {
        // Before any observation every index is equal, so the call list is the seeded tie-break alone.
        await using var service = await TestService.StartAsync();
        var keys = new[] { await service.CreateStudyAsync(Spec("s1", 21)), await service.CreateStudyAsync(Spec("s2", 21)) };
        var plans = new List<string>();
        for (int s = 0; s < 2; s++)
        {
            var client = service.ClientWith(keys[s]);
            var plan = await client.PostAsync($"/v1/studies/s{s + 1}/plan", """{"states":[1,1,1,1,1],"requestId":"r1"}""");
            var again = await client.PostAsync($"/v1/studies/s{s + 1}/plan", """{"states":[0,0,0,0,0],"requestId":"r1"}""");
            Assert.Equal(plan.Text, again.Text); // the same requestId returns the same plan
            plans.Add(plan.Body.GetProperty("payload").GetProperty("callIndices").GetRawText());
        }
        Assert.Equal(plans[0], plans[1]);
        var expected = ExpectedPlan(new int[5, 4], new int[5, 4], [1, 1, 1, 1, 1], sequence: 1, seed: 21);
        Assert.Equal("[" + string.Join(',', expected.Where(e => e.Call).Select(e => e.Arm)) + "]", plans[0]);
    }

    [Theory]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{}}""", "options.budget")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{"budget":3}}""", "options.budget")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"features":["f"],"options":{"budget":1}}""", "features")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{"budget":1,"groups":["g"]}}""", "options.groups")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{"budget":1,"discount":1}}""", "options.discount")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{"budget":1,"safeDefault":"a"}}""", "options.safeDefault")]
    [InlineData("""{"id":"x","kind":"whittle","arms":["a","b"],"options":{"budget":1,"stateRewards":[0]}}""", "options.stateRewards")]
    public async Task BadWhittleSpec_Is400NamingTheField(string body, string field)
    {
        await using var service = await TestService.StartAsync();
        var response = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", body);
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task BadPlanRequests_Are400NamingTheField_AndChangeNothing()
    {
        await using var service = await TestService.StartAsync();
        string key = await service.CreateStudyAsync(Spec("w", 3));
        string other = await service.CreateStudyAsync("""{"id":"lin","kind":"linucb","arms":["a","b"],"features":["f"]}""");
        var client = service.ClientWith(key);
        string before = (await client.GetAsync2("/v1/studies/w/snapshot")).Text;
        (string Path, string Body, string Field)[] cases =
        [
            ("/v1/studies/w/plan", """{"states":[0,1]}""", "states"),
            ("/v1/studies/w/plan", """{"states":[0,2,0,0,0]}""", "states[1]"),
            ("/v1/studies/w/plan", """{"states":{"ann":0,"bo":0,"cy":0,"di":0,"zed":1}}""", "states.zed"),
            ("/v1/studies/w/plan", """{"states":{"ann":0,"bo":0,"cy":0,"di":0}}""", "states.ed"),
            ("/v1/studies/w/plan", """{}""", "states"),
            ("/v1/studies/w/decisions", """{"context":[0,0,0,0,0]}""", "$"),
        ];
        foreach (var (path, body, field) in cases)
        {
            var response = await client.PostAsync(path, body);
            Assert.True(response.Status == 400, $"{path} {body}: {response.Text}");
            Assert.Equal(field, response.Body.GetProperty("field").GetString());
        }
        Assert.Equal(200, (await client.PostAsync("/v1/studies/w/plan", """{"states":[0,0,0,0,0]}""")).Status);
        var noNext = await client.PostAsync("/v1/studies/w/rewards", """{"decisionId":"1","reward":1}""");
        Assert.Equal("realizedContext", noNext.Body.GetProperty("field").GetString());
        var badNext = await client.PostAsync("/v1/studies/w/rewards", """{"decisionId":"1","reward":1,"realizedContext":[0,0,0,0,0.5]}""");
        Assert.Equal("realizedContext[4]", badNext.Body.GetProperty("field").GetString());
        Assert.Equal(before.Replace("\"nextId\":1,\"pending\":[]", "\"nextId\":2,\"pending\":[1]", StringComparison.Ordinal), (await client.GetAsync2("/v1/studies/w/snapshot")).Text);
        var wrongKind = await service.ClientWith(other).PostAsync("/v1/studies/lin/plan", """{"states":[0]}""");
        Assert.Equal(400, wrongKind.Status);
        Assert.Equal("$", wrongKind.Body.GetProperty("field").GetString());
    }

    private static IReadOnlyList<CallListEntry> ExpectedPlan(int[,] visits, int[,] engaged, byte[] states, long sequence, ulong seed)
    {
        var dynamics = new ArmDynamics[5];
        var mean = new double[5][];
        for (int i = 0; i < 5; i++)
        {
            mean[i] = new double[4];
            for (int p = 0; p < 4; p++)
            {
                long groupVisits = 0, groupEngaged = 0;
                for (int j = 0; j < 5; j++)
                {
                    if (Groups[j] != Groups[i]) continue;
                    groupVisits += visits[j, p];
                    groupEngaged += engaged[j, p];
                }
                double m = (groupEngaged + 1.0) / (groupVisits + 2.0);
                mean[i][p] = (Kappa * m + engaged[i, p]) / (Kappa + visits[i, p]);
            }
            dynamics[i] = new ArmDynamics(mean[i][0], mean[i][1], mean[i][2], mean[i][3]);
        }
        var problem = new PlanningProblem(dynamics, RewardTable.EngagementOnly(5), Budget, 0.9);
        return CallList.Plan(problem, states, Seeds.Derive(seed, sequence), new WhittlePlanner());
    }
}
