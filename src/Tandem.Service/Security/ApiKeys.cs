using System.Security.Cryptography;
using System.Text;

namespace Tandem.Service.Security;

/// <summary>
/// Study keys: 32 random bytes (256 bits) from the operating system's generator, shown once as "tdm_" + base64url,
/// stored only as a per-key random salt (16 bytes) and SHA-256(salt ‖ key). A slow password hash (PBKDF2) protects
/// low-entropy secrets from guessing; a 256-bit random key cannot be guessed, so one salted SHA-256 is as strong and
/// keeps every request's check to about a microsecond. Comparisons are constant-time.
/// </summary>
public static class ApiKeys
{
    /// <summary>The prefix of every study key (lets secret scanners recognise a leaked key).</summary>
    public const string Prefix = "tdm_";

    /// <summary>A new key and its stored form.</summary>
    public static (string Key, byte[] Salt, byte[] Hash) Create()
    {
        string key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        return (key, salt, Hash(salt, key));
    }

    /// <summary>SHA-256(salt ‖ UTF-8 key).</summary>
    public static byte[] Hash(byte[] salt, string key)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(key);
        byte[] keyBytes = Encoding.UTF8.GetBytes(key);
        byte[] buffer = new byte[salt.Length + keyBytes.Length];
        salt.CopyTo(buffer, 0);
        keyBytes.CopyTo(buffer, salt.Length);
        return SHA256.HashData(buffer);
    }

    /// <summary>True when <paramref name="key"/> hashes to <paramref name="hash"/> under <paramref name="salt"/> (constant-time).</summary>
    public static bool Verify(string? key, byte[] salt, byte[] hash) =>
        key is not null && CryptographicOperations.FixedTimeEquals(Hash(salt, key), hash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The administrator's key, from <c>TANDEM_ADMIN_KEY</c> only, held as its SHA-256 so that comparisons
/// are constant-time whatever the lengths.</summary>
public sealed class AdminKey
{
    /// <summary>The environment variable read.</summary>
    public const string Variable = "TANDEM_ADMIN_KEY";

    /// <summary>Shortest accepted admin key.</summary>
    public const int MinimumLength = 16;

    private readonly byte[] _hash;

    private AdminKey(string key) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Read the key from the environment; null with a one-line reason when it is missing or too short.</summary>
    public static AdminKey? FromEnvironment(out string? problem)
    {
        string? key = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(key))
        {
            problem = $"{Variable} is not set; the service needs an admin key in that environment variable and does not start without one.";
            return null;
        }
        if (key.Trim().Length < MinimumLength)
        {
            problem = $"{Variable} is shorter than {MinimumLength} characters; use a long random key.";
            return null;
        }
        problem = null;
        return new AdminKey(key.Trim());
    }

    /// <summary>An admin key given directly (tests, embedding hosts); throws naming the problem when it is too short.</summary>
    public static AdminKey Create(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Trim().Length < MinimumLength) throw new ArgumentException($"The admin key must have at least {MinimumLength} characters.", nameof(key));
        return new AdminKey(key.Trim());
    }

    /// <summary>True when <paramref name="key"/> is the admin key (constant-time).</summary>
    public bool Verify(string? key) =>
        key is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(key)), _hash);
}
