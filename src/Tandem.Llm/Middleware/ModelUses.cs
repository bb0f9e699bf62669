using Tandem.Core.Reports;

namespace Tandem.Llm.Middleware;

/// <summary>A ledger's counts as the summaries' <c>llm</c> object (<see cref="ModelUse"/>).</summary>
public static class ModelUses
{
    /// <summary>From one ledger.</summary>
    public static ModelUse From(LlmLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return new ModelUse(ledger.Calls, ledger.PromptTokens, ledger.CompletionTokens, ledger.CacheHits, ledger.Fallbacks, ledger.MeanLatencyMs);
    }

    /// <summary>The sum over several ledgers (mean latency weighted by calls); null when there are none.</summary>
    public static ModelUse? Sum(IEnumerable<LlmLedger> ledgers)
    {
        ArgumentNullException.ThrowIfNull(ledgers);
        ModelUse[] parts = ledgers.Select(From).ToArray();
        if (parts.Length == 0) return null;
        if (parts.Length == 1) return parts[0];
        var fallbacks = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (reason, n) in parts.SelectMany(p => p.Fallbacks)) fallbacks[reason] = fallbacks.GetValueOrDefault(reason) + n;
        long calls = parts.Sum(p => p.Calls);
        double latency = calls == 0 ? double.NaN : parts.Where(p => p.Calls > 0).Sum(p => p.MeanLatencyMs * p.Calls) / calls;
        return new ModelUse(calls, parts.Sum(p => p.PromptTokens), parts.Sum(p => p.CompletionTokens), parts.Sum(p => p.CacheHits), fallbacks, latency);
    }
}
