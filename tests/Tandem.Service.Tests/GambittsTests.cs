using System.Text.Json;
using Tandem.Service.Studies;

namespace Tandem.Service.Tests;

public sealed class GambittsTests
{
    private const string Fo = """{"id":"fo","kind":"gambitts-fo","arms":["warm","direct"],"options":{"seed":3,"contexts":["home","work"],"styles":["warmth","length"],"propensityDraws":50}}""";

    private const string Po = """
        {"id":"po","kind":"gambitts-po","arms":["warm","direct"],"options":{"seed":3,"contexts":["home","work"],"styles":["warmth","length"],"offlineDraws":40,"propensityDraws":50,
         "bank":[[[[0.9,0.2],[0.8,0.3]],[[0.7,0.1]]],[[[0.1,0.9]],[[0.2,0.8],[0.3,0.7]]]]}}
        """;

    [Theory]
    [InlineData(Fo, "fo")]
    [InlineData(Po, "po")]
    public async Task Gambitts_DecidesWithEstimatedPropensities_NeedsTheStyleScoresWithTheReward_AndSurvivesARestart(string spec, string id)
    {
        await using var service = await TestService.StartAsync(new ServiceOptions { Writer = new WriterOptions { SnapshotEvery = 3 } });
        string key = await service.CreateStudyAsync(spec);
        var client = service.ClientWith(key);
        var d = await client.PostAsync($"/v1/studies/{id}/decisions", """{"context":"work"}""");
        Assert.Equal(200, d.Status);
        Assert.Contains("propensity-estimated", d.Body.GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(1.0, d.Body.GetProperty("probabilities").EnumerateArray().Sum(p => p.GetDouble()), 12);
        Assert.Equal(50, d.Body.GetProperty("payload").GetProperty("propensityDraws").GetInt32());

        var missing = await client.PostAsync($"/v1/studies/{id}/rewards", """{"decisionId":"1","reward":1}""");
        Assert.Equal(400, missing.Status);
        Assert.Equal("realizedContext", missing.Body.GetProperty("field").GetString());
        Assert.Equal("context", (await client.PostAsync($"/v1/studies/{id}/decisions", """{"context":"gym"}""")).Body.GetProperty("field").GetString());

        var rng = new Random(5);
        Assert.Equal(200, (await client.PostAsync($"/v1/studies/{id}/rewards", """{"decisionId":"1","reward":1,"realizedContext":[0.5,0.5]}""")).Status);
        for (int i = 2; i <= 9; i++)
        {
            await client.PostAsync($"/v1/studies/{id}/decisions", $$"""{"context":"{{(i % 2 == 0 ? "home" : "work")}}"}""");
            if (i % 3 != 0)
                await client.PostAsync($"/v1/studies/{id}/rewards", $$"""{"decisionId":"{{i}}","reward":{{rng.Next(10)}},"realizedContext":[{{rng.NextDouble():0.##}},{{rng.NextDouble():0.##}}]}""");
        }
        string live = (await client.GetAsync2($"/v1/studies/{id}/snapshot")).Text;
        await service.RestartAsync();
        Assert.Equal(live, (await service.ClientWith(key).GetAsync2($"/v1/studies/{id}/snapshot")).Text);
    }

    [Theory]
    [InlineData("""{"id":"x","kind":"gambitts-fo","arms":["a"],"options":{}}""", "options.styles")]
    [InlineData("""{"id":"x","kind":"gambitts-po","arms":["a","b"],"options":{"styles":["s"],"bank":[[[[1]]]]}}""", "options.bank")]
    [InlineData("""{"id":"x","kind":"gambitts-po","arms":["a"],"options":{"styles":["s"],"bank":[[[]]]}}""", "options.bank[0][0]")]
    [InlineData("""{"id":"x","kind":"gambitts-po","arms":["a"],"options":{"styles":["s"],"bank":[[[[1,2]]]]}}""", "options.bank[0][0][0]")]
    public async Task BadGambittsSpec_Is400NamingTheField(string body, string field)
    {
        await using var service = await TestService.StartAsync();
        var response = await service.ClientWith(TestService.AdminKeyText).PostAsync("/v1/studies", body);
        Assert.Equal(400, response.Status);
        Assert.Equal(field, response.Body.GetProperty("field").GetString());
    }
}
