using Tandem.Gambit.Bank;
using Tandem.Gambit.Environment;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;

namespace Tandem.Llm.Tests.Gambit;

public class AuthorsOrientationTests
{
    [Fact]
    public async Task AModelRatedBank_StoresOptimismOnTheAuthorsAxis_SoTheOutcomeRewardsTheOptimisticMessage()
    {
        // Catches the unmapped convention: the rater's 9 ("very optimistic") stored as 9 reads, in the authors' outcome
        // 82.7949 − 0.1396·optimism, as strong pessimism and is penalised.
        var encoder = new ByPromptEncoder();
        GeneratedMessages messages = await BankBuilder.GenerateAsync(new MessageGenerator(BankBuilderTests.Model((system, user, seed) => user.Contains("pessimistic", StringComparison.Ordinal) ? $"A gloomy note {seed}." : $"A cheerful note {seed}."), new Middleware.LlmLedger()),
            [new StylePrompt("optimism", true), new StylePrompt("optimism", false)], new BankBuildOptions { PerCell = 1 });
        ResponseBank bank = (await BankBuilder.EncodeAsync(messages, encoder, new BankBuildOptions { PerCell = 1 })).Bank!;
        var x = new GambitContext(0);
        Assert.Equal(10 - 9.0, bank.Response(0, x, 0)[0]); // optimism, reversed
        Assert.Equal(4.0, bank.Response(0, x, 0)[1]);      // formality, as rated

        GambitWorld world = GambitWorld.Create(bank, LinearOutcomeModel.OneD(), [StyleDimensions.Optimism], 2);
        int high = world.Bank.Prompts.ToList().IndexOf("optimism:high"), low = world.Bank.Prompts.ToList().IndexOf("optimism:low");
        Assert.True(world.ExpectedReward(high, x) > world.ExpectedReward(low, x), "the optimistic prompt must earn more, as in the paper");
        Assert.Equal(82.7949 - 0.1396 * 1, world.ExpectedReward(high, x), 10);
    }

    [Fact]
    public void ToAuthors_ReversesOnlyOptimism_AndRefusesAScoreCountThatDoesNotMatch()
    {
        Assert.Equal([10 - 7.5, 2.5, 0], AuthorsOrientation.ToAuthors(["Optimism", "formality", "encouragement"], [7.5, 2.5, 0]));
        var ex = Assert.Throws<ArgumentException>(() => AuthorsOrientation.ToAuthors(["optimism"], [1, 2]));
        Assert.Equal("ratings", ex.ParamName);
    }

    // Rates a cheerful message (generated for optimism:high) 9 on optimism, a gloomy one 1; formality 4.
    private sealed class ByPromptEncoder : IStyleEncoder
    {
        public IReadOnlyList<string> Dimensions => [StyleDimensions.Optimism, StyleDimensions.Formality];

        public Task<StyleScores> EncodeAsync(string message, int variant, CancellationToken cancellationToken = default) =>
            Task.FromResult(StyleScores.Of([message.Contains("cheerful", StringComparison.Ordinal) ? 9 : 1, 4]));
    }
}
