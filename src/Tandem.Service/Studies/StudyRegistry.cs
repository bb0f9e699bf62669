using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tandem.Service.Security;
using Tandem.Service.Storage;

namespace Tandem.Service.Studies;

/// <summary>The studies this process hosts: opened (snapshot + replay) at startup, created on request. Studies run in
/// parallel, each behind its own single writer.</summary>
public sealed class StudyRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IStudyHost> _studies = new(StringComparer.Ordinal);
    private readonly IStudyStore _store;
    private readonly TimeProvider _time;
    private readonly WriterOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _create = new(1, 1);
    private readonly Api.ServiceMetrics _metrics;
    private readonly IStudyHostFactory? _factory;

    /// <summary>Create over <paramref name="store"/>; the studies' writers run in this process unless a
    /// <paramref name="factory"/> places them elsewhere (an Orleans grain per study).</summary>
    public StudyRegistry(IStudyStore store, TimeProvider time, WriterOptions options, ILogger<StudyRegistry> logger, Api.ServiceMetrics metrics,
        IStudyHostFactory? factory = null)
    {
        _factory = factory;
        _metrics = metrics;
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>Open every stored study (replaying what its last snapshot does not cover).</summary>
    public async Task OpenAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (StoredStudy stored in await _store.ListStudiesAsync(cancellationToken).ConfigureAwait(false))
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            _studies[stored.Id] = await OpenAsync(stored, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Study {Study} opened in {Elapsed} ms", stored.Id, started.ElapsedMilliseconds);
        }
    }

    /// <summary>Every hosted study.</summary>
    public IEnumerable<IStudyHost> All => _studies.Values;

    /// <summary>The study with <paramref name="id"/>, or null.</summary>
    public IStudyHost? Find(string id)
    {
        if (_studies.TryGetValue(id, out IStudyHost? host)) return host;
        // A shared store: another process may have created it since this one started.
        if (_factory?.TryOpenShared(id) is not { } shared) return null;
        return _studies.GetOrAdd(id, shared);
    }

    /// <summary>Create a study from a checked spec; returns its key (shown once). Throws <see cref="RequestException"/> 409
    /// when the id is taken, 400 when the library refuses an option.</summary>
    public async Task<string> CreateAsync(StudySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using (StudyLearner.Create(spec, creating: true)) // the library checks the options (and a model's setup) before anything is stored
        {
        }
        var (key, salt, hash) = ApiKeys.Create();
        var stored = new StoredStudy(spec.Id, spec.Kind, spec.ToJson(), salt, hash, spec.Seed, _time.GetUtcNow());
        await _create.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_studies.ContainsKey(spec.Id)) throw new RequestException(409, "id", $"A study with id '{spec.Id}' already exists.");
            try
            {
                await _store.CreateStudyAsync(stored, cancellationToken).ConfigureAwait(false);
            }
            catch (StudyExistsException ex)
            {
                throw new RequestException(409, "id", ex.Message);
            }
            _studies[spec.Id] = await OpenAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _create.Release();
        }
        return key;
    }

    private async Task<IStudyHost> OpenAsync(StoredStudy stored, CancellationToken cancellationToken) =>
        _factory is not null ? await _factory.OpenAsync(stored, cancellationToken).ConfigureAwait(false)
            : await StudyHost.OpenAsync(stored, _store, _time, _options, _logger, _metrics, cancellationToken).ConfigureAwait(false);

    /// <summary>A random 64-bit seed for a study created without one.</summary>
    public static ulong DrawSeed() => BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>Stop every writer after its queued commands.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (IStudyHost host in _studies.Values)
            if (host is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
        _studies.Clear();
        _create.Dispose();
    }
}
