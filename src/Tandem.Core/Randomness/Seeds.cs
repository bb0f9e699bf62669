namespace Tandem.Core.Randomness;

/// <summary>
/// Deterministic seed derivation: run i of a study, and each purpose inside a run (environment,
/// advisor, policy), gets its own stream derived from the study seed, independent of scheduling.
/// </summary>
public static class Seeds
{
    /// <summary>SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mix.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The seed of item <paramref name="index"/> (e.g. run i) under <paramref name="seed"/>.</summary>
    public static ulong Derive(ulong seed, long index) => Mix(Mix(seed) ^ Mix((ulong)index + 0x632BE59BD9B4E019UL));

    /// <summary>The seed of a named purpose under <paramref name="seed"/>; the name is hashed with
    /// FNV-1a, which, unlike <see cref="string.GetHashCode()"/>, is the same in every process.</summary>
    public static ulong Derive(ulong seed, string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ulong h = 0xCBF29CE484222325UL;
        foreach (char c in purpose)
        {
            h ^= c;
            h *= 0x100000001B3UL;
        }
        return Mix(Mix(seed) ^ h);
    }

    /// <summary>A fast, non-thread-safe xoshiro256** source seeded with all 64 bits of
    /// <paramref name="seed"/>. It derives from <see cref="Random"/>, so MathNet distributions accept it.</summary>
    public static Random CreateRandom(ulong seed) => new Xoshiro256(seed);
}
