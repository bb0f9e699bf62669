using Tandem.Core.Numerics;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using Tandem.Recourse.Geometry;

namespace Tandem.Recourse.Solvers;

/// <summary>
/// The global optimum of (ORO-Arm) under an L2 or Mahalanobis norm without bounds (Proposition 1, seed 000 §2.2 and
/// Appendix A.3). The slow, exact reference for <see cref="CoordinateDescentOroSolver"/>; it allocates.
/// <para>
/// Method. Write the recourse as δ = γ·L⁻ᵀv with A = LLᵀ (L = I for L2) and ||v||₂ ≤ 1, so x̃ = x + Mv with
/// M = γ·P·L⁻ᵀ (P embeds the mutable coordinates). With W = V⁻¹ the objective is
/// g(v) = c + bᵀv + ρ·sqrt(q(v)), q(v) = vᵀGv + 2gᵀv + k, where c = xᵀθ̂, b = Mᵀθ̂, G = MᵀWM, g = MᵀWx, k = xᵀWx.
/// g is convex, so its maximum over the ball is not a convex problem; instead decide "g* ≥ t" for a level t:
/// once t ≥ c + ||b|| (below that v = b/||b|| already reaches t) the right side s − bᵀv, s = t − c, is ≥ 0 on the
/// ball, and g(v) ≥ t ⇔ h_t(v) = ρ²q(v) − (s − bᵀv)² ≥ 0. So g* ≥ t ⇔ max_{||v||≤1} h_t(v) ≥ 0, where
/// h_t(v) = vᵀ(ρ²G − bbᵀ)v + 2(ρ²g + s·b)ᵀv + ρ²k − s² is an indefinite quadratic: a trust-region subproblem, solved
/// globally from one eigendecomposition of ρ²G − bbᵀ (independent of t) and the secular equation
/// Σ p̃_i²/(μ − λ_i)² = 1, μ ≥ max(λ_max, 0), including the hard case. Bisection on t between the no-recourse
/// value and c + ||b|| + ρ(√k + √tr G) brackets g* to 1e-13 relative; the returned x̃ comes from the best maximiser v
/// found, and the value is evaluated at that x̃ (so it is attained, and within the bracket of g*).
/// </para>
/// </summary>
public sealed class GlobalMahalanobisOroSolver : IOroSolver
{
    private const int MaxBisections = 300;
    private const double RelativeGap = 1e-13;
    private readonly OroWorkspace _workspace;
    private readonly Matrix<double> _inverseCholeskyTransposed;

    /// <summary>Create the solver.</summary>
    /// <param name="dimension">d ≥ 1.</param>
    /// <param name="mutableIndices">Positions of the mutable features: sorted, distinct, in [0, d).</param>
    /// <param name="recourseSet">A set whose norm is <see cref="L2Norm"/> or <see cref="MahalanobisNorm"/> and which has
    /// no bounds; otherwise ArgumentException naming "recourseSet".</param>
    public GlobalMahalanobisOroSolver(int dimension, int[] mutableIndices, RecourseSet recourseSet)
    {
        _workspace = new OroWorkspace(dimension, mutableIndices, recourseSet);
        if (recourseSet.HasBounds)
            ThrowHelper.Argument(nameof(recourseSet), "The global solver handles no feature bounds; use CoordinateDescentOroSolver.");
        int m = recourseSet.Dimension;
        switch (recourseSet.Norm)
        {
            case L2Norm:
                _inverseCholeskyTransposed = Matrix<double>.Build.DenseIdentity(m);
                break;
            case MahalanobisNorm mahalanobis:
                Matrix<double> l = Matrix<double>.Build.DenseOfArray(mahalanobis.ToCholeskyFactor());
                _inverseCholeskyTransposed = l.Transpose().Inverse();
                break;
            default:
                ThrowHelper.Argument(nameof(recourseSet), $"The global solver needs an L2 or Mahalanobis norm, got '{recourseSet.Norm.Name}'.");
                return;
        }
    }

