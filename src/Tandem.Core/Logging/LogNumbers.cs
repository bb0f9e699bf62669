using System.Buffers.Text;
using System.Text.Json;

namespace Tandem.Core.Logging;

/// <summary>
/// Numbers in the decision log: 12 significant digits (relative error below 5·10⁻¹³), integers as integers, JSON
/// null for NaN and ±∞. .NET's shortest round-trip formatting costs about ten times as much per number, and a LIBRA
/// line holds about sixty numbers (issue 10: the log may cost at most 20% of a study's wall time); twelve digits are
/// far more than any estimate read from the log can use. Thread-safe (no state).
/// </summary>
public static class LogNumbers
{
    /// <summary>Significant digits written.</summary>
    public const int SignificantDigits = 12;

    private const long Limit = 1_000_000_000_000; // 10^12

    /// <summary>Write <paramref name="value"/> as a JSON number (null when it is not finite).</summary>
    public static void Write(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value))
        {
            writer.WriteNullValue();
            return;
        }
        Span<byte> text = stackalloc byte[40];
        int length = Format(value, text);
        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    /// <summary>Format a finite <paramref name="value"/> into <paramref name="destination"/> (at least 40 bytes); returns the length.</summary>
    public static int Format(double value, Span<byte> destination)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "Only finite numbers are formatted.");
        if (destination.Length < 40) throw new ArgumentException("The destination needs at least 40 bytes.", nameof(destination));
        if (value == 0)
        {
            destination[0] = (byte)'0';
            return 1;
        }
        int pos = 0;
        double magnitude = value;
        if (value < 0)
        {
            destination[pos++] = (byte)'-';
            magnitude = -value;
        }
        if (magnitude < 1e15 && magnitude == Math.Floor(magnitude))
            return pos + WriteDigits((long)magnitude, destination[pos..]);
        if (magnitude < 1e-280 || magnitude >= 1e280)
        {
            Utf8Formatter.TryFormat(value, destination, out int written, new System.Buffers.StandardFormat('E', SignificantDigits - 1));
            return written;
        }

        int exponent = (int)Math.Floor(Math.Log10(magnitude));
        long digits = (long)Math.Round(magnitude * Math.Pow(10, SignificantDigits - 1 - exponent));
        if (digits >= Limit)
        {
            digits /= 10;
            exponent++;
        }
        else if (digits < Limit / 10)
        {
            // Log10 rounded up across a power of ten: one digit more.
            digits = (long)Math.Round(magnitude * Math.Pow(10, SignificantDigits - exponent));
            exponent--;
        }
        int count = SignificantDigits;
        while (count > 1 && digits % 10 == 0)
        {
            digits /= 10;
            count--;
        }
        Span<byte> mantissa = stackalloc byte[SignificantDigits];
        for (int i = count - 1; i >= 0; i--)
        {
            mantissa[i] = (byte)('0' + digits % 10);
            digits /= 10;
        }

        if (exponent is >= -5 and < 15)
        {
            if (exponent >= 0)
            {
                for (int i = 0; i <= exponent; i++) destination[pos++] = i < count ? mantissa[i] : (byte)'0';
                if (count > exponent + 1)
                {
                    destination[pos++] = (byte)'.';
                    for (int i = exponent + 1; i < count; i++) destination[pos++] = mantissa[i];
                }
            }
            else
            {
                destination[pos++] = (byte)'0';
                destination[pos++] = (byte)'.';
                for (int i = 0; i < -exponent - 1; i++) destination[pos++] = (byte)'0';
                for (int i = 0; i < count; i++) destination[pos++] = mantissa[i];
            }
            return pos;
        }
        destination[pos++] = mantissa[0];
        if (count > 1)
        {
            destination[pos++] = (byte)'.';
            for (int i = 1; i < count; i++) destination[pos++] = mantissa[i];
        }
        destination[pos++] = (byte)'e';
        if (exponent < 0)
        {
            destination[pos++] = (byte)'-';
            exponent = -exponent;
        }
        return pos + WriteDigits(exponent, destination[pos..]);
    }

    private static int WriteDigits(long value, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(value, destination, out int written);
        return written;
    }
}
