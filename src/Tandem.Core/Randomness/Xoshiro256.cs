namespace Tandem.Core.Randomness;

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018) behind the <see cref="Random"/> API, seeded through SplitMix64
/// from a 64-bit seed. Not thread-safe: every run owns its sources. The same seed gives the same
/// sequence on every platform and .NET version, unlike <c>new Random(int)</c>.
/// </summary>
public sealed class Xoshiro256 : Random
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Create a source from <paramref name="seed"/>.</summary>
    public Xoshiro256(ulong seed)
    {
        ulong z = seed;
        _s0 = Seeds.Mix(z++);
        _s1 = Seeds.Mix(z++);
        _s2 = Seeds.Mix(z++);
        _s3 = Seeds.Mix(z);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    /// <summary>The next raw 64-bit output.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <inheritdoc />
    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <inheritdoc />
    protected override double Sample() => NextDouble();

    /// <inheritdoc />
    public override int Next() => (int)(NextUInt64() >> 33);

    /// <inheritdoc />
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBounded((ulong)maxValue);
    }

    /// <inheritdoc />
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)((long)minValue + (long)NextBounded((ulong)((long)maxValue - minValue)));
    }

    /// <inheritdoc />
    public override long NextInt64() => (long)(NextUInt64() >> 1);

    /// <inheritdoc />
    public override void NextBytes(Span<byte> buffer)
    {
        while (buffer.Length >= 8)
        {
            BitConverter.TryWriteBytes(buffer, NextUInt64());
            buffer = buffer[8..];
        }
        if (buffer.Length > 0)
        {
            ulong last = NextUInt64();
            for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)(last >> (8 * i));
        }
    }

    /// <inheritdoc />
    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    // Lemire's nearly-divisionless unbiased bounded integer.
    private ulong NextBounded(ulong bound)
    {
        if (bound == 0) return 0;
        ulong x = NextUInt64();
        UInt128 m = (UInt128)x * bound;
        ulong low = (ulong)m;
        if (low < bound)
        {
            ulong threshold = (0 - bound) % bound;
            while (low < threshold)
            {
                x = NextUInt64();
                m = (UInt128)x * bound;
                low = (ulong)m;
            }
        }
        return (ulong)(m >> 64);
    }

    /// <summary>A standard normal draw (Marsaglia polar method; no allocation, no cached spare, so
    /// the stream position depends only on the number of calls).</summary>
    public double NextGaussian()
    {
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        }
        while (s >= 1.0 || s == 0.0);
        return u * Math.Sqrt(-2.0 * Math.Log(s) / s);
    }

    /// <summary>The generator's four state words (a copy), so a learner's snapshot can include its random stream.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Continue from <paramref name="state"/>, four words as <see cref="GetState"/> returned, not all zero.</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException($"Expected 4 state words; got {state.Length}.", nameof(state));
        if ((state[0] | state[1] | state[2] | state[3]) == 0) throw new ArgumentException("The all-zero state is not a xoshiro256** state.", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }
}
