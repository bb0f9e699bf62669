using Tandem.Core.State;

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

    /// <summary>The rows held (storage order), the write position and the count of rows ever added, as data (copies).</summary>
    public ReplayBufferState ExportState() =>
        new(Capacity, InputWidth, TargetWidth, _inputs.AsSpan(0, Count * InputWidth).ToArray(), _targets.AsSpan(0, Count * TargetWidth).ToArray(), _next, Added);

    /// <summary>Throws <see cref="PolicyStateException"/> naming the mismatch unless <paramref name="state"/> fits this
    /// buffer (capacity, widths, whole finite rows, a consistent write position and count).</summary>
    public void ValidateState(ReplayBufferState state)
    {
        PolicyStates.Require(state is not null, "The replay buffer state is missing.");
        PolicyStates.Require(state!.Capacity == Capacity && state.InputWidth == InputWidth && state.TargetWidth == TargetWidth,
            $"The replay buffer state has capacity {state.Capacity} and widths {state.InputWidth} → {state.TargetWidth}; this buffer has capacity {Capacity} and widths {InputWidth} → {TargetWidth}.");
        PolicyStates.Require(state.Inputs is not null && state.Targets is not null, "The replay buffer state has no rows.");
        PolicyStates.Require(state.Inputs!.Length % InputWidth == 0, $"The replay buffer state's inputs ({state.Inputs.Length} values) are not whole rows of {InputWidth}.");
        int count = state.Inputs.Length / InputWidth;
        PolicyStates.Require(count <= Capacity, $"The replay buffer state holds {count} rows; the capacity is {Capacity}.");
        PolicyStates.RequireLength(state.Targets, count * TargetWidth, "replay buffer targets");
        PolicyStates.RequireFinite(state.Inputs, "replay buffer inputs");
        PolicyStates.RequireFinite(state.Targets, "replay buffer targets");
        bool positionOk = count < Capacity ? state.Next == count : state.Next >= 0 && state.Next < Capacity;
        PolicyStates.Require(positionOk, $"The replay buffer state's write position {state.Next} does not fit {count} rows of capacity {Capacity}.");
        PolicyStates.Require(state.Added >= count && (count == Capacity || state.Added == count),
            $"The replay buffer state has added {state.Added} rows but holds {count}.");
    }

    /// <summary>Continue from <paramref name="state"/> (validated first; nothing changes when it does not fit).</summary>
    public void ImportState(ReplayBufferState state)
    {
        ValidateState(state);
        state.Inputs.CopyTo(_inputs, 0);
        state.Targets.CopyTo(_targets, 0);
        Count = state.Inputs.Length / InputWidth;
        _next = state.Next;
        Added = state.Added;
    }

    private int CheckedRow(int i)
    {
        if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(i), i, $"The row must lie in [0, {Count}).");
        return i;
    }
}

/// <summary>A <see cref="ReplayBuffer"/>'s content as data.</summary>
/// <param name="Capacity">Rows kept.</param>
/// <param name="InputWidth">Values per input row.</param>
/// <param name="TargetWidth">Values per target row.</param>
/// <param name="Inputs">The rows held, in storage order, flat.</param>
/// <param name="Targets">Their targets, flat.</param>
/// <param name="Next">Where the next row is written.</param>
/// <param name="Added">Rows ever added.</param>
public sealed record ReplayBufferState(int Capacity, int InputWidth, int TargetWidth, double[] Inputs, double[] Targets, int Next, long Added);
