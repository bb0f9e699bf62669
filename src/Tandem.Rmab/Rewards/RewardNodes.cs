using System.Globalization;
using Tandem.Rmab.Model;

namespace Tandem.Rmab.Rewards;

/// <summary>The C# type of a whitelisted sub-expression.</summary>
internal enum ValueType { Int, Double, Bool }

/// <summary>
/// The whitelisted syntax as a small typed tree. Evaluation repeats C#'s semantics for these types exactly
/// (int arithmetic unchecked, int → double promotion, short-circuit logic, lazy ?:), so the interpreter and
/// the Roslyn-compiled delegate tabulate identical values.
/// </summary>
internal abstract class Node
{
    public abstract ValueType Type { get; }

    public virtual int EvalInt(double state, double[] feats) => throw new InvalidOperationException("Not an int node.");

    public virtual double EvalDouble(double state, double[] feats) => EvalInt(state, feats);

    public virtual bool EvalBool(double state, double[] feats) => throw new InvalidOperationException("Not a bool node.");

    /// <summary>Constant int value when every leaf is an int literal (C# folds these at compile time).</summary>
    public virtual int? ConstantInt => null;

    /// <summary>Fully parenthesised C# source of the node.</summary>
    public abstract string ToSource();
}

internal sealed class IntLiteral(int value, string text) : Node
{
    public override ValueType Type => ValueType.Int;
    public override int EvalInt(double state, double[] feats) => value;
    public override int? ConstantInt => value;
    public override string ToSource() => text;
}

internal sealed class DoubleLiteral(double value, string text) : Node
{
    public override ValueType Type => ValueType.Double;
    public override double EvalDouble(double state, double[] feats) => value;
    public override string ToSource() => text;
}

internal sealed class BoolLiteral(bool value) : Node
{
    public override ValueType Type => ValueType.Bool;
    public override bool EvalBool(double state, double[] feats) => value;
    public override string ToSource() => value ? "true" : "false";
}

internal sealed class StateNode : Node
{
    public override ValueType Type => ValueType.Double;
    public override double EvalDouble(double state, double[] feats) => state;
    public override string ToSource() => "state";
}

internal sealed class FeatureNode(int index) : Node
{
    public int Index => index;
    public override ValueType Type => ValueType.Double;
    public override double EvalDouble(double state, double[] feats) => feats[index];
    public override string ToSource() => "feats[" + index.ToString(CultureInfo.InvariantCulture) + "]";
}

internal enum BinaryOp { Add, Subtract, Multiply, Divide, Modulo, Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, And, Or }

internal sealed class BinaryNode : Node
{
    private readonly BinaryOp _op;
    private readonly Node _left;
    private readonly Node _right;
    private readonly ValueType _type;
    private readonly bool _intOperands;
    private readonly int? _constant;

    public BinaryNode(BinaryOp op, Node left, Node right, ValueType type, int? constant)
    {
        _op = op;
        _left = left;
        _right = right;
        _type = type;
        _intOperands = left.Type == ValueType.Int && right.Type == ValueType.Int;
        _constant = constant;
    }

    public override ValueType Type => _type;

    public override int? ConstantInt => _constant;

    public override int EvalInt(double state, double[] feats)
    {
        if (_constant is int c) return c;
        int a = _left.EvalInt(state, feats), b = _right.EvalInt(state, feats);
        return _op switch
        {
            BinaryOp.Add => unchecked(a + b),
            BinaryOp.Subtract => unchecked(a - b),
            BinaryOp.Multiply => unchecked(a * b),
            BinaryOp.Divide => a / b,
            BinaryOp.Modulo => a % b,
            _ => throw new InvalidOperationException(),
        };
    }

    public override double EvalDouble(double state, double[] feats)
    {
        if (_type == ValueType.Int) return EvalInt(state, feats);
        double a = _left.EvalDouble(state, feats), b = _right.EvalDouble(state, feats);
        return _op switch
        {
            BinaryOp.Add => a + b,
            BinaryOp.Subtract => a - b,
            BinaryOp.Multiply => a * b,
            BinaryOp.Divide => a / b,
            BinaryOp.Modulo => a % b,
            _ => throw new InvalidOperationException(),
        };
    }

    public override bool EvalBool(double state, double[] feats)
    {
        switch (_op)
        {
            case BinaryOp.And: return _left.EvalBool(state, feats) && _right.EvalBool(state, feats);
            case BinaryOp.Or: return _left.EvalBool(state, feats) || _right.EvalBool(state, feats);
        }
        if (_left.Type == ValueType.Bool)
        {
            bool x = _left.EvalBool(state, feats), y = _right.EvalBool(state, feats);
            return _op == BinaryOp.Equal ? x == y : x != y;
        }
        return _intOperands
            ? Compare(_op, _left.EvalInt(state, feats), _right.EvalInt(state, feats))
            : Compare(_op, _left.EvalDouble(state, feats), _right.EvalDouble(state, feats));
    }

