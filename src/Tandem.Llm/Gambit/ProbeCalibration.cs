using Microsoft.Extensions.AI;
using Tandem.Llm.Middleware;

namespace Tandem.Llm.Gambit;

/// <summary>
/// Fits the embedding encoder's probe. The labels come from a labeller encoder — in the CLI the
/// <see cref="RatingEncoder"/> (the model rates each message 0–10 per dimension) — on a calibration subset of the
/// generated messages; the probe then scores every message from its embedding alone, on the rating scale. A message
/// whose rating or embedding fails after the retry bound is left out of the fit; fewer than
/// <see cref="MinimumLabelled"/> usable messages stop the build (<see cref="BankSetupException"/>): a probe fitted on
/// almost nothing would fabricate scores.
/// </summary>
public static class ProbeCalibration
{
    /// <summary>Fewest labelled messages a probe is fitted on.</summary>
    public const int MinimumLabelled = 8;

    /// <summary>The default ridge ratio of <see cref="LinearProbe.ScaledLambda"/>.</summary>
    public const double DefaultRidge = 0.1;

    /// <summary>Label and embed <paramref name="messages"/>, fit the probe, and return the encoder built on it.
    /// <paramref name="progress"/> is called once per message done.</summary>
    public static async Task<EmbeddingProbeEncoder> FitAsync(IEmbeddingGenerator<string, Embedding<float>> embeddings, IStyleEncoder labeller,
        IReadOnlyList<string> messages, LlmLedger ledger, int maxAttempts = 3, double ridge = DefaultRidge, Action? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labeller);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(ledger);
        if (maxAttempts is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(maxAttempts), maxAttempts, "Attempts must lie in 1-10.");
        int d = labeller.Dimensions.Count;
        var rows = new (float[]? Vector, double[]? Labels)[messages.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, messages.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            double[]? labels = null;
            for (int attempt = 0; attempt < maxAttempts && labels is null; attempt++)
                labels = (await labeller.EncodeAsync(messages[i], attempt, ct).ConfigureAwait(false)).Scores;
            float[]? vector = null;
            if (labels is not null)
            {
                for (int attempt = 0; attempt < maxAttempts && vector is null; attempt++)
                    vector = (await EmbeddingProbeEncoder.EmbedAsync(embeddings, ledger, messages[i], ct).ConfigureAwait(false)).Vector;
            }
            rows[i] = (vector, labels);
            progress?.Invoke();
        }).ConfigureAwait(false);

        var usable = rows.Where(r => r.Vector is not null && r.Labels is not null).ToArray();
        if (usable.Length < MinimumLabelled)
            throw new BankSetupException($"only {usable.Length} of {messages.Count} calibration messages were both rated and embedded; the probe needs at least {MinimumLabelled}.");
        int e = usable[0].Vector!.Length;
        if (usable.Any(r => r.Vector!.Length != e))
            throw new BankSetupException("the embedding model returned vectors of different lengths; cannot fit one probe.");
        var x = new double[usable.Length * e];
        var y = new double[usable.Length * d];
        for (int i = 0; i < usable.Length; i++)
        {
            for (int j = 0; j < e; j++) x[i * e + j] = usable[i].Vector![j];
            Array.Copy(usable[i].Labels!, 0, y, i * d, d);
        }
        LinearProbe probe = LinearProbe.Fit(x, y, usable.Length, LinearProbe.ScaledLambda(x, usable.Length, ridge));
        return new EmbeddingProbeEncoder(embeddings, probe, labeller.Dimensions, ledger);
    }
}
