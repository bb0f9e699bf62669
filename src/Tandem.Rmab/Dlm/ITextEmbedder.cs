namespace Tandem.Rmab.Dlm;

/// <summary>
/// A sentence-embedding model as the <see cref="EmbeddingDesigner"/> needs it: texts in, one unit-length vector per text
/// out, so that the dot product of two vectors is their cosine similarity. Tandem.Rmab states the need; Tandem.Llm
/// implements it over the in-process model all-MiniLM-L6-v2 (<c>MiniLmTextEmbedder</c>). Deterministic: the same text
/// gives the same vector.
/// </summary>
public interface ITextEmbedder
{
    /// <summary>Short name of the model, also the designer's name in outputs, e.g. "minilm".</summary>
    string Name { get; }

    /// <summary>One unit-length vector per text, in order, all of one length.</summary>
    /// <exception cref="Core.Ports.StudyStopException">The model cannot run (e.g. its file is missing); the study stops.</exception>
    ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default);
}