    // C#'s comparison operators of T (for double, false whenever NaN is involved, except !=).
    private static bool Compare<T>(BinaryOp op, T a, T b) where T : System.Numerics.IComparisonOperators<T, T, bool> => op switch
    {
        BinaryOp.Less => a < b,
        BinaryOp.LessEqual => a <= b,
        BinaryOp.Greater => a > b,
        BinaryOp.GreaterEqual => a >= b,
        BinaryOp.Equal => a == b,
        _ => a != b,
    };

    public override string ToSource()
    {
        string op = _op switch
        {
            BinaryOp.Add => "+", BinaryOp.Subtract => "-", BinaryOp.Multiply => "*", BinaryOp.Divide => "/", BinaryOp.Modulo => "%",
            BinaryOp.Less => "<", BinaryOp.LessEqual => "<=", BinaryOp.Greater => ">", BinaryOp.GreaterEqual => ">=",
            BinaryOp.Equal => "==", BinaryOp.NotEqual => "!=", BinaryOp.And => "&&", _ => "||",
        };
        return "(" + _left.ToSource() + " " + op + " " + _right.ToSource() + ")";
    }
}

internal enum UnaryOp { Negate, Plus, Not }

internal sealed class UnaryNode(UnaryOp op, Node operand, int? constant) : Node
{
    public override ValueType Type => op == UnaryOp.Not ? ValueType.Bool : operand.Type;
    public override int? ConstantInt => constant;
    public override int EvalInt(double state, double[] feats) =>
        constant ?? (op == UnaryOp.Negate ? unchecked(-operand.EvalInt(state, feats)) : operand.EvalInt(state, feats));
    public override double EvalDouble(double state, double[] feats)
    {
        if (Type == ValueType.Int) return EvalInt(state, feats);
        double v = operand.EvalDouble(state, feats);
        return op == UnaryOp.Negate ? -v : v;
    }
    public override bool EvalBool(double state, double[] feats) => !operand.EvalBool(state, feats);
    public override string ToSource() => "(" + (op switch { UnaryOp.Negate => "-", UnaryOp.Plus => "+", _ => "!" }) + operand.ToSource() + ")";
}

internal sealed class ConditionalNode(Node condition, Node whenTrue, Node whenFalse, ValueType type) : Node
{
    public override ValueType Type => type;
    public override int EvalInt(double state, double[] feats) =>
        condition.EvalBool(state, feats) ? whenTrue.EvalInt(state, feats) : whenFalse.EvalInt(state, feats);
    public override double EvalDouble(double state, double[] feats)
    {
        if (type == ValueType.Int) return EvalInt(state, feats);
        return condition.EvalBool(state, feats) ? whenTrue.EvalDouble(state, feats) : whenFalse.EvalDouble(state, feats);
    }
    public override bool EvalBool(double state, double[] feats) =>
        condition.EvalBool(state, feats) ? whenTrue.EvalBool(state, feats) : whenFalse.EvalBool(state, feats);
    public override string ToSource() => "(" + condition.ToSource() + " ? " + whenTrue.ToSource() + " : " + whenFalse.ToSource() + ")";
}

internal sealed class MathCall(string name, Node[] args, ValueType type) : Node
{
    public override ValueType Type => type;
    public override int EvalInt(double state, double[] feats) => name switch
    {
        "Abs" => Math.Abs(args[0].EvalInt(state, feats)),
        "Min" => Math.Min(args[0].EvalInt(state, feats), args[1].EvalInt(state, feats)),
        "Max" => Math.Max(args[0].EvalInt(state, feats), args[1].EvalInt(state, feats)),
        _ => throw new InvalidOperationException(),
    };
    public override double EvalDouble(double state, double[] feats)
    {
        if (type == ValueType.Int) return EvalInt(state, feats);
        double a = args[0].EvalDouble(state, feats);
        return name switch
        {
            "Abs" => Math.Abs(a),
            "Min" => Math.Min(a, args[1].EvalDouble(state, feats)),
            "Max" => Math.Max(a, args[1].EvalDouble(state, feats)),
            "Sqrt" => Math.Sqrt(a),
            "Exp" => Math.Exp(a),
            "Log" => Math.Log(a),
            "Log10" => Math.Log10(a),
            "Pow" => Math.Pow(a, args[1].EvalDouble(state, feats)),
            "Tanh" => Math.Tanh(a),
            _ => throw new InvalidOperationException(),
        };
    }
    public override string ToSource() => "System.Math." + name + "(" + string.Join(", ", args.Select(a => a.ToSource())) + ")";
}

/// <summary>Names shown in refusals and prompts.</summary>
internal static class Whitelist
{
    /// <summary>Allowed Math functions with their arity.</summary>
    public static readonly IReadOnlyDictionary<string, int> MathFunctions = new Dictionary<string, int>
    {
        ["Abs"] = 1, ["Min"] = 2, ["Max"] = 2, ["Sqrt"] = 1, ["Exp"] = 1, ["Log"] = 1, ["Log10"] = 1, ["Pow"] = 2, ["Tanh"] = 1,
    };

    public static string AllowedCalls => string.Join(", ", MathFunctions.Keys.Select(k => "Math." + k));

    public const int MaxFeatureIndex = Features.Count - 1;
}
