using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Tandem.Rmab.Model;
using Tandem.Rmab.Planning;

namespace Tandem.Rmab.Rewards;

/// <summary>
/// The reward-expression sandbox (ARCHITECTURE.md, "Reward-expression sandbox"): a candidate reward is one C#
/// expression over <c>state</c> (double, 0 or 1) and <c>feats</c> (double[43]). It is parsed with Roslyn and
/// checked against a whitelist — numeric and bool literals, + − * / %, comparisons, &amp;&amp; || !, ?:,
/// <c>feats[i]</c> with a constant 0 ≤ i &lt; 43, and <see cref="AllowedCalls"/> — before anything is compiled
/// or run. Anything else is refused with a one-line reason naming the construct and its column, meant to be
/// fed back to the designer on retry.
/// </summary>
public static class RewardSandbox
{
    /// <summary>Longest expression accepted, in characters.</summary>
    public const int MaxLength = 4000;

    /// <summary>Deepest nesting accepted.</summary>
    public const int MaxDepth = 64;

    /// <summary>The Math functions a reward may call.</summary>
    public static string AllowedCalls => Whitelist.AllowedCalls;

    /// <summary>Check <paramref name="text"/>; on success <paramref name="expression"/> is ready to tabulate.</summary>
    /// <returns>False with a one-line <paramref name="refusal"/> when the text is not an allowed expression.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out RewardExpression? expression, [NotNullWhen(false)] out string? refusal)
    {
        expression = null;
        if (string.IsNullOrWhiteSpace(text)) { refusal = "the expression is empty"; return false; }
        if (text.Length > MaxLength) { refusal = $"the expression has {text.Length} characters; at most {MaxLength} are allowed"; return false; }
        if (HiddenCharacter(text) is { } hidden) { refusal = hidden; return false; }
        ExpressionSyntax syntax = SyntaxFactory.ParseExpression(text, options: new CSharpParseOptions(LanguageVersion.Latest));
        Diagnostic? error = syntax.GetDiagnostics().FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error is not null)
        {
            refusal = $"not a single C# expression: {error.GetMessage(CultureInfo.InvariantCulture)} at column {Column(error.Location)}";
            return false;
        }
        if (syntax.FullSpan.Length != text.Length)
        {
            refusal = $"not a single C# expression: unexpected text at column {syntax.FullSpan.End + 1}";
            return false;
        }
        foreach (SyntaxTrivia trivia in syntax.DescendantTrivia(descendIntoTrivia: true))
        {
            if (trivia.IsDirective || trivia.IsKind(SyntaxKind.DisabledTextTrivia))
            {
                refusal = $"preprocessor directive at column {Column(trivia.GetLocation())} is not allowed";
                return false;
            }
        }
        try
        {
            var features = new SortedSet<int>();
            Node root = Build(syntax, features, 0);
            if (root.Type == ValueType.Bool)
            {
                refusal = "the reward must be a number, not a bool, at column 1; write (condition ? 1.0 : 0.0)";
                return false;
            }
            expression = new RewardExpression(text, root, features.ToArray());
            refusal = null;
            return true;
        }
        catch (RefusedException ex)
        {
            refusal = ex.Message;
            return false;
        }
    }

    /// <summary>Like <see cref="TryParse"/> but throws <see cref="ArgumentException"/> with the refusal.</summary>
    public static RewardExpression Parse(string text) =>
        TryParse(text, out RewardExpression? e, out string? refusal) ? e : throw new ArgumentException("Reward expression refused: " + refusal, nameof(text));

    private static Node Build(ExpressionSyntax syntax, SortedSet<int> features, int depth)
    {
        if (depth > MaxDepth) throw Refuse(syntax, $"nesting deeper than {MaxDepth}");
        switch (syntax)
        {
            case ParenthesizedExpressionSyntax p:
                return Build(p.Expression, features, depth + 1);
            case LiteralExpressionSyntax lit:
                return Literal(lit);
            case IdentifierNameSyntax id:
                return id.Identifier.ValueText switch
                {
                    "state" => new StateNode(),
                    "feats" => throw Refuse(id, "'feats' without a constant index (write feats[i], 0 ≤ i ≤ 42)"),
                    string name => throw Refuse(id, $"identifier '{name}' (only state and feats are defined)"),
                };
            case ElementAccessExpressionSyntax access:
                return Feature(access, features);
            case BinaryExpressionSyntax binary:
                return Binary(binary, features, depth);
            case PrefixUnaryExpressionSyntax unary:
                return Unary(unary, features, depth);
            case ConditionalExpressionSyntax cond:
            {
                Node c = Build(cond.Condition, features, depth + 1);
                if (c.Type != ValueType.Bool) throw Refuse(cond.Condition, "a ?: condition that is not a bool");
                Node t = Build(cond.WhenTrue, features, depth + 1);
                Node f = Build(cond.WhenFalse, features, depth + 1);
                ValueType type = (t.Type, f.Type) switch
                {
                    (ValueType.Bool, ValueType.Bool) => ValueType.Bool,
                    (ValueType.Int, ValueType.Int) => ValueType.Int,
                    (ValueType.Bool, _) or (_, ValueType.Bool) => throw Refuse(cond, "a ?: whose branches mix bool and number"),
                    _ => ValueType.Double,
                };
                return new ConditionalNode(c, t, f, type);
            }
            case InvocationExpressionSyntax call:
                return Call(call, features, depth);
            default:
                throw Refuse(syntax, Describe(syntax));
        }
    }

    private static Node Literal(LiteralExpressionSyntax lit)
    {
        switch (lit.Kind())
        {
            case SyntaxKind.TrueLiteralExpression: return new BoolLiteral(true);
            case SyntaxKind.FalseLiteralExpression: return new BoolLiteral(false);
            case SyntaxKind.NumericLiteralExpression:
                return lit.Token.Value switch
                {
                    int i => new IntLiteral(i, lit.Token.Text),
                    double d => new DoubleLiteral(d, lit.Token.Text),
                    object o => throw Refuse(lit, $"numeric literal '{lit.Token.Text}' of type {o.GetType().Name} (use int or double literals)"),
                    null => throw Refuse(lit, $"numeric literal '{lit.Token.Text}'"),
                };
            case SyntaxKind.StringLiteralExpression:
            case SyntaxKind.Utf8StringLiteralExpression:
                throw Refuse(lit, "string literal");
            case SyntaxKind.CharacterLiteralExpression: throw Refuse(lit, "character literal");
            case SyntaxKind.NullLiteralExpression: throw Refuse(lit, "null");
            default: throw Refuse(lit, $"literal '{lit}'");
        }
    }

    private static Node Feature(ElementAccessExpressionSyntax access, SortedSet<int> features)
    {
        if (access.Expression is not IdentifierNameSyntax { Identifier.ValueText: "feats" })
            throw Refuse(access, $"element access '{Short(access)}' (only feats[i] may be indexed)");
        if (access.ArgumentList.Arguments.Count != 1)
            throw Refuse(access, "feats indexed with more than one index");
        ArgumentSyntax arg = access.ArgumentList.Arguments[0];
        if (arg.RefKindKeyword.RawKind != 0 || arg.NameColon is not null)
            throw Refuse(arg, "a ref, out or named index");
        ExpressionSyntax e = arg.Expression;
        while (e is ParenthesizedExpressionSyntax p) e = p.Expression;
        if (e is not LiteralExpressionSyntax { Token.Value: int index } || !e.IsKind(SyntaxKind.NumericLiteralExpression))
            throw Refuse(arg, $"non-constant index 'feats[{Short(arg)}]' (write an int literal 0 to {Whitelist.MaxFeatureIndex})");
        if (index < 0 || index > Whitelist.MaxFeatureIndex)
            throw Refuse(arg, $"out-of-range index feats[{index}] (valid 0 to {Whitelist.MaxFeatureIndex})");
        features.Add(index);
        return new FeatureNode(index);
    }

    private static Node Binary(BinaryExpressionSyntax binary, SortedSet<int> features, int depth)
    {
        BinaryOp? op = binary.Kind() switch
        {
            SyntaxKind.AddExpression => BinaryOp.Add,
            SyntaxKind.SubtractExpression => BinaryOp.Subtract,
            SyntaxKind.MultiplyExpression => BinaryOp.Multiply,
            SyntaxKind.DivideExpression => BinaryOp.Divide,
            SyntaxKind.ModuloExpression => BinaryOp.Modulo,
            SyntaxKind.LessThanExpression => BinaryOp.Less,
            SyntaxKind.LessThanOrEqualExpression => BinaryOp.LessEqual,
            SyntaxKind.GreaterThanExpression => BinaryOp.Greater,
            SyntaxKind.GreaterThanOrEqualExpression => BinaryOp.GreaterEqual,
            SyntaxKind.EqualsExpression => BinaryOp.Equal,
            SyntaxKind.NotEqualsExpression => BinaryOp.NotEqual,
            SyntaxKind.LogicalAndExpression => BinaryOp.And,
            SyntaxKind.LogicalOrExpression => BinaryOp.Or,
            _ => null,
        };
        if (op is null) throw Refuse(binary.OperatorToken, $"operator '{binary.OperatorToken.Text}'");
        Node l = Build(binary.Left, features, depth + 1);
        Node r = Build(binary.Right, features, depth + 1);
        BinaryOp o = op.Value;
        switch (o)
        {
            case BinaryOp.And or BinaryOp.Or:
                if (l.Type != ValueType.Bool || r.Type != ValueType.Bool) throw Refuse(binary.OperatorToken, $"'{binary.OperatorToken.Text}' on numbers (it needs two bools)");
                return new BinaryNode(o, l, r, ValueType.Bool, null);
            case BinaryOp.Equal or BinaryOp.NotEqual when l.Type == ValueType.Bool || r.Type == ValueType.Bool:
                if (l.Type != r.Type) throw Refuse(binary.OperatorToken, $"'{binary.OperatorToken.Text}' between a bool and a number");
                return new BinaryNode(o, l, r, ValueType.Bool, null);
            case BinaryOp.Less or BinaryOp.LessEqual or BinaryOp.Greater or BinaryOp.GreaterEqual or BinaryOp.Equal or BinaryOp.NotEqual:
                if (l.Type == ValueType.Bool || r.Type == ValueType.Bool) throw Refuse(binary.OperatorToken, $"'{binary.OperatorToken.Text}' on a bool");
                return new BinaryNode(o, l, r, ValueType.Bool, null);
            default:
                if (l.Type == ValueType.Bool || r.Type == ValueType.Bool) throw Refuse(binary.OperatorToken, $"arithmetic '{binary.OperatorToken.Text}' on a bool");
                bool ints = l.Type == ValueType.Int && r.Type == ValueType.Int;
                // A model writing 1/2 means a half; C# computes 0. Refused with a fix the designer can apply.
                if (ints && o == BinaryOp.Divide)
                    throw Refuse(binary, $"integer division '{Short(binary)}' (C# truncates: 1/2 is 0); write a double literal such as 1.0/2");
                int? constant = null;
                if (ints && l.ConstantInt is int a && r.ConstantInt is int b)
                {
                    // C# folds constant int expressions at compile time and rejects overflow and division by zero.
                    try
                    {
                        constant = o switch
                        {
                            BinaryOp.Add => checked(a + b),
                            BinaryOp.Subtract => checked(a - b),
                            BinaryOp.Multiply => checked(a * b),
                            _ => checked(a % b),
                        };
                    }
                    catch (Exception ex) when (ex is OverflowException or DivideByZeroException)
                    {
                        throw Refuse(binary, "a constant int expression that overflows or divides by zero");
                    }
                }
                return new BinaryNode(o, l, r, ints ? ValueType.Int : ValueType.Double, constant);
        }
    }

    private static Node Unary(PrefixUnaryExpressionSyntax unary, SortedSet<int> features, int depth)
    {
        UnaryOp? op = unary.Kind() switch
        {
            SyntaxKind.UnaryMinusExpression => UnaryOp.Negate,
            SyntaxKind.UnaryPlusExpression => UnaryOp.Plus,
            SyntaxKind.LogicalNotExpression => UnaryOp.Not,
            _ => null,
        };
        if (op is null) throw Refuse(unary, $"prefix operator '{unary.OperatorToken.Text}'");
        Node operand = Build(unary.Operand, features, depth + 1);
        if (op == UnaryOp.Not && operand.Type != ValueType.Bool) throw Refuse(unary, "'!' on a number");
        if (op != UnaryOp.Not && operand.Type == ValueType.Bool) throw Refuse(unary, $"'{unary.OperatorToken.Text}' on a bool");
        int? constant = null;
        if (operand.ConstantInt is int c)
        {
            try { constant = op == UnaryOp.Negate ? checked(-c) : c; }
            catch (OverflowException) { throw Refuse(unary, "a constant int expression that overflows"); }
        }
        return new UnaryNode(op.Value, operand, constant);
    }

    private static Node Call(InvocationExpressionSyntax call, SortedSet<int> features, int depth)
    {
        string target = call.Expression.ToString();
        string? name = call.Expression switch
        {
            MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "Math" } } m => m.Name.Identifier.ValueText,
            MemberAccessExpressionSyntax
            {
                Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "System" }, Name.Identifier.ValueText: "Math" },
            } m => m.Name.Identifier.ValueText,
            _ => null,
        };
        if (name is null || !Whitelist.MathFunctions.TryGetValue(name, out int arity) || call.Expression is MemberAccessExpressionSyntax { Name: GenericNameSyntax })
            throw Refuse(call, $"call to '{Truncate(target)}' (allowed: {Whitelist.AllowedCalls})");
        if (call.ArgumentList.Arguments.Count != arity)
            throw Refuse(call, $"Math.{name} with {call.ArgumentList.Arguments.Count} arguments (it takes {arity})");
        var args = new Node[arity];
        for (int i = 0; i < arity; i++)
        {
            ArgumentSyntax a = call.ArgumentList.Arguments[i];
            if (a.RefKindKeyword.RawKind != 0 || a.NameColon is not null) throw Refuse(a, "a ref, out or named argument");
            args[i] = Build(a.Expression, features, depth + 1);
            if (args[i].Type == ValueType.Bool) throw Refuse(a, $"a bool argument to Math.{name}");
        }
        bool intOverload = name is "Abs" or "Min" or "Max" && args.All(a => a.Type == ValueType.Int);
        return new MathCall(name, args, intOverload ? ValueType.Int : ValueType.Double);
    }

    private static string Describe(ExpressionSyntax syntax) => syntax switch
    {
        ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax => "object creation with 'new'",
        ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or CollectionExpressionSyntax => "array creation",
        StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax => "stackalloc",
        TypeOfExpressionSyntax => "typeof",
        SizeOfExpressionSyntax => "sizeof",
        DefaultExpressionSyntax => "default",
        LambdaExpressionSyntax or AnonymousMethodExpressionSyntax => "a lambda or anonymous method",
        AssignmentExpressionSyntax => "assignment",
        PostfixUnaryExpressionSyntax p => $"postfix operator '{p.OperatorToken.Text}'",
        InterpolatedStringExpressionSyntax => "string interpolation",
        CastExpressionSyntax => "a cast",
        MemberAccessExpressionSyntax m => $"member access '{Truncate(m.ToString())}'",
        ConditionalAccessExpressionSyntax => "conditional access '?.'",
        QueryExpressionSyntax => "a query expression",
        SwitchExpressionSyntax => "a switch expression",
        IsPatternExpressionSyntax => "'is' pattern",
        ThrowExpressionSyntax => "throw",
        AwaitExpressionSyntax => "await",
        CheckedExpressionSyntax => "checked/unchecked",
        RefExpressionSyntax or RefValueExpressionSyntax or RefTypeExpressionSyntax or MakeRefExpressionSyntax => "a ref expression",
        TupleExpressionSyntax => "a tuple",
        InvocationExpressionSyntax => "a call",
        ThisExpressionSyntax or BaseExpressionSyntax => "this/base",
        PredefinedTypeSyntax or TypeSyntax => $"type name '{Truncate(syntax.ToString())}'",
        _ => $"{syntax.Kind()} '{Truncate(syntax.ToString())}'",
    };

    /// <summary>A refusal for a control or format character (bidirectional overrides, zero-width characters, a
    /// byte-order mark): they make the text read differently from what runs. Tab, CR and LF are whitespace.</summary>
    private static string? HiddenCharacter(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\t' or '\r' or '\n') continue;
            UnicodeCategory category = char.GetUnicodeCategory(c);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                return $"invisible or control character U+{(int)c:X4} at column {i + 1} is not allowed";
        }
        return null;
    }

    private static RefusedException Refuse(SyntaxNode node, string what) =>
        new($"{what} at column {Column(node.GetLocation())} is not allowed");

    private static RefusedException Refuse(SyntaxToken token, string what) =>
        new($"{what} at column {Column(token.GetLocation())} is not allowed");

    private static int Column(Location location) => location.GetLineSpan().StartLinePosition.Character + 1;

    private static string Short(SyntaxNode node) => Truncate(node.ToString());

    private static string Truncate(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length <= 40 ? s : s[..37] + "...";
    }

    private sealed class RefusedException(string message) : Exception(message);
}

