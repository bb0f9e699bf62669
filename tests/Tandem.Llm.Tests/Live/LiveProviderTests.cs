using Tandem.Core.Ports;
using Microsoft.Extensions.AI;
using Tandem.Llm.Dlm;
using Tandem.Llm.Libra;
using Tandem.Llm.Middleware;
using Tandem.Llm.Providers;
using Tandem.Recourse.Advisors;
using Tandem.Rmab.Dlm;
using Tandem.Rmab.Rewards;
using Tandem.Testing;
using Xunit.Abstractions;

namespace Tandem.Llm.Tests.Live;

/// <summary>Against a real model, named by TANDEM_LIVE_LLM (skipped otherwise). They check that the real answers
/// flow through the ports: usable advice or a categorized fallback, never an exception, and no key in the audit.</summary>
public sealed class LiveProviderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tandem-live-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private (IChatClient Client, LlmLedger Ledger, string Audit) Create()
    {
        Directory.CreateDirectory(_dir);
        var ledger = new LlmLedger();
        string audit = Path.Combine(_dir, "audit.jsonl");
        IChatClient client = LlmClients.Create(LlmSpec.Parse(LiveLlmFactAttribute.Spec!), ledger, new LlmClientOptions
        {
            Resilience = new ResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(120), MaxRetries = 1 },
            AuditPath = audit,
        });
        return (client, ledger, audit);
    }

    // The named endpoint must answer (a timeout or HTTP failure fails the test); what it answers may still be unusable.
    private static readonly string[] Categories = [FallbackReasons.Parse, FallbackReasons.Infeasible, FallbackReasons.Refused];

    [LiveLlmFact]
    public async Task LibraAdvisor_RealModel_GivesAdviceOrACategorizedFallback()
    {
        var (client, ledger, audit) = Create();
        var advisor = new LlmRecourseAdvisor(client, ledger, LiveLlmFactAttribute.Spec!);
        PortAnswer<Advice> advice = await advisor.AdviseAsync(new AdviceRequest(AdviceParserTests.Problem, (double[])AdviceParserTests.Patient.Clone()));
        output.WriteLine($"{(advice.IsGiven ? "given" : "abstained")} arm {(advice.IsGiven ? advice.Value.Arm : -1)} reason {advice.Reason}; calls {ledger.Calls}, tokens {ledger.PromptTokens}+{ledger.CompletionTokens}, {ledger.MeanLatencyMs:F0} ms");
        Assert.True(ledger.Calls >= 1);
        if (!advice.IsGiven) Assert.Contains(FallbackReasons.Category(advice.Reason), Categories);
        AssertNoKey(audit);
    }

    [LiveLlmFact]
    public async Task DlmDesigner_RealModel_ProposesAnExpressionTheSandboxJudges()
    {
        var (client, ledger, audit) = Create();
        DlmTaskSet tasks = DlmTaskSet.Load(Path.Combine(AppContext.BaseDirectory, "data", "dlm", "tasks.json"));
        var designer = new LlmRewardDesigner(client, ledger, LiveLlmFactAttribute.Spec!);
        PortAnswer<RewardProposal> proposal = await designer.ProposeAsync(new ProposalRequest(tasks.Tasks[0], 0, 0, [], [], 1));
        output.WriteLine(!proposal.IsGiven ? "abstained: " + proposal.Reason : "proposed: " + proposal.Value.Expression);
        if (!proposal.IsGiven) Assert.Contains(FallbackReasons.Category(proposal.Reason), Categories);
        else output.WriteLine(RewardSandbox.TryParse(proposal.Value.Expression, out _, out string? refusal) ? "sandbox: accepted" : "sandbox: " + refusal);
        AssertNoKey(audit);
    }

    private static void AssertNoKey(string audit)
    {
        string? key = ApiKeys.Find();
        if (key is not null && File.Exists(audit)) Assert.DoesNotContain(key, File.ReadAllText(audit));
    }
}
