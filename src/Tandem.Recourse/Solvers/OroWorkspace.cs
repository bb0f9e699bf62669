using Tandem.Core.Numerics;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Solvers;

/// <summary>
/// Shared state of the block coordinate solvers: the mutable index map, the recourse set and preallocated vectors.
/// The θ-step is the closed form of Lemma 1 for the ellipsoid Θ = {||θ − θ̂||_V ≤ ρ}:
/// θ = θ̂ + ρ·V⁻¹z/||z||_{V⁻¹} (θ = θ̂ when z = 0), with value zᵀθ = zᵀθ̂ + ρ·||z||_{V⁻¹}.
/// </summary>
internal sealed class OroWorkspace
{
    public OroWorkspace(int dimension, int[] mutableIndices, RecourseSet recourseSet)
    {
        if (dimension < 1) ThrowHelper.Argument(nameof(dimension), $"Must be ≥ 1, got {dimension}.");
        ArgumentNullException.ThrowIfNull(mutableIndices);
        ArgumentNullException.ThrowIfNull(recourseSet);
        if (mutableIndices.Length == 0) ThrowHelper.Argument(nameof(mutableIndices), "At least one mutable index is required.");
        for (int j = 0; j < mutableIndices.Length; j++)
        {
            int index = mutableIndices[j];
            if (index < 0 || index >= dimension)
                ThrowHelper.Argument(nameof(mutableIndices), $"Index {index} is outside [0, {dimension}).");
            if (j > 0 && index <= mutableIndices[j - 1])
                ThrowHelper.Argument(nameof(mutableIndices), "Indices must be sorted and distinct.");
        }
        if (recourseSet.Dimension != mutableIndices.Length)
            ThrowHelper.Argument(nameof(recourseSet), $"The set has dimension {recourseSet.Dimension}, but there are {mutableIndices.Length} mutable indices.");
        Dimension = dimension;
        Mutable = (int[])mutableIndices.Clone();
        Set = recourseSet;
        int m = Mutable.Length;
        Z = new double[dimension];
        U = new double[dimension];
        ThetaM = new double[m];
        XM = new double[m];
        Current = new double[m];
        Candidate = new double[m];
        Direction = new double[m];
    }

    public int Dimension { get; }

    public int[] Mutable { get; }

    public RecourseSet Set { get; }

    /// <summary>The context the θ-step sees.</summary>
    public double[] Z { get; }

    /// <summary>V⁻¹z.</summary>
    public double[] U { get; }

    public double[] ThetaM { get; }

    public double[] XM { get; }

    public double[] Current { get; }

    public double[] Candidate { get; }

    public double[] Direction { get; }

    public void Validate(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination)
    {
        int d = Dimension;
        ThrowHelper.Exactly(x.Length, d, nameof(x));
        ThrowHelper.AllFinite(x, nameof(x));
        ThrowHelper.Exactly(thetaHat.Length, d, nameof(thetaHat));
        ThrowHelper.AllFinite(thetaHat, nameof(thetaHat));
        ThrowHelper.Exactly(inverseDesign.Length, d * d, nameof(inverseDesign));
        for (int i = 0; i < d; i++)
        {
            double diagonal = inverseDesign[i * d + i];
            if (!double.IsFinite(diagonal) || diagonal <= 0)
                ThrowHelper.Argument(nameof(inverseDesign), $"Diagonal entry {i} is {diagonal}; V⁻¹ must be positive definite.");
        }
        ThrowHelper.FiniteNonNegative(rho, nameof(rho));
        ThrowHelper.Exactly(destination.Length, d, nameof(destination));
    }

    /// <summary>Copies x into Z and gathers x_M.</summary>
    public void Load(ReadOnlySpan<double> x)
    {
        x.CopyTo(Z);
        for (int j = 0; j < Mutable.Length; j++) XM[j] = x[Mutable[j]];
    }

    /// <summary>Z_M = values (+ shift when non-empty).</summary>
    public void SetMutable(ReadOnlySpan<double> values, ReadOnlySpan<double> shift)
    {
        double[] z = Z;
        int[] mutable = Mutable;
        if (shift.IsEmpty)
        {
            for (int j = 0; j < mutable.Length; j++) z[mutable[j]] = values[j];
        }
        else
        {
            for (int j = 0; j < mutable.Length; j++) z[mutable[j]] = values[j] + shift[j];
        }
    }

    /// <summary>θ-step at z = Z: writes θ_M and returns the value zᵀθ̂ + ρ·||z||_{V⁻¹}. Lemma 1 applied to Θ,
    /// Algorithm 2 step "Optimize parameter θ_a", seed 000 §2.2.</summary>
    public double ThetaStep(ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho)
    {
        int d = Dimension;
        ReadOnlySpan<double> z = Z;
        Span<double> u = U;
        SymmetricKernels.Multiply(inverseDesign, z, u);
        double quadratic = SymmetricKernels.Dot(z, u);
        double width = quadratic > 0 ? Math.Sqrt(quadratic) : 0;
        double scale = width > 0 ? rho / width : 0;
        int[] mutable = Mutable;
        double[] thetaM = ThetaM;
        for (int j = 0; j < mutable.Length; j++)
        {
            int i = mutable[j];
            thetaM[j] = thetaHat[i] + scale * u[i];
        }
        return SymmetricKernels.Dot(z, thetaHat) + rho * width;
    }

    /// <summary>destination = x with its mutable coordinates replaced by values.</summary>
    public void Write(ReadOnlySpan<double> x, ReadOnlySpan<double> values, Span<double> destination)
    {
        x.CopyTo(destination);
        for (int j = 0; j < Mutable.Length; j++) destination[Mutable[j]] = values[j];
    }
}