/// <summary>
/// An accepted reward expression: its text, the features it reads (from the syntax tree; seed 001 Table 1's
/// precision and recall are computed from these), and an interpreter over the whitelisted tree.
/// </summary>
public sealed class RewardExpression
{
    internal RewardExpression(string text, Node root, int[] featuresUsed)
    {
        Text = text;
        Root = root;
        FeaturesUsed = featuresUsed;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>Sorted distinct feature indices the expression reads.</summary>
    public IReadOnlyList<int> FeaturesUsed { get; }

    internal Node Root { get; }

    /// <summary>Fully parenthesised canonical C# source (what the Roslyn compiler compiles).</summary>
    public string CanonicalSource => Root.ToSource();

    /// <summary>Evaluate R(feats, state) with the interpreter. May throw <see cref="DivideByZeroException"/> or
    /// <see cref="OverflowException"/> exactly where the compiled C# would.</summary>
    public double Evaluate(double state, double[] feats)
    {
        ArgumentNullException.ThrowIfNull(feats);
        if (feats.Length != Features.Count) throw new ArgumentException($"feats has {feats.Length} values, not {Features.Count}.", nameof(feats));
        return Root.EvalDouble(state, feats);
    }

    /// <summary>Tabulate R(f_n, s) for every arm and s ∈ {0, 1} with the interpreter.</summary>
    /// <returns>False with a one-line <paramref name="error"/> when an evaluation throws or is not finite.</returns>
    public bool TryTabulate(IReadOnlyList<double[]> features, [NotNullWhen(true)] out RewardTable? table, [NotNullWhen(false)] out string? error) =>
        RewardTabulation.TryTabulate(features, Evaluate, out table, out error);

    /// <summary>Tabulate or throw <see cref="ArgumentException"/>.</summary>
    public RewardTable Tabulate(IReadOnlyList<double[]> features) =>
        TryTabulate(features, out RewardTable? t, out string? e) ? t : throw new ArgumentException(e, nameof(features));

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>Tabulation shared by the interpreter and compiled delegates.</summary>
public static class RewardTabulation
{
    /// <summary>Tabulate <paramref name="reward"/> (state, feats) for every arm and s ∈ {0, 1}.</summary>
    public static bool TryTabulate(IReadOnlyList<double[]> features, Func<double, double[], double> reward,
        [NotNullWhen(true)] out RewardTable? table, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(reward);
        var r0 = new double[features.Count];
        var r1 = new double[features.Count];
        table = null;
        for (int n = 0; n < features.Count; n++)
        {
            for (int s = 0; s < 2; s++)
            {
                double v;
                try { v = reward(s, features[n]); }
                catch (Exception ex) when (ex is DivideByZeroException or OverflowException or ArithmeticException)
                {
                    error = $"evaluation failed for arm {n}, state {s}: {ex.Message}";
                    return false;
                }
                if (!double.IsFinite(v))
                {
                    error = $"the reward is {v.ToString(CultureInfo.InvariantCulture)} for arm {n}, state {s}; it must be finite";
                    return false;
                }
                (s == 0 ? r0 : r1)[n] = v;
            }
        }
        table = new RewardTable(r0, r1);
        error = null;
        return true;
    }
}