    /// <inheritdoc />
    public string Name => "global-mahalanobis";

    /// <inheritdoc />
    public OroSolution Solve(
        ReadOnlySpan<double> x, ReadOnlySpan<double> thetaHat, ReadOnlySpan<double> inverseDesign, double rho,
        Span<double> destination)
    {
        OroWorkspace ws = _workspace;
        ws.Validate(x, thetaHat, inverseDesign, rho, destination);
        int d = ws.Dimension, m = ws.Mutable.Length;
        double gamma = ws.Set.Gamma;

        Matrix<double> w = Matrix<double>.Build.Dense(d, d);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++) w[i, j] = 0.5 * (inverseDesign[i * d + j] + inverseDesign[j * d + i]);
        }
        Matrix<double> embed = Matrix<double>.Build.Dense(d, m);
        for (int r = 0; r < m; r++)
        {
            for (int s = 0; s < m; s++) embed[ws.Mutable[r], s] = gamma * _inverseCholeskyTransposed[r, s];
        }
        Vector<double> xv = Vector<double>.Build.DenseOfArray(x.ToArray());
        Vector<double> th = Vector<double>.Build.DenseOfArray(thetaHat.ToArray());
        Matrix<double> wm = w * embed;
        Matrix<double> gram = embed.TransposeThisAndMultiply(wm);
        gram = 0.5 * (gram + gram.Transpose());
        Vector<double> g = wm.TransposeThisAndMultiply(xv);
        double k = Math.Max(xv * (w * xv), 0);
        Vector<double> b = embed.TransposeThisAndMultiply(th);
        double c = xv * th;
        double bNorm = b.L2Norm();

        double Objective(Vector<double> v)
        {
            Vector<double> xt = xv + embed * v;
            return xt * th + rho * Math.Sqrt(Math.Max(xt * (w * xt), 0));
        }

        Vector<double> best = Vector<double>.Build.Dense(m);
        double bestValue = Objective(best);
        if (bNorm > 0)
        {
            Vector<double> toward = b / bNorm;
            double value = Objective(toward);
            if (value > bestValue)
            {
                best = toward;
                bestValue = value;
            }
        }
        double lo = Math.Max(bestValue, c + bNorm);
        double hi = c + bNorm + rho * (Math.Sqrt(k) + Math.Sqrt(Math.Max(gram.Trace(), 0)));
        hi = Math.Max(hi, lo);

        Matrix<double> q = rho * rho * gram - b.OuterProduct(b);
        q = 0.5 * (q + q.Transpose());
        Evd<double> evd = q.Evd(Symmetricity.Symmetric);
        double[] lambda = new double[m];
        for (int i = 0; i < m; i++) lambda[i] = evd.EigenValues[i].Real;
        Matrix<double> basis = evd.EigenVectors;
        double[] coefficients = new double[m];
        double[] local = new double[m];

        int iterations = 0;
        while (iterations < MaxBisections && hi - lo > RelativeGap * Math.Max(1, Math.Abs(hi)))
        {
            iterations++;
            double t = 0.5 * (lo + hi);
            if (t <= lo || t >= hi) break;
            double s = t - c;
            Vector<double> p = rho * rho * g + s * b;
            Vector<double> pt = basis.TransposeThisAndMultiply(p);
            for (int i = 0; i < m; i++) coefficients[i] = pt[i];
            double h = TrustRegion.Maximize(lambda, coefficients, rho * rho * k - s * s, local);
            if (h >= 0)
            {
                lo = t;
                Vector<double> v = basis * Vector<double>.Build.DenseOfArray(local);
                double value = Objective(v);
                if (value > bestValue)
                {
                    bestValue = value;
                    best = v;
                }
                lo = Math.Max(lo, value);
            }
            else
            {
                hi = t;
            }
        }
        bool converged = hi - lo <= 1e-10 * Math.Max(1, Math.Abs(hi));
        Vector<double> xTilde = xv + embed * best;
        for (int j = 0; j < m; j++) ws.Candidate[j] = xTilde[ws.Mutable[j]];
        ws.Write(x, ws.Candidate, destination);
        return new OroSolution(bestValue, iterations, converged);
    }
}

