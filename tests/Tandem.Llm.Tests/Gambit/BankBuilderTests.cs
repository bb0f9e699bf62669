using Microsoft.Extensions.AI;
using Tandem.Gambit.Bank;
using Tandem.Gambit.Model;
using Tandem.Llm.Gambit;
using Tandem.Llm.Middleware;
using Tandem.Testing;

namespace Tandem.Llm.Tests.Gambit;

public class BankBuilderTests
{
    private static readonly StylePrompt[] TwoPrompts = [new("optimism", true), new("optimism", false)];

    internal static ScriptedChatClient Model(Func<string, string, long?, string?>? overrideAnswer = null) =>
        new((messages, options, _) =>
        {
            string system = messages[0].Text, user = messages[^1].Text;
            string answer = overrideAnswer?.Invoke(system, user, options?.Seed) ?? ScriptedGambitModel.Answer(system, user, options?.Seed);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 20 } });
        });

    private static async Task<BankBuildResult> Build(IChatClient client, LlmLedger ledger, BankBuildOptions options, IReadOnlyList<StylePrompt>? prompts = null)
    {
        var generator = new MessageGenerator(client, ledger);
        GeneratedMessages messages = await BankBuilder.GenerateAsync(generator, prompts ?? TwoPrompts, options);
        return await BankBuilder.EncodeAsync(messages, new RatingEncoder(client, ledger, StyleDimensions.All), options);
    }

    [Fact]
    public async Task Build_FillsEveryCell_WithScoredTexts_ThatBankCsvReadsBack()
    {
        var ledger = new LlmLedger();
        ScriptedChatClient model = Model();
        BankBuildResult result = await Build(new AccountingChatClient(model, ledger), ledger, new BankBuildOptions { PerCell = 2 });

        ResponseBank bank = Assert.IsType<ResponseBank>(result.Bank);
        Assert.Empty(result.Missing);
        Assert.Equal(["optimism:high", "optimism:low"], bank.Prompts);
        Assert.Equal(StyleDimensions.All, bank.Dimensions);
        Assert.Equal(48, result.Encoded);
        Assert.Equal(96, model.Calls); // 48 generations + 48 ratings
        Assert.Equal(96, ledger.Calls);
        for (int p = 0; p < 2; p++)
        {
            for (int c = 0; c < GambitContext.Count; c++)
            {
                var context = new GambitContext(c);
                Assert.Equal(2, bank.ResponseCount(p, context));
                string text = bank.Text(p, context, 0)!;
                Assert.StartsWith("Walk a little more today", text);
                Assert.Equal(ScriptedGambitModel.Rating(text, 3), bank.Response(p, context, 0)[3]);
            }
        }
        Assert.NotEqual(bank.Text(0, new GambitContext(0), 0), bank.Text(0, new GambitContext(0), 1)); // distinct seeds, distinct draws

        var csv = new StringWriter();
        GeneratedBankCsv.Write(bank, csv);
        ResponseBank back = BankCsv.Parse(new StringReader(csv.ToString()), "bank.csv");
        Assert.Equal(bank.Prompts, back.Prompts);
        Assert.Equal(bank.Dimensions, back.Dimensions);
        for (int c = 0; c < GambitContext.Count; c++)
        {
            var context = new GambitContext(c);
            Assert.Equal(bank.Cell(1, context, out _).ToArray(), back.Cell(1, context, out _).ToArray());
            Assert.Equal(bank.Text(1, context, 1), back.Text(1, context, 1));
        }
    }

    [Fact]
    public async Task Build_IsTheSame_WhateverTheParallelism()
    {
        BankBuildResult serial = await Build(Model(), new LlmLedger(), new BankBuildOptions { PerCell = 2, MaxParallel = 1 });
        BankBuildResult parallel = await Build(Model(), new LlmLedger(), new BankBuildOptions { PerCell = 2, MaxParallel = 32 });
        var a = new StringWriter();
        var b = new StringWriter();
        GeneratedBankCsv.Write(serial.Bank!, a);
        GeneratedBankCsv.Write(parallel.Bank!, b);
        Assert.Equal(a.ToString(), b.ToString());
    }

    [Fact]
    public async Task FailedFirstAttempts_AreRetriedWithNewSeeds_AndCounted()
    {
        var firstSeeds = new HashSet<long>();
        foreach (StylePrompt p in TwoPrompts)
            for (int c = 0; c < GambitContext.Count; c++)
                for (int i = 0; i < 2; i++) firstSeeds.Add(BankBuilder.SamplingSeed(1, p, new GambitContext(c), i, 0));
        var ledger = new LlmLedger();
        // Generation answers nothing on every first attempt; ratings fail with NaN on their first attempt.
        ScriptedChatClient model = Model((system, user, seed) =>
            ScriptedGambitModel.IsRating(system) ? (seed == 0 ? "{\"optimism\": NaN}" : null) : firstSeeds.Contains(seed!.Value) ? "" : null);
        BankBuildResult result = await Build(model, ledger, new BankBuildOptions { PerCell = 2 });

        Assert.NotNull(result.Bank);
        Assert.Equal(48, result.Encoded);
        Assert.Equal(48, ledger.Fallbacks["refused"]);
        Assert.Equal(48, ledger.Fallbacks["parse"]);
        Assert.Equal(4 * 48, model.Calls);
    }

    [Fact]
    public async Task ACellWhoseEveryAttemptFails_GivesNoBank_AndNamesTheCell()
    {
        var ledger = new LlmLedger();
        ScriptedChatClient model = Model((system, user, _) =>
            !ScriptedGambitModel.IsRating(system) && user.Contains("mildly pessimistic", StringComparison.Ordinal) && user.Contains("0-4,999", StringComparison.Ordinal) && user.Contains("at home", StringComparison.Ordinal)
                ? "I'm sorry, I can't write that." : null);
        BankBuildResult result = await Build(model, ledger, new BankBuildOptions { PerCell = 2, MaxAttempts = 3 });

        Assert.Null(result.Bank);
        MissingCell missing = Assert.Single(result.Missing);
        Assert.Equal("optimism:low", missing.Prompt);
        Assert.Equal("home:1", missing.Context);
        Assert.StartsWith("refused", missing.LastReason);
        Assert.Equal(6, ledger.Fallbacks["refused"]); // 2 slots × 3 attempts
    }

    [Fact]
    public async Task ScoresOfTheWrongLength_AreNeverPutInTheBank()
    {
        var encoder = new FixedEncoder(["optimism", "formality"], [1.0]);
        GeneratedMessages messages = await BankBuilder.GenerateAsync(new MessageGenerator(Model(), new LlmLedger()), [TwoPrompts[0]], new BankBuildOptions { PerCell = 1 });
        BankBuildResult result = await BankBuilder.EncodeAsync(messages, encoder, new BankBuildOptions { PerCell = 1, MaxAttempts = 2 });
        Assert.Null(result.Bank);
        Assert.Equal(12, result.Missing.Count);
        Assert.Equal(24, encoder.Calls);
    }

    [Fact]
    public void Options_OutOfRange_NameTheOption()
    {
        Assert.Equal("PerCell", Assert.Throws<ArgumentOutOfRangeException>(() => new BankBuildOptions { PerCell = 0 }.Validate()).ParamName);
        Assert.Equal("MaxAttempts", Assert.Throws<ArgumentOutOfRangeException>(() => new BankBuildOptions { MaxAttempts = 11 }.Validate()).ParamName);
        Assert.Equal("MaxParallel", Assert.Throws<ArgumentOutOfRangeException>(() => new BankBuildOptions { MaxParallel = 0 }.Validate()).ParamName);
    }

    private sealed class FixedEncoder(IReadOnlyList<string> dimensions, double[] scores) : IStyleEncoder
    {
        public int Calls;

        public IReadOnlyList<string> Dimensions => dimensions;

        public Task<StyleScores> EncodeAsync(string message, int variant, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(StyleScores.Of(scores));
        }
    }
}
