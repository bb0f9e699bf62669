namespace Tandem.Core.Neural;

/// <summary>
/// A fixed-capacity ring buffer of (input, target) rows for minibatch training: once full, each new row
/// overwrites the oldest. Rows are stored flat; <see cref="SampleBatch"/> draws indices uniformly with
/// replacement from the rows held and gathers them into caller-owned spans without allocating.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly double[] _inputs;
    private readonly double[] _targets;
    private int _next;

    /// <summary>An empty buffer.</summary>
    /// <param name="capacity">Rows kept. Range: ≥ 1 (GAMBITTS: 1,024, seed 002 App. F.2.3).</param>
    /// <param name="inputWidth">Values per input row. Range: ≥ 1.</param>
    /// <param name="targetWidth">Values per target row. Range: ≥ 1 (an ensemble stores one perturbed target per member).</param>
    public ReplayBuffer(int capacity, int inputWidth, int targetWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(targetWidth, 1);
        Capacity = capacity;
        InputWidth = inputWidth;
        TargetWidth = targetWidth;
        _inputs = new double[capacity * inputWidth];
        _targets = new double[capacity * targetWidth];
    }

    /// <summary>Maximum rows.</summary>
    public int Capacity { get; }

    /// <summary>Values per input row.</summary>
    public int InputWidth { get; }

    /// <summary>Values per target row.</summary>
    public int TargetWidth { get; }

    /// <summary>Rows held, ≤ <see cref="Capacity"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Rows ever added (the buffer keeps the last <see cref="Capacity"/>).</summary>
    public long Added { get; private set; }

    /// <summary>Append a row, overwriting the oldest when full.</summary>
    public void Add(ReadOnlySpan<double> input, ReadOnlySpan<double> target)
    {
        if (input.Length != InputWidth) throw new ArgumentException($"Expected {InputWidth} input values; got {input.Length}.", nameof(input));
        if (target.Length != TargetWidth) throw new ArgumentException($"Expected {TargetWidth} target values; got {target.Length}.", nameof(target));
        input.CopyTo(_inputs.AsSpan(_next * InputWidth, InputWidth));
        target.CopyTo(_targets.AsSpan(_next * TargetWidth, TargetWidth));
        _next = (_next + 1) % Capacity;
        if (Count < Capacity) Count++;
        Added++;
    }

    /// <summary>Input row i (0 ≤ i &lt; <see cref="Count"/>, in storage order).</summary>
    public ReadOnlySpan<double> Input(int i) => _inputs.AsSpan(CheckedRow(i) * InputWidth, InputWidth);

    /// <summary>Target row i (0 ≤ i &lt; <see cref="Count"/>, in storage order).</summary>
    public ReadOnlySpan<double> Target(int i) => _targets.AsSpan(CheckedRow(i) * TargetWidth, TargetWidth);

    /// <summary>Draw indices.Length rows uniformly with replacement and write their indices.</summary>
    public void SampleBatch(Random random, Span<int> indices)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (Count == 0) throw new InvalidOperationException("The replay buffer is empty.");
        for (int i = 0; i < indices.Length; i++) indices[i] = random.Next(Count);
    }

    /// <summary>Copy the input rows at <paramref name="indices"/> into <paramref name="inputs"/> (indices.Length × InputWidth).</summary>
    public void GatherInputs(ReadOnlySpan<int> indices, Span<double> inputs)
    {
        if (inputs.Length != indices.Length * InputWidth) throw new ArgumentException($"Expected {indices.Length * InputWidth} values; got {inputs.Length}.", nameof(inputs));
        for (int i = 0; i < indices.Length; i++) Input(indices[i]).CopyTo(inputs.Slice(i * InputWidth, InputWidth));
    }

    /// <summary>Copy target column <paramref name="column"/> of the rows at <paramref name="indices"/> into <paramref name="targets"/> (indices.Length).</summary>
    public void GatherTargetColumn(ReadOnlySpan<int> indices, int column, Span<double> targets)
    {
        if ((uint)column >= (uint)TargetWidth) throw new ArgumentOutOfRangeException(nameof(column), column, $"The column must lie in [0, {TargetWidth}).");
        if (targets.Length != indices.Length) throw new ArgumentException($"Expected {indices.Length} values; got {targets.Length}.", nameof(targets));
        for (int i = 0; i < indices.Length; i++) targets[i] = _targets[CheckedRow(indices[i]) * TargetWidth + column];
    }

    /// <summary>Forget every row.</summary>
    public void Clear()
    {
        Count = 0;
        _next = 0;
        Added = 0;
    }

    private int CheckedRow(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"The row must lie in [0, {Count}).");
        return i;
    }
}