/// <summary>
/// The trust-region subproblem max_{||v||₂ ≤ 1} vᵀQv + 2pᵀv + r in the eigenbasis of Q (eigenvalues λ, coefficients
/// p̃ = Uᵀp), solved globally: the maximiser is ṽ_i = p̃_i/(μ − λ_i) with μ ≥ max(λ_max, 0), μ(1 − ||ṽ||) = 0
/// (Moré and Sorensen 1983); μ from the monotone secular equation by bisection to machine precision, plus the
/// hard case (p̃ = 0 on the top eigenspace and the remaining norm &lt; 1: add the top eigenvector to reach the sphere).
/// </summary>
internal static class TrustRegion
{
    public static double Maximize(ReadOnlySpan<double> lambda, ReadOnlySpan<double> p, double r, Span<double> v)
    {
        int m = lambda.Length;
        int top = 0;
        double lambdaScale = 0, pNormSquared = 0;
        for (int i = 0; i < m; i++)
        {
            if (lambda[i] > lambda[top]) top = i;
            lambdaScale = Math.Max(lambdaScale, Math.Abs(lambda[i]));
            pNormSquared += p[i] * p[i];
        }
        double lambdaMax = lambda[top];
        double pNorm = Math.Sqrt(pNormSquared);

        if (lambdaMax < 0)
        {
            double normSquared = 0;
            for (int i = 0; i < m; i++) normSquared += p[i] * p[i] / (lambda[i] * lambda[i]);
            if (normSquared <= 1)
            {
                for (int i = 0; i < m; i++) v[i] = -p[i] / lambda[i];
                return Evaluate(lambda, p, r, v);
            }
        }
        else
        {
            double tieTolerance = 1e-12 * Math.Max(1, lambdaScale);
            double pTolerance = 1e-12 * Math.Max(pNorm, 1e-300);
            bool hard = true;
            double restSquared = 0;
            for (int i = 0; i < m; i++)
            {
                if (lambda[i] >= lambdaMax - tieTolerance)
                {
                    if (Math.Abs(p[i]) > pTolerance) hard = false;
                }
                else
                {
                    double gap = lambdaMax - lambda[i];
                    restSquared += p[i] * p[i] / (gap * gap);
                }
            }
            if (hard && restSquared <= 1)
            {
                for (int i = 0; i < m; i++)
                    v[i] = lambda[i] >= lambdaMax - tieTolerance ? 0 : p[i] / (lambdaMax - lambda[i]);
                v[top] = Math.Sqrt(1 - restSquared);
                return Evaluate(lambda, p, r, v);
            }
        }

        double lo = Math.Max(lambdaMax, 0), hi = lo + pNorm;
        while (true)
        {
            double mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi) break;
            double normSquared = 0;
            for (int i = 0; i < m; i++)
            {
                double denominator = mid - lambda[i];
                normSquared += p[i] * p[i] / (denominator * denominator);
            }
            if (normSquared > 1) lo = mid;
            else hi = mid;
        }
        for (int i = 0; i < m; i++) v[i] = hi - lambda[i] > 0 ? p[i] / (hi - lambda[i]) : 0;
        return Evaluate(lambda, p, r, v);
    }

    private static double Evaluate(ReadOnlySpan<double> lambda, ReadOnlySpan<double> p, double r, ReadOnlySpan<double> v)
    {
        double value = r;
        for (int i = 0; i < lambda.Length; i++) value += lambda[i] * v[i] * v[i] + 2 * p[i] * v[i];
        return value;
    }
}
