using System.Numerics;
using System.Buffers.Text;
using System.Text;

namespace Tandem.Evaluation.Logs;

/// <summary>The fields of one decision-log line as parsed, before the checks of <see cref="DecisionLogReader"/>.</summary>
internal struct LineFields
{
    public double[]? Features, Probabilities, Expected, Recourse;
    public string? Cell;
    public bool HasContext, HasArm, HasPropensity, HasReward, ExpectedUnknown;
    public int Arm, Run, Draws;
    public LineFlags Flags;
    public long Step;
    public double Propensity = double.NaN, Reward = double.NaN;

    public LineFields()
    {
    }
}

/// <summary>
/// A byte scanner for the usual decision-log line: one flat JSON object whose values are numbers, null, plain
/// ASCII strings (no escapes) or arrays of numbers and nulls. It reads the same fields as the
/// <see cref="System.Text.Json.Utf8JsonReader"/> parse with the same numbers (numbers are checked against JSON's
/// grammar, then parsed by <see cref="Utf8Parser"/>, as <c>Utf8JsonReader.GetDouble</c> does), but does not
/// tokenise every value through the reader, which was most of the cost of reading a large log. Whenever a line has
/// anything else (notes, payload, escapes, non-ASCII text, a grammar error, an out-of-range integer) it gives up and
/// the caller parses the line with the reader, which also words every error; so it never accepts a line the
/// reader would reject.
/// </summary>
internal static class FastLineParser
{
    [ThreadStatic] private static double[]? t_scratch;

    /// <summary>Fill <paramref name="f"/> from <paramref name="s"/>, or return false (with <paramref name="f"/> partly
    /// filled) when the line is not of the usual shape.</summary>
    public static bool TryParse(ReadOnlySpan<byte> s, ref LineFields f)
    {
        int i = Skip(s, 0);
        if (i >= s.Length || s[i] != '{') return false;
        i = Skip(s, i + 1);
        while (true)
        {
            if (!TryString(s, ref i, out ReadOnlySpan<byte> key)) return false;
            i = Skip(s, i);
            if (i >= s.Length || s[i] != ':') return false;
            i = Skip(s, i + 1);
            if (i >= s.Length) return false;
            if (!TryValue(s, ref i, key, ref f)) return false;
            i = Skip(s, i);
            if (i >= s.Length) return false;
            if (s[i] == ',')
            {
                i = Skip(s, i + 1);
                continue;
            }
            if (s[i] != '}') return false;
            return Skip(s, i + 1) == s.Length;
        }
    }

    private static bool TryValue(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> key, ref LineFields f)
    {
        byte c = s[i];
        switch (key.Length)
        {
            case 7 when key.SequenceEqual("context"u8):
                f.HasContext = true;
                if (c == '"')
                {
                    if (!TryString(s, ref i, out ReadOnlySpan<byte> cell)) return false;
                    f.Cell = Encoding.ASCII.GetString(cell);
                    return true;
                }
                return c == '[' && TryNumbers(s, ref i, allowNull: false, out f.Features, out _);
            case 3 when key.SequenceEqual("arm"u8):
                f.HasArm = true;
                return TryInteger(s, ref i, out f.Arm);
            case 10 when key.SequenceEqual("propensity"u8):
                f.HasPropensity = true;
                return TryNumberOrNull(s, ref i, out f.Propensity);
            case 13 when key.SequenceEqual("probabilities"u8):
                return c == '[' && TryNumbers(s, ref i, allowNull: true, out f.Probabilities, out _);
            case 6 when key.SequenceEqual("reward"u8):
                f.HasReward = true;
                return TryNumberOrNull(s, ref i, out f.Reward);
            case 15 when key.SequenceEqual("expectedRewards"u8):
                if (TryLiteral(s, ref i, "null"u8)) return true;
                return c == '[' && TryNumbers(s, ref i, allowNull: true, out f.Expected, out f.ExpectedUnknown);
            case 3 when key.SequenceEqual("run"u8):
                return TryInteger(s, ref i, out f.Run);
            case 4 when key.SequenceEqual("step"u8):
                if (!TryNumberToken(s, ref i, out ReadOnlySpan<byte> step, out bool integral) || !integral) return false;
                return Utf8Parser.TryParse(step, out f.Step, out int used) && used == step.Length;
            case 15 when key.SequenceEqual("propensityDraws"u8):
            case 5 when key.SequenceEqual("notes"u8):
            case 7 when key.SequenceEqual("payload"u8):
                return false; // rare; the reader parses them and checks their values
            default:
                // Another field: skipped, but checked as the reader would.
                if (c == '"') return TryString(s, ref i, out _);
                if (c == 'n') return TryLiteral(s, ref i, "null"u8);
                if (c == 't') return TryLiteral(s, ref i, "true"u8);
                if (c == 'f') return TryLiteral(s, ref i, "false"u8);
                return TryNumberToken(s, ref i, out _, out _);
        }
    }

    // JSON whitespace.
    private static int Skip(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }

    // A string of printable ASCII without escapes; anything else is left to the reader.
    private static bool TryString(ReadOnlySpan<byte> s, ref int i, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (i >= s.Length || s[i] != '"') return false;
        int start = i + 1;
        int end = s[start..].IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E);
        int quote = s[start..].IndexOf((byte)'"');
        if (quote < 0 || (end >= 0 && end < quote)) return false;
        value = s.Slice(start, quote);
        if (value.Contains((byte)'\\')) return false;
        i = start + quote + 1;
        return true;
    }

    private static bool TryLiteral(ReadOnlySpan<byte> s, ref int i, ReadOnlySpan<byte> literal)
    {
        if (!s[i..].StartsWith(literal) || !Delimits(s, i + literal.Length)) return false;
        i += literal.Length;
        return true;
    }

    // After a scalar: the end of the line, whitespace, or a structural byte that may follow a value.
    private static bool Delimits(ReadOnlySpan<byte> s, int i) =>
        i >= s.Length || s[i] is (byte)',' or (byte)']' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    // A number token by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    private static bool TryNumberToken(ReadOnlySpan<byte> s, ref int i, out ReadOnlySpan<byte> token, out bool integral)
    {
        token = default;
        integral = true;
        int j = i;
        if (j < s.Length && s[j] == '-') j++;
        if (j >= s.Length) return false;
        if (s[j] == '0') j++;
        else if (s[j] is >= (byte)'1' and <= (byte)'9') j = Digits(s, j);
        else return false;
        if (j < s.Length && s[j] == '.')
        {
            integral = false;
            int k = Digits(s, j + 1);
            if (k == j + 1) return false;
            j = k;
        }
        if (j < s.Length && s[j] is (byte)'e' or (byte)'E')
        {
            integral = false;
            j++;
            if (j < s.Length && s[j] is (byte)'+' or (byte)'-') j++;
            int k = Digits(s, j);
            if (k == j) return false;
            j = k;
        }
        if (!Delimits(s, j)) return false;
        token = s[i..j];
        i = j;
        return true;
    }

    private static int Digits(ReadOnlySpan<byte> s, int j)
    {
        while (j < s.Length && s[j] is >= (byte)'0' and <= (byte)'9') j++;
        return j;
    }

    private static bool TryNumber(ReadOnlySpan<byte> s, ref int i, out double value)
    {
        value = 0;
        if (!TryNumberToken(s, ref i, out ReadOnlySpan<byte> token, out _)) return false;
        if (TryExact(token, out value)) return true;
        // What Utf8JsonReader.GetDouble does; a value out of double's range is left to the reader's error.
        return Utf8Parser.TryParse(token, out value, out int used) && used == token.Length && double.IsFinite(value);
    }

    private static readonly double[] PowersOfTen = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

    // Clinger's fast path (Clinger 1990): a decimal w·10^e with w ≤ 2⁵³ and |e| ≤ 22 is one correctly rounded
    // IEEE multiplication or division of two exact doubles, so the result is the correctly rounded value, the same
    // as any correct parser's. Other numbers of at most 19 significant digits (about half of the 17-digit round-trip
    // numbers) take the Eisel-Lemire path, also correctly rounded; the rest (zero, longer mantissas, subnormal or
    // overflowing values) go to Utf8Parser.
    // The token is already checked against JSON's grammar.
    private static bool TryExact(ReadOnlySpan<byte> token, out double value)
    {
        value = 0;
        int j = 0;
        bool negative = token[0] == '-';
        if (negative) j++;
        ulong w = 0;
        int digits = 0, exponent = 0;
        for (; j < token.Length && token[j] is >= (byte)'0' and <= (byte)'9'; j++)
        {
            if (w != 0 || token[j] != '0') digits++;
            w = w * 10 + (ulong)(token[j] - '0');
        }
        if (j < token.Length && token[j] == '.')
        {
            for (j++; j < token.Length && token[j] is >= (byte)'0' and <= (byte)'9'; j++)
            {
                if (w != 0 || token[j] != '0') digits++;
                w = w * 10 + (ulong)(token[j] - '0');
                exponent--;
            }
        }
        if (digits > 19 || w == 0) return false; // ±0 (signed zero) and mantissas beyond 19 digits go the long way
        if (j < token.Length)
        {
            j++; // e or E
            bool minus = token[j] == '-';
            if (token[j] is (byte)'-' or (byte)'+') j++;
            int e = 0;
            for (; j < token.Length; j++)
            {
                e = e * 10 + (token[j] - '0');
                if (e > 1000) return false;
            }
            exponent += minus ? -e : e;
        }
        double v;
        if (w <= 1UL << 53 && exponent is >= -22 and <= 22) v = exponent >= 0 ? w * PowersOfTen[exponent] : w / PowersOfTen[-exponent];
        else if (!TryEiselLemire(w, exponent, out v)) return false;
        value = negative ? -v : v;
        return true;
    }

    // 128-bit truncations of 5^q, q = -342..308, high word then low word (fast_float's power_of_five_128 table, built
    // here exactly from BigInteger by the same rule as its generating script).
    private static readonly ulong[] PowersOfFive = BuildPowersOfFive();

    private const int SmallestPowerOfFive = -342, LargestPowerOfFive = 308;

    private static ulong[] BuildPowersOfFive()
    {
        var table = new ulong[2 * (LargestPowerOfFive - SmallestPowerOfFive + 1)];
        BigInteger two128 = BigInteger.One << 128, two127 = BigInteger.One << 127, mask = (BigInteger.One << 64) - 1;
        for (int q = SmallestPowerOfFive; q <= LargestPowerOfFive; q++)
        {
            BigInteger c;
            if (q < 0)
            {
                BigInteger power5 = BigInteger.Pow(5, -q);
                int z = 0;
                while ((BigInteger.One << z) < power5) z++;
                c = q >= -27 ? (BigInteger.One << (z + 127)) / power5 + 1 : (BigInteger.One << (2 * z + 128)) / power5 + 1;
                while (c >= two128) c >>= 1;
            }
            else
            {
                c = BigInteger.Pow(5, q);
                while (c < two127) c <<= 1;
                while (c >= two128) c >>= 1;
            }
            int i = 2 * (q - SmallestPowerOfFive);
            table[i] = (ulong)(c >> 64);
            table[i + 1] = (ulong)(c & mask);
        }
        return table;
    }

    // The Eisel-Lemire algorithm (Lemire 2021, "Number parsing at a gigabyte per second", Software: Practice and
    // Experience 51(8), §5-6; fast_float's compute_float): w·10^q for an exact 0 < w < 2⁶⁴, from the 128-bit product of
    // w and the truncated 5^q, correctly rounded (ties to even). The 128-bit product is always sufficient for an exact w
    // (Mushtak and Lemire 2023, "Fast number parsing without fallback"). Subnormal and overflowing results and q outside
    // the table go the long way (false). Positive values only; the caller applies the sign.
    internal static bool TryEiselLemire(ulong w, int q, out double value)
    {
        value = 0;
        if (w == 0 || q < SmallestPowerOfFive || q > LargestPowerOfFive) return false;
        const int MantissaBits = 52;
        int lz = BitOperations.LeadingZeroCount(w);
        w <<= lz;
        int index = 2 * (q - SmallestPowerOfFive);
        ulong high = Math.BigMul(w, PowersOfFive[index], out ulong low);
        const ulong PrecisionMask = ulong.MaxValue >> (MantissaBits + 3);
        if ((high & PrecisionMask) == PrecisionMask)
        {
            ulong secondHigh = Math.BigMul(w, PowersOfFive[index + 1], out _);
            low += secondHigh;
            if (secondHigh > low) high++;
        }
        int upperBit = (int)(high >> 63);
        int shift = upperBit + 64 - MantissaBits - 3;
        ulong mantissa = high >> shift;
        int power2 = ((217706 * q) >> 16) + 63 + upperBit - lz + 1023;
        if (power2 <= 0) return false; // subnormal
        // A tie between two doubles can only arise when 5^q fits in 64 bits (-4 ≤ q ≤ 23) and only zeros were shifted out.
        if (low <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 && (mantissa << shift) == high) mantissa &= ~1UL;
        mantissa += mantissa & 1;
        mantissa >>= 1;
        if (mantissa >= 2UL << MantissaBits)
        {
            mantissa = 1UL << MantissaBits;
            power2++;
        }
        mantissa &= ~(1UL << MantissaBits);
        if (power2 >= 0x7FF) return false; // overflow: the reader's error
        value = BitConverter.UInt64BitsToDouble(mantissa | (ulong)power2 << MantissaBits);
        return true;
    }

    private static bool TryNumberOrNull(ReadOnlySpan<byte> s, ref int i, out double value)
    {
        value = double.NaN;
        return s[i] == 'n' ? TryLiteral(s, ref i, "null"u8) : TryNumber(s, ref i, out value);
    }

    private static bool TryInteger(ReadOnlySpan<byte> s, ref int i, out int value)
    {
        value = 0;
        return TryNumberToken(s, ref i, out ReadOnlySpan<byte> token, out bool integral) && integral
            && Utf8Parser.TryParse(token, out value, out int used) && used == token.Length;
    }

    private static bool TryNumbers(ReadOnlySpan<byte> s, ref int i, bool allowNull, out double[]? values, out bool sawNull)
    {
        values = null;
        sawNull = false;
        double[] scratch = t_scratch ??= new double[64];
        int count = 0;
        i = Skip(s, i + 1);
        if (i >= s.Length) return false;
        if (s[i] != ']')
        {
            while (true)
            {
                if (i >= s.Length) return false;
                if (count == scratch.Length) Array.Resize(ref t_scratch, scratch.Length * 2);
                scratch = t_scratch!;
                if (s[i] == 'n')
                {
                    if (!allowNull || !TryLiteral(s, ref i, "null"u8)) return false;
                    sawNull = true;
                    scratch[count++] = double.NaN;
                }
                else if (!TryNumber(s, ref i, out scratch[count++])) return false;
                i = Skip(s, i);
                if (i >= s.Length) return false;
                if (s[i] == ']') break;
                if (s[i] != ',') return false;
                i = Skip(s, i + 1);
            }
        }
        i++;
        values = scratch.AsSpan(0, count).ToArray();
        return true;
    }
}
